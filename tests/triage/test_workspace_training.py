"""A workspace's corrections retrain its own models, which then serve that workspace only."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import token_for
from tests.ingestion.helpers import payload
from webcare.demo.cast import Cast
from webcare.enrichment.train import Example, TrainingData
from webcare.kit.db import unit_of_work
from webcare.runtime import Runtime
from webcare.triage import service as triage
from webcare.triage.models import MessageTriage, WorkspaceModel
from webcare.triage.training import train_workspace

#: "Lekker dan" is Dutch irony: the team says it means trouble. A small base set keeps the
#: test fast; the real one is the shipped training data.
BASE = TrainingData(
    examples={
        "sentiment": [
            Example("bedankt, super geholpen", "positive", "nl", "t"),
            Example("top service, dank jullie wel", "positive", "nl", "t"),
            Example("wanneer komt de monteur", "neutral", "nl", "t"),
            Example("wat kost een abonnement", "neutral", "nl", "t"),
            Example("slechte service, weer storing", "negative", "nl", "t"),
            Example("belachelijk, geen internet", "negative", "nl", "t"),
        ],
        "intent": [
            Example("wanneer komt de monteur?", "question", "nl", "t"),
            Example("slechte service, weer storing", "complaint", "nl", "t"),
            Example("bedankt, super geholpen", "compliment", "nl", "t"),
            Example("bel me terug aub", "request", "nl", "t"),
            Example("koop nu goedkope volgers", "other", "nl", "t"),
        ],
    }
)


def _ingest(api: TestClient, cast: Cast, external_id: str, text: str) -> int:
    url = f"/api/v1/channel-accounts/{cast.accounts['api'].id}/messages"
    response = api.post(url, json=payload(external_id, text, author=external_id))
    assert response.status_code == 201, response.text
    return int(response.json()["message_id"])


def test_corrections_train_a_model_that_serves_only_that_workspace(
    api: TestClient, runtime: Runtime, cast: Cast, other_cast: Cast
) -> None:
    ironic = [
        _ingest(api, cast, f"irony-{i}", f"Lekker dan, {thing}.")
        for i, thing in enumerate(["weer geen bereik", "alweer de router", "de app weer plat"])
    ]
    with unit_of_work(runtime.session_factory) as session:
        triage.enrich_new(session, cast.workspace.id)
    for message in ironic:
        api.put(f"/api/v1/messages/{message}/triage/sentiment", json={"label": "negative"})
    with unit_of_work(runtime.session_factory) as session:
        report = train_workspace(session, cast.workspace.id, base=BASE)
        nothing = train_workspace(session, other_cast.workspace.id, base=BASE)
    assert report.corrections == 3
    assert report.version is not None
    assert report.version.startswith(f"ws{cast.workspace.id}-")
    assert "sentiment" in report.figures
    assert nothing.version is None  # no corrections, nothing trained
    with runtime.session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(WorkspaceModel)) == 1
    # A new ironic message in this workspace is read the team's way, by the team's model.
    fresh = _ingest(api, cast, "irony-new", "Lekker dan, weer geen bereik vandaag.")
    with unit_of_work(runtime.session_factory) as session:
        triage.enrich_new(session, cast.workspace.id)
    with runtime.session_factory() as session:
        row = session.get(MessageTriage, fresh)
        assert row is not None
        assert row.sentiment == "negative"
        assert row.versions["sentiment"] == f"sentiment-{report.version}"
    # The other workspace still gets the shipped model.
    other = TestClient(api.app)
    other.headers["Authorization"] = f"Bearer {token_for(runtime, other_cast)}"
    url = f"/api/v1/channel-accounts/{other_cast.accounts['api'].id}/messages"
    created = other.post(url, json=payload("o-1", "Lekker dan, weer geen bereik vandaag."))
    with unit_of_work(runtime.session_factory) as session:
        triage.enrich_new(session, other_cast.workspace.id)
    with runtime.session_factory() as session:
        row = session.get(MessageTriage, created.json()["message_id"])
        assert row is not None
        assert not row.versions["sentiment"].startswith("sentiment-ws")
