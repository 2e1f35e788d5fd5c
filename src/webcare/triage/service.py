"""Enrich stored customer messages, keep conversations' urgency current, take corrections.

The job side (:func:`enrich_new`) walks a per-workspace cursor over inbound messages in id
order, under the cursor's row lock, so two workers never analyse the same batch and a message
stored while a batch runs is picked up by the next one. Results and the cursor move in the
job's transaction: a crash re-analyses a batch, never skips one. A message whose analysis
fails still advances the cursor with a neutral "could not analyse" row rather than stopping
the queue behind it; the message itself is never touched.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webcare.auth.principal import Principal, Scope
from webcare.contact.models import ContactIdentity
from webcare.conversation import service as conversations
from webcare.conversation.events import ConversationChanged
from webcare.conversation.models import Conversation, Message
from webcare.enrichment.urgency import UrgencySignals, urgency
from webcare.events.bus import publish
from webcare.kit.db import lock_row
from webcare.kit.errors import Invalid, NotFound
from webcare.kit.time import ensure_utc, utc_now
from webcare.triage import analysis, settings
from webcare.triage.models import MessageTriage, TriageCorrection, TriageCursor, TriageRun

log = logging.getLogger(__name__)

BATCH_SIZE = 200
VELOCITY_WINDOW = timedelta(minutes=10)
SENTIMENTS = ("positive", "neutral", "negative")
INTENTS = ("question", "complaint", "compliment", "request", "other")
TASK_LABELS = {"sentiment": SENTIMENTS, "intent": INTENTS}


def enrich_new(session: Session, workspace_id: int, limit: int = BATCH_SIZE) -> int:
    """Analyse the next inbound messages after the workspace's cursor; returns how many."""
    cursor = _cursor(session, workspace_id)
    stmt = (
        sa.select(Message)
        .where(
            Message.workspace_id == workspace_id,
            Message.direction == "inbound",
            Message.id > cursor.last_message_id,
        )
        .order_by(Message.id)
        .limit(limit)
    )
    messages = list(session.scalars(stmt))
    if not messages:
        return 0
    enrich_messages(session, workspace_id, messages)
    cursor.last_message_id = messages[-1].id
    session.flush()
    return len(messages)


def enrich_messages(session: Session, workspace_id: int, messages: Sequence[Message]) -> None:
    """Analyse ``messages`` (of one workspace) and store the results; agents' corrections win."""
    config = settings.load(session, workspace_id)
    models = analysis.models_for(session, workspace_id)
    identities = _identities(session, [m.author_identity_id for m in messages])
    recent = _recent_counts(session, messages)
    existing = {
        row.message_id: row
        for row in session.scalars(
            sa.select(MessageTriage).where(MessageTriage.message_id.in_([m.id for m in messages]))
        )
    }
    corrections_of = _corrections_of(session, [m.id for m in messages])
    touched: dict[int, tuple[datetime, MessageTriage]] = {}
    results = analysis.analyse_many(
        [m.text for m in messages], customer_patterns=config.customer_patterns, models=models
    )
    for message, result in zip(messages, results, strict=True):
        identity = identities.get(message.author_identity_id or 0)
        row = existing.get(message.id)
        if row is None:
            row = MessageTriage(message_id=message.id, workspace_id=workspace_id)
            session.add(row)
        corrected = corrections_of.get(message.id, {})
        row.language = result.language
        row.sentiment, row.sentiment_score = result.sentiment, result.sentiment_score
        row.intent, row.intent_score = result.intent, result.intent_score
        if "sentiment" in corrected:
            row.sentiment = corrected["sentiment"]
            row.sentiment_score = {"positive": 1.0, "neutral": 0.0, "negative": -1.0}[row.sentiment]
        if "intent" in corrected:
            row.intent, row.intent_score = corrected["intent"], 1.0
        public = message.visibility == "public"
        row.pii = [finding_json(f) for f in result.pii] if public else []
        score = urgency(
            UrgencySignals(
                text=message.text,
                sentiment=row.sentiment,
                negativity=max(0.0, -row.sentiment_score),
                intent=row.intent,
                follower_count=identity.follower_count if identity else None,
                verified=bool(identity and identity.verified),
                messages_last_10_minutes=recent.get(message.id, 1),
                public=public,
                has_personal_data=bool(row.pii),
                keywords=config.keywords,
            )
        )
        row.urgency, row.urgency_reasons = score.score, list(score.reasons)
        row.versions = {**result.versions, **dict.fromkeys(corrected, "agent")}
        row.enriched_at = utc_now()
        when = ensure_utc(message.platform_time)
        previous = touched.get(message.conversation_id)
        if previous is None or when >= previous[0]:
            touched[message.conversation_id] = (when, row)
    session.flush()
    _update_conversations(session, workspace_id, touched)


