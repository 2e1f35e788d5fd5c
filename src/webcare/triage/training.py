"""``webcare train``: retrain a workspace's triage models with its agents' corrections.

The corrected messages are weighted up on top of the shipped training data
(:func:`webcare.enrichment.train.train_for_workspace`), figures before and after are measured
on a held-out part of the corrections, and the new models are stored in the database, where
every server and worker picks them up for that workspace only.
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from webcare.enrichment import pipeline
from webcare.enrichment import train as trainer
from webcare.kit.time import utc_now
from webcare.triage import analysis, service
from webcare.triage.models import WorkspaceModel


@dataclass(frozen=True)
class TrainingReport:
    workspace_id: int
    corrections: int
    version: str | None
    #: Per task: corrections used, held out, and accuracy / macro-F1 before and after.
    figures: dict[str, dict[str, Any]]


def train_workspace(
    session: Session, workspace_id: int, base: trainer.TrainingData | None = None
) -> TrainingReport:
    """Train and store the workspace's models; ``base`` defaults to the shipped training data
    (tests pass a small set: a full training takes a minute or two)."""
    labels = [
        trainer.Correction(text=c.text, task=c.task, label=c.label)
        for task in service.TASK_LABELS
        for c in service.corrections(session, workspace_id, task)
    ]
    if not labels:
        return TrainingReport(workspace_id, 0, None, {})
    current = analysis.models_for(session, workspace_id) or pipeline.default_models()
    result = trainer.train_for_workspace(
        base or trainer.load_base_data(),
        labels,
        current={"sentiment": current.sentiment, "intent": current.intent},
    )
    version = f"ws{workspace_id}-{utc_now():%Y%m%d%H%M%S}"
    with tempfile.TemporaryDirectory(prefix="webcare-train-") as tmp:
        for model in result.models.values():
            meta = {**model.meta, "version": f"{model.name}-{version}"}
            dataclasses.replace(model, meta=meta).save(Path(tmp))
        artefact = analysis.pack(Path(tmp))
    session.add(
        WorkspaceModel(
            workspace_id=workspace_id,
            task=analysis.TASK,
            version=version,
            artefact=artefact,
            metrics=result.report,
        )
    )
    session.flush()
    return TrainingReport(workspace_id, len(labels), version, result.report)
