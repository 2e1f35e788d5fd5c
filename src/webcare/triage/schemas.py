"""API shapes of triage results, corrections and reruns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class TriageOut(BaseModel):
    message_id: int
    language: str
    sentiment: str
    sentiment_score: float
    intent: str
    intent_score: float
    urgency: int = Field(description="Escalation risk, 0-100.")
    urgency_explanation: str
    urgency_reasons: list[dict[str, Any]]
    personal_data: list[dict[str, Any]] = Field(
        description="Masked findings in a public message; never the values themselves."
    )
    versions: dict[str, str]
    corrected: bool
    enriched_at: datetime


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=16)


class RunOut(BaseModel):
    id: int
    status: str
    total: int
    done: int
    percent: int