def _update_conversations(
    session: Session, workspace_id: int, latest: dict[int, tuple[datetime, MessageTriage]]
) -> None:
    """A conversation shows the triage of its newest customer message."""
    if not latest:
        return
    rows = session.scalars(
        sa.select(Conversation).where(
            Conversation.workspace_id == workspace_id, Conversation.id.in_(list(latest))
        )
    )
    for conversation in rows:
        when, triage = latest[conversation.id]
        newest = conversation.last_inbound_at
        if newest is not None and ensure_utc(newest) > when:
            continue  # a newer message exists; its own analysis will set the conversation
        conversation.urgency = triage.urgency
        conversation.sentiment = triage.sentiment
        publish(
            session,
            ConversationChanged(
                workspace_id=workspace_id,
                actor_user_id=None,
                conversation_id=conversation.id,
                change="triage",
            ),
        )


def finding_json(finding: Any) -> dict[str, Any]:
    return {
        "kind": str(finding.kind),
        "start": finding.start,
        "end": finding.end,
        "preview": finding.preview,
        "pattern_name": finding.pattern_name,
    }


def _cursor(session: Session, workspace_id: int) -> TriageCursor:
    """The workspace's cursor under its row lock (made on first use; a concurrent maker's row
    is adopted)."""
    cursor = lock_row(session, TriageCursor, workspace_id)
    if cursor is not None:
        return cursor
    try:
        with session.begin_nested():
            session.add(TriageCursor(workspace_id=workspace_id, last_message_id=0))
    except IntegrityError:
        pass
    cursor = lock_row(session, TriageCursor, workspace_id)
    assert cursor is not None
    return cursor


def _identities(session: Session, ids: Sequence[int | None]) -> dict[int, ContactIdentity]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    stmt = sa.select(ContactIdentity).where(ContactIdentity.id.in_(wanted))
    return {identity.id: identity for identity in session.scalars(stmt)}


def _recent_counts(session: Session, messages: Sequence[Message]) -> dict[int, int]:
    """Per message: inbound messages in its conversation in the 10 minutes up to it."""
    conversation_ids = {m.conversation_id for m in messages}
    earliest = min(ensure_utc(m.platform_time) for m in messages) - VELOCITY_WINDOW
    latest = max(ensure_utc(m.platform_time) for m in messages)
    stmt = sa.select(Message.conversation_id, Message.platform_time).where(
        Message.conversation_id.in_(conversation_ids),
        Message.direction == "inbound",
        Message.platform_time >= earliest,
        Message.platform_time <= latest,
    )
    times: dict[int, list[datetime]] = defaultdict(list)
    for conversation_id, when in session.execute(stmt):
        times[conversation_id].append(ensure_utc(when))
    counts: dict[int, int] = {}
    for message in messages:
        end = ensure_utc(message.platform_time)
        start = end - VELOCITY_WINDOW
        counts[message.id] = max(
            1, sum(1 for t in times[message.conversation_id] if start <= t <= end)
        )
    return counts


