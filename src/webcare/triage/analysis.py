"""The bridge from stored messages to the pure analyses in :mod:`webcare.enrichment`.

A workspace's own models (retrained with its agents' corrections by ``webcare train``) live in
the database as one archive of the artefact files, so every server and worker serves the same
model without sharing a disk. Each process unpacks a version once and keeps it; a cheap query
per batch tells whether a newer version exists.
"""

from __future__ import annotations

import io
import logging
import tempfile
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webcare.enrichment import pipeline
from webcare.enrichment.pii import CustomerNumberPattern, PersonalDataFinding
from webcare.triage.models import WorkspaceModel

log = logging.getLogger(__name__)

#: The one task name under which a workspace's sentiment and intent models are stored together
#: (they share features, see :class:`webcare.enrichment.pipeline.TriageModels`).
TASK = "triage"
ARTEFACT_FILES = ("sentiment.json", "sentiment.npz", "intent.json", "intent.npz")


@dataclass(frozen=True)
class Analysis:
    language: str
    sentiment: str
    #: -1 (surely negative) .. +1 (surely positive).
    sentiment_score: float
    intent: str
    intent_score: float
    pii: tuple[PersonalDataFinding, ...] = ()
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def negativity(self) -> float:
        """0 .. 1: how surely negative, for the urgency score."""
        return max(0.0, -self.sentiment_score)


_lock = threading.Lock()
_cache: dict[tuple[int, str], pipeline.TriageModels] = {}


def models_for(session: Session, workspace_id: int) -> pipeline.TriageModels | None:
    """The workspace's own models, or None when the shipped ones serve it."""
    row = session.execute(
        sa.select(WorkspaceModel.id, WorkspaceModel.version)
        .where(WorkspaceModel.workspace_id == workspace_id, WorkspaceModel.task == TASK)
        .order_by(WorkspaceModel.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    key = (workspace_id, row.version)
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    artefact = session.scalar(sa.select(WorkspaceModel.artefact).where(WorkspaceModel.id == row.id))
    assert artefact is not None
    models = unpack(artefact)
    with _lock:
        for old in [k for k in _cache if k[0] == workspace_id]:
            del _cache[old]
        _cache[key] = models
    return models


def pack(directory: Path) -> bytes:
    """The artefact files of a trained model directory as one archive for the database."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ARTEFACT_FILES:
            archive.write(directory / name, name)
    return buffer.getvalue()


def unpack(artefact: bytes) -> pipeline.TriageModels:
    with zipfile.ZipFile(io.BytesIO(artefact)) as archive:
        names = set(archive.namelist())
        if names != set(ARTEFACT_FILES):
            raise ValueError("a stored workspace model must hold exactly the artefact files")
        with tempfile.TemporaryDirectory(prefix="webcare-model-") as tmp:
            for name in ARTEFACT_FILES:
                (Path(tmp) / name).write_bytes(archive.read(name))
            return pipeline.load_models(Path(tmp))


def shipped_versions() -> dict[str, str]:
    return dict(pipeline.default_models().versions)


def analyse_many(
    texts: Sequence[str],
    *,
    customer_patterns: Sequence[CustomerNumberPattern] = (),
    models: pipeline.TriageModels | None = None,
) -> list[Analysis]:
    """One analysis per text, in order. If the batch fails, each text is tried on its own, and
    a text that still fails gets :func:`unanalysed`, so one bad message never holds up the
    queue behind it (and the message itself is never touched)."""
    try:
        results = pipeline.enrich_many(texts, customer_patterns=customer_patterns, models=models)
        return [_analysis(r) for r in results]
    except Exception:
        log.exception("triage of a batch of %d messages failed; trying one by one", len(texts))
    analyses: list[Analysis] = []
    for text in texts:
        try:
            one = pipeline.enrich(text, customer_patterns=customer_patterns, models=models)
            analyses.append(_analysis(one))
        except Exception as exc:
            log.exception("triage of one message failed")
            analyses.append(unanalysed(exc))
    return analyses


def unanalysed(exc: Exception) -> Analysis:
    """What a message that could not be analysed gets: neutral, unknown, and why."""
    return Analysis(
        language="und",
        sentiment="neutral",
        sentiment_score=0.0,
        intent="other",
        intent_score=0.0,
        versions={"error": exc.__class__.__name__},
    )


def _analysis(r: pipeline.Enrichment) -> Analysis:
    return Analysis(
        language=r.language,
        sentiment=r.sentiment,
        sentiment_score=r.sentiment_score,
        intent=r.intent,
        intent_score=r.intent_confidence,
        pii=r.personal_data,
        versions=dict(r.versions),
    )
