"""HTTP for triage: a message's analysis, agents' corrections, re-runs over history."""

from __future__ import annotations

from fastapi import APIRouter, status

from webcare.auth.dependencies import PrincipalDep
from webcare.auth.principal import Scope
from webcare.dependencies import DbSession
from webcare.enrichment.urgency import explain
from webcare.kit.errors import NotFound
from webcare.triage import service
from webcare.triage.models import MessageTriage
from webcare.triage.schemas import CorrectionIn, RunOut, TriageOut

router = APIRouter(prefix="/api/v1", tags=["triage"])


def triage_out(row: MessageTriage) -> TriageOut:
    return TriageOut(
        message_id=row.message_id,
        language=row.language,
        sentiment=row.sentiment,
        sentiment_score=round(row.sentiment_score, 3),
        intent=row.intent,
        intent_score=round(row.intent_score, 3),
        urgency=row.urgency,
        urgency_explanation=explain(row.urgency_reasons),
        urgency_reasons=row.urgency_reasons,
        personal_data=row.pii,
        versions=row.versions,
        corrected=row.corrected_by is not None,
        enriched_at=row.enriched_at,
    )


@router.get("/messages/{message_id}/triage", response_model=TriageOut)
def get_triage(message_id: int, db: DbSession, principal: PrincipalDep) -> TriageOut:
    principal.require(Scope.CONVERSATIONS_READ)
    row = service.for_messages(db, principal.workspace_id, [message_id]).get(message_id)
    if row is None:
        raise NotFound(f"triage of message {message_id} (not analysed yet, or not a customer's)")
    return triage_out(row)


@router.put("/messages/{message_id}/triage/{task}", response_model=TriageOut)
def correct_triage(
    message_id: int, task: str, body: CorrectionIn, db: DbSession, principal: PrincipalDep
) -> TriageOut:
    """Correct a message's sentiment or intent; the label trains the workspace's model."""
    principal.require(Scope.CONVERSATIONS_WRITE)
    return triage_out(service.correct(db, principal, message_id, {task: body.label}))


def _run_out(progress: service.RunProgress) -> RunOut:
    return RunOut(
        id=progress.id,
        status=progress.status,
        total=progress.total,
        done=progress.done,
        percent=progress.percent,
    )


@router.post("/triage/reruns", response_model=RunOut, status_code=status.HTTP_202_ACCEPTED)
def start_rerun(db: DbSession, principal: PrincipalDep) -> RunOut:
    """Re-analyse every customer message (after a model update); one run at a time."""
    principal.require(Scope.ADMIN)
    run = service.start_rerun(db, principal)
    return _run_out(service.RunProgress(run.id, run.status, run.total, run.done))


@router.get("/triage/reruns/{run_id}", response_model=RunOut)
def rerun_progress(run_id: int, db: DbSession, principal: PrincipalDep) -> RunOut:
    principal.require(Scope.CONVERSATIONS_READ)
    return _run_out(service.progress(db, principal.workspace_id, run_id))