def _corrections_of(session: Session, message_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """Per message, task -> the label an agent gave it (agents' labels beat the models')."""
    stmt = sa.select(
        TriageCorrection.message_id, TriageCorrection.task, TriageCorrection.label
    ).where(TriageCorrection.message_id.in_(list(message_ids)))
    found: dict[int, dict[str, str]] = defaultdict(dict)
    for message_id, task, label in session.execute(stmt):
        found[message_id][task] = label
    return found


# -- reading ---------------------------------------------------------------------------------


def for_messages(
    session: Session, workspace_id: int, message_ids: Sequence[int]
) -> dict[int, MessageTriage]:
    if not message_ids:
        return {}
    stmt = sa.select(MessageTriage).where(
        MessageTriage.workspace_id == workspace_id,
        MessageTriage.message_id.in_(list(message_ids)),
    )
    return {row.message_id: row for row in session.scalars(stmt)}


# -- corrections -----------------------------------------------------------------------------


def correct(
    session: Session, actor: Principal, message_id: int, labels: Mapping[str, str]
) -> MessageTriage:
    """An agent says what a message really is (``{"sentiment": ..., "intent": ...}``, either
    or both); each label becomes a training label of the workspace and beats the models.

    All labels are checked before anything is written, and the message is analysed once
    afterwards, so its conversation's urgency reflects the corrected labels at once.
    """
    actor.require(Scope.CONVERSATIONS_WRITE)
    if not labels:
        raise Invalid("give a sentiment or an intent")
    for task, label in labels.items():
        if task not in TASK_LABELS:
            raise Invalid(f"task must be one of {', '.join(TASK_LABELS)}")
        if label not in TASK_LABELS[task]:
            raise Invalid(f"{task} must be one of {', '.join(TASK_LABELS[task])}")
    message = conversations.get_message(session, actor.workspace_id, message_id)
    if message is None:
        raise NotFound(f"message {message_id}")
    if message.direction != "inbound":
        raise Invalid("only customers' messages have a sentiment and intent")
    stored = {
        c.task: c
        for c in session.scalars(
            sa.select(TriageCorrection).where(TriageCorrection.message_id == message.id)
        )
    }
    for task, label in labels.items():
        correction = stored.get(task)
        if correction is None:
            correction = TriageCorrection(
                workspace_id=actor.workspace_id, message_id=message.id, task=task
            )
            session.add(correction)
            stored[task] = correction
        correction.label = label
        correction.text = message.text
        correction.user_id = actor.user_id
        correction.created_at = utc_now()
        correction.language = "und"  # set from the analysis below
    session.flush()
    enrich_messages(session, actor.workspace_id, [message])
    row = session.get(MessageTriage, message.id)
    assert row is not None  # enrich_messages writes one row per message
    row.corrected_by = actor.user_id
    for task in labels:
        stored[task].language = row.language
    session.flush()
    return row


def corrections(session: Session, workspace_id: int, task: str) -> list[TriageCorrection]:
    stmt = (
        sa.select(TriageCorrection)
        .where(TriageCorrection.workspace_id == workspace_id, TriageCorrection.task == task)
        .order_by(TriageCorrection.id)
    )
    return list(session.scalars(stmt))


def correction_count(session: Session, workspace_id: int) -> int:
    stmt = sa.select(sa.func.count()).where(TriageCorrection.workspace_id == workspace_id)
    return int(session.scalar(stmt) or 0)


def model_versions(session: Session, workspace_id: int) -> dict[str, str]:
    """Which model serves each task for this workspace: its own retrained one, else shipped."""
    own = analysis.models_for(session, workspace_id)
    return {**analysis.shipped_versions(), **(own.versions if own else {})}


# -- re-running over history -----------------------------------------------------------------


@dataclass(frozen=True)
class RunProgress:
    id: int
    status: str
    total: int
    done: int

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else min(100, round(100 * self.done / self.total))


def start_rerun(session: Session, actor: Principal) -> TriageRun:
    """Queue a re-analysis of every customer message of the workspace (after a model update)."""
    from webcare.worker.service import enqueue

    active = session.scalars(
        sa.select(TriageRun).where(
            TriageRun.workspace_id == actor.workspace_id,
            TriageRun.status.in_(("queued", "running")),
        )
    ).first()
    if active is not None:
        return active
    total = session.scalar(
        sa.select(sa.func.count())
        .select_from(Message)
        .where(Message.workspace_id == actor.workspace_id, Message.direction == "inbound")
    )
    run = TriageRun(
        workspace_id=actor.workspace_id,
        status="queued",
        total=int(total or 0),
        done=0,
        last_message_id=0,
        requested_by=actor.user_id,
    )
    session.add(run)
    session.flush()
    enqueue(
        session,
        RERUN_JOB,
        {"run_id": run.id},
        workspace_id=actor.workspace_id,
        dedupe_key=f"{RERUN_JOB}:{run.id}",
    )
    return run


RERUN_JOB = "triage.rerun"


def advance_rerun(session: Session, workspace_id: int, run_id: int) -> bool:
    """One batch of a rerun; True while there is more to do."""
    run = session.get(TriageRun, run_id)
    if run is None or run.workspace_id != workspace_id or run.status == "done":
        return False
    _cursor(session, workspace_id)  # one writer of a workspace's triage rows at a time
    run.status = "running"
    stmt = (
        sa.select(Message)
        .where(
            Message.workspace_id == workspace_id,
            Message.direction == "inbound",
            Message.id > run.last_message_id,
        )
        .order_by(Message.id)
        .limit(BATCH_SIZE)
    )
    messages = list(session.scalars(stmt))
    if messages:
        enrich_messages(session, workspace_id, messages)
        run.last_message_id = messages[-1].id
        run.done += len(messages)
        run.total = max(run.total, run.done)
    if len(messages) < BATCH_SIZE:
        run.status = "done"
        run.finished_at = utc_now()
    session.flush()
    return run.status != "done"


def progress(session: Session, workspace_id: int, run_id: int) -> RunProgress:
    run = session.get(TriageRun, run_id)
    if run is None or run.workspace_id != workspace_id:
        raise NotFound(f"triage run {run_id}")
    return RunProgress(run.id, run.status, run.total, run.done)


def latest_run(session: Session, workspace_id: int) -> RunProgress | None:
    run = session.scalars(
        sa.select(TriageRun)
        .where(TriageRun.workspace_id == workspace_id)
        .order_by(TriageRun.id.desc())
        .limit(1)
    ).first()
    return None if run is None else RunProgress(run.id, run.status, run.total, run.done)
