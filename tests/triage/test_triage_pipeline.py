"""Triage on stored messages: enriched after ingest, shown on conversations, corrected by
agents, re-run over history with progress, and the inbox sorted by urgency."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import drain_jobs, token_for
from tests.ingestion.helpers import payload
from webcare.conversation.models import Conversation, Message
from webcare.demo.cast import Cast
from webcare.enrichment import pipeline
from webcare.kit.db import unit_of_work
from webcare.runtime import Runtime
from webcare.triage import service as triage
from webcare.triage.models import MessageTriage, TriageCorrection
from webcare.worker.models import Job
from webcare.worker.service import enqueue

ANGRY = (
    "Al drie dagen geen internet, dit is echt belachelijk. Ik ga mijn abonnement opzeggen! "
    "Bel me op 06 12345678"
)
HAPPY = "Bedankt voor de snelle hulp, top service!"


def _ingest(
    api: TestClient,
    cast: Cast,
    external_id: str,
    text: str,
    who: dict[str, Any] | None = None,
    **extra: Any,
) -> int:
    url = f"/api/v1/channel-accounts/{cast.accounts['api'].id}/messages"
    body = payload(external_id, text, **extra)
    body["author"].update(who or {})
    response = api.post(url, json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["message_id"])


def _enrich(runtime: Runtime, cast: Cast) -> int:
    with unit_of_work(runtime.session_factory) as session:
        return triage.enrich_new(session, cast.workspace.id)


def _row(runtime: Runtime, message_id: int) -> MessageTriage:
    with runtime.session_factory() as session:
        row = session.get(MessageTriage, message_id)
        assert row is not None
        session.expunge(row)
        return row


def test_an_angry_public_complaint_by_a_big_account_scores_high_and_explains_why(
    api: TestClient, runtime: Runtime, cast: Cast
) -> None:
    famous = {"id": "big-1", "handle": "bekend", "name": "Bekende Nederlander"}
    angry = _ingest(
        api,
        cast,
        "t-angry",
        ANGRY,
        kind="public_thread",
        visibility="public",
        who={**famous, "followers": 48_000},
    )
    happy = _ingest(api, cast, "t-happy", HAPPY, who={"id": "fan", "followers": 12})
    assert _enrich(runtime, cast) == 2
    row = _row(runtime, angry)
    assert row.language == "nl"
    assert row.sentiment == "negative"
    assert row.urgency >= 60
    kinds = [r["kind"] for r in row.urgency_reasons]
    assert {"negative", "reach", "keywords", "personal_data"} <= set(kinds)
    assert [p["kind"] for p in row.pii] == ["phone"]
    assert "12345678" not in str(row.pii)  # masked, never the number itself
    detail = api.get(f"/api/v1/messages/{angry}/triage").json()
    assert "an author with 48k followers" in detail["urgency_explanation"]
    assert "'opzeggen'" in detail["urgency_explanation"]
    calm = _row(runtime, happy)
    assert calm.sentiment == "positive"
    assert calm.urgency < row.urgency
    # The inbox puts the risky conversation first when sorted by urgency.
    page = api.get("/api/v1/conversations", params={"sort": "urgency"}).json()
    assert page["items"][0]["urgency"] == row.urgency
    assert page["items"][0]["sentiment"] == "negative"
    negative = api.get("/api/v1/conversations", params={"sentiment": "negative"}).json()
    assert [i["urgency"] for i in negative["items"]] == [row.urgency]


def test_personal_data_in_a_private_message_is_not_flagged(
    api: TestClient, runtime: Runtime, cast: Cast
) -> None:
    message = _ingest(api, cast, "dm-1", "Mijn IBAN is NL91ABNA0417164300, graag terugstorten")
    _enrich(runtime, cast)
    assert _row(runtime, message).pii == []


def test_enrichment_runs_as_a_job_after_ingest_and_never_twice(
    api: TestClient, runtime: Runtime, cast: Cast
) -> None:
    first = _ingest(api, cast, "j-1", "Waarom is mijn factuur zo hoog?")
    second = _ingest(api, cast, "j-2", "En waarom krijg ik geen antwoord?")
    drain_jobs(runtime)
    assert _row(runtime, first).intent
    assert _row(runtime, second).enriched_at >= _row(runtime, first).enriched_at
    assert _enrich(runtime, cast) == 0  # the cursor moved past both


def test_a_correction_becomes_a_label_and_survives_re_analysis(
    api: TestClient, runtime: Runtime, cast: Cast
) -> None:
    message = _ingest(api, cast, "c-1", "Nou, lekker dan. Weer een storing.")
    _enrich(runtime, cast)
    corrected = api.put(f"/api/v1/messages/{message}/triage/sentiment", json={"label": "negative"})
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["sentiment"] == "negative"
    assert corrected.json()["corrected"] is True
    assert corrected.json()["versions"]["sentiment"] == "agent"
    with runtime.session_factory() as session:
        label = session.scalars(sa.select(TriageCorrection)).one()
        assert (label.task, label.label) == ("sentiment", "negative")
        assert label.text == "Nou, lekker dan. Weer een storing."
        conversation = session.scalars(sa.select(Conversation)).one()
        assert conversation.sentiment == "negative"
    # A re-run over history keeps the agent's label.
    run = api.post("/api/v1/triage/reruns")
    assert run.status_code == 202
    drain_jobs(runtime)
    progress = api.get(f"/api/v1/triage/reruns/{run.json()['id']}").json()
    assert progress == {
        "id": run.json()["id"],
        "status": "done",
        "total": 1,
        "done": 1,
        "percent": 100,
    }
    assert _row(runtime, message).sentiment == "negative"


def test_bad_corrections_are_refused_clearly(
    api: TestClient, runtime: Runtime, cast: Cast, other_cast: Cast
) -> None:
    message = _ingest(api, cast, "b-1", "Hallo?")
    _enrich(runtime, cast)
    wrong_label = api.put(f"/api/v1/messages/{message}/triage/sentiment", json={"label": "angry"})
    assert wrong_label.status_code == 422
    assert "positive, neutral, negative" in wrong_label.json()["detail"]
    wrong_task = api.put(f"/api/v1/messages/{message}/triage/mood", json={"label": "negative"})
    assert wrong_task.status_code == 422
    stranger = token_for(runtime, other_cast)
    other = api.put(
        f"/api/v1/messages/{message}/triage/sentiment",
        json={"label": "negative"},
        headers={"Authorization": f"Bearer {stranger}"},
    )
    assert other.status_code == 404
    assert api.get(f"/api/v1/messages/{message}/triage").json()["corrected"] is False
    read_only = token_for(runtime, cast, scopes=["conversations:read"])
    refused = api.put(
        f"/api/v1/messages/{message}/triage/intent",
        json={"label": "question"},
        headers={"Authorization": f"Bearer {read_only}"},
    )
    assert refused.status_code == 403


def test_the_sweep_catches_messages_whose_job_went_missing(
    api: TestClient, runtime: Runtime, cast: Cast
) -> None:
    message = _ingest(api, cast, "s-1", "Is er een storing in Utrecht?")
    with runtime.engine.begin() as conn:  # as if the trigger had been absorbed by a finished job
        conn.execute(sa.delete(Job).where(Job.name == "triage.enrich_new"))
    with unit_of_work(runtime.session_factory) as session:
        enqueue(session, "triage.sweep", {})
    drain_jobs(runtime)
    assert _row(runtime, message).language == "nl"


def test_a_message_the_models_choke_on_never_holds_up_the_queue(
    api: TestClient, runtime: Runtime, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    poison = "☠ this one breaks the model"
    first = _ingest(api, cast, "p-1", poison)
    second = _ingest(api, cast, "p-2", "Gewoon een vraag over mijn factuur?")
    real = pipeline.enrich

    def choke(text: str, **kwargs: Any) -> pipeline.Enrichment:
        if text == poison:
            raise RuntimeError("model bug")
        return real(text, **kwargs)

    def batch_fails(texts: Any, **kwargs: Any) -> Any:
        raise RuntimeError("model bug")

    monkeypatch.setattr(pipeline, "enrich", choke)
    monkeypatch.setattr(pipeline, "enrich_many", batch_fails)
    assert _enrich(runtime, cast) == 2
    broken = _row(runtime, first)
    assert (broken.language, broken.sentiment, broken.versions) == (
        "und",
        "neutral",
        {"error": "RuntimeError"},
    )
    assert _row(runtime, second).intent == "question"
    with runtime.session_factory() as session:
        assert session.get(Message, first) is not None  # the message itself is untouched
