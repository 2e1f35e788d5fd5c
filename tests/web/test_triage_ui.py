"""Triage in the agent UI: chips and reasons on a customer's message, the personal-data
warning, correcting a label, the urgency sort, and the admin's triage settings."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.web.conftest import OpenAs
from tests.web.ui import htmx, ingest
from webcare.channel.ports import Author, ConversationKind, InboundMessage, MessageVisibility
from webcare.conversation.models import Conversation
from webcare.demo.cast import Cast
from webcare.ingestion import service as ingestion
from webcare.kit.db import unit_of_work
from webcare.kit.time import utc_now
from webcare.runtime import Runtime
from webcare.triage import service as triage
from webcare.triage.models import MessageTriage, TriageCorrection
from webcare.worker.models import Job
from webcare.workspace.models import Membership, Workspace


def _enrich(runtime: Runtime, cast: Cast) -> None:
    with unit_of_work(runtime.session_factory) as session:
        triage.enrich_new(session, cast.workspace.id)


def test_conversation_shows_triage_and_warns_about_personal_data_in_public(
    agent: OpenAs, api: TestClient, cast: Cast, runtime: Runtime
) -> None:
    conversation = ingest(
        api,
        cast,
        "p1",
        "Dit is echt belachelijk, al weken geen internet. Mijn nummer is 06 12345678",
        kind="public_thread",
        visibility="public",
    )
    _enrich(runtime, cast)
    client, _ = agent("anna")
    page = client.get(f"/inbox/c/{conversation}").text
    assert 'class="chip sentiment s-negative"' in page
    assert "Urgency" in page
    assert "This public message contains personal data (phone number)" in page
    warning = page[page.index('class="pii-warning"') :]
    warning = warning[: warning.index("</div>")]
    assert "12345678" not in warning  # the warning names the kind, never the value
    dutch, _ = agent("lars", locale="nl")
    assert (
        "Dit openbare bericht bevat persoonsgegevens (telefoonnummer)"
        in dutch.get(f"/inbox/c/{conversation}").text
    )


def test_agent_corrects_intent_from_the_conversation(
    agent: OpenAs, api: TestClient, cast: Cast, runtime: Runtime
) -> None:
    conversation = ingest(api, cast, "q1", "Wanneer komt de monteur?")
    _enrich(runtime, cast)
    client, csrf = agent("anna")
    with runtime.session_factory() as session:
        row = session.scalars(sa.select(MessageTriage)).one()
        message_id = row.message_id
        before = row.sentiment
    response = client.post(
        f"/inbox/c/{conversation}/messages/{message_id}/triage",
        data={"sentiment": before, "intent": "request"},
        headers=htmx(csrf, "conversation"),
    )
    assert response.status_code == 200
    assert 'class="chip corrected"' in response.text
    with runtime.session_factory() as session:
        labels = session.scalars(sa.select(TriageCorrection)).all()
        # Only what the agent changed becomes a label; the untouched sentiment does not.
        assert [(c.task, c.label) for c in labels] == [("intent", "request")]
    bad = client.post(
        f"/inbox/c/{conversation}/messages/{message_id}/triage",
        data={"intent": "shouting"},
        headers=htmx(csrf, "conversation"),
    )
    assert bad.status_code == 422


def test_list_can_be_sorted_by_urgency(
    agent: OpenAs, api: TestClient, cast: Cast, runtime: Runtime
) -> None:
    calm = ingest(api, cast, "u1", "Fijne dag nog!", author="blij")
    angry = ingest(
        api, cast, "u2", "Slechtste service ooit, ik ga opzeggen en stap over!", author="boos"
    )
    _enrich(runtime, cast)
    client, _ = agent("anna")
    page = client.get("/inbox", params={"view": "open", "sort": "urgency"}).text
    assert page.index(f'data-id="{angry}"') < page.index(f'data-id="{calm}"')
    assert "⚡" in page


def test_admin_sets_keywords_and_customer_numbers_and_bad_patterns_are_refused(
    agent: OpenAs, api: TestClient, cast: Cast, runtime: Runtime
) -> None:
    client, csrf = agent("beheer")
    page = client.get("/admin/triage")
    assert page.status_code == 200
    assert "opzeggen = 15" in page.text
    saved = client.post(
        "/admin/triage",
        data={
            "csrf_token": csrf,
            "keywords": "storing = 20\nopzeggen",
            "customer_numbers": r"klantnummer: KL-\d{6}",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    with runtime.session_factory() as session:
        workspace = session.get(Workspace, cast.workspace.id)
        assert workspace is not None
        assert workspace.settings["triage"]["keywords"] == [["storing", 20], ["opzeggen", 15]]
    bad = client.post(
        "/admin/triage",
        data={"csrf_token": csrf, "keywords": "storing = veel", "customer_numbers": ""},
    )
    assert bad.status_code == 422
    assert "whole number" in bad.text
    nested = client.post(
        "/admin/triage",
        data={"csrf_token": csrf, "keywords": "", "customer_numbers": "kl: (a+)+"},
    )
    assert nested.status_code == 422
    with runtime.session_factory() as session:
        workspace = session.get(Workspace, cast.workspace.id)
        assert workspace is not None
        assert workspace.settings["triage"]["keywords"] == [["storing", 20], ["opzeggen", 15]]
    # The workspace's customer-number pattern now flags numbers in public messages.
    ingest(
        api,
        cast,
        "k1",
        "Mijn klantnummer is KL-123456, help!",
        kind="public_thread",
        visibility="public",
    )
    _enrich(runtime, cast)
    with runtime.session_factory() as session:
        row = session.scalars(sa.select(MessageTriage)).one()
        assert [p["kind"] for p in row.pii] == ["customer_number"]
    rerun = client.post("/admin/triage/rerun", data={"csrf_token": csrf}, follow_redirects=False)
    assert rerun.status_code == 303
    progress = client.get("/admin/triage/run")
    assert "Queued" in progress.text
    assert 'hx-trigger="every 2s"' in progress.text


def test_agent_hides_and_likes_a_facebook_comment_from_the_conversation(
    agent: OpenAs, cast: Cast, runtime: Runtime
) -> None:
    with unit_of_work(runtime.session_factory) as session:
        account = session.merge(cast.accounts["facebook"])
        result = ingestion.ingest(
            session,
            account,
            InboundMessage(
                external_id="123_456",
                author=Author("psid-1", name="Kees"),
                text="Waarom reageren jullie niet?",
                platform_time=utc_now(),
                kind=ConversationKind.PUBLIC_THREAD,
                visibility=MessageVisibility.PUBLIC,
            ),
            reopen_window=timedelta(hours=72),
        )
    client, csrf = agent("anna")
    page = client.get(f"/inbox/c/{result.conversation_id}").text
    assert f"/messages/{result.message_id}/hide" in page
    assert f"/messages/{result.message_id}/like" in page
    hidden = client.post(
        f"/inbox/c/{result.conversation_id}/messages/{result.message_id}/hide",
        headers=htmx(csrf, "conversation"),
    )
    assert hidden.status_code == 200
    unknown = client.post(
        f"/inbox/c/{result.conversation_id}/messages/{result.message_id}/delete",
        headers=htmx(csrf, "conversation"),
    )
    assert unknown.status_code == 404
    with runtime.session_factory() as session:
        jobs = session.scalars(sa.select(Job).where(Job.name == "channel.perform_action")).all()
        assert [j.payload["action"] for j in jobs] == ["hide"]


def test_a_viewer_reads_but_cannot_change_a_conversation(
    agent: OpenAs, api: TestClient, cast: Cast, runtime: Runtime
) -> None:
    conversation = ingest(api, cast, "v1", "Wanneer komt de monteur?")
    _enrich(runtime, cast)
    with runtime.engine.begin() as conn:
        conn.execute(
            sa.update(Membership)
            .where(Membership.user_id == cast.users["youssef"])
            .values(role="viewer")
        )
    client, csrf = agent("youssef")
    assert client.get(f"/inbox/c/{conversation}").status_code == 200
    with runtime.session_factory() as session:
        message_id = session.scalars(sa.select(MessageTriage.message_id)).one()
    for path, data in (
        (f"/inbox/c/{conversation}/note", {"text": "mag ik dit?"}),
        (f"/inbox/c/{conversation}/status", {"status": "resolved"}),
        (f"/inbox/c/{conversation}/messages/{message_id}/triage", {"intent": "request"}),
    ):
        refused = client.post(path, data=data, headers=htmx(csrf, "conversation"))
        assert refused.status_code == 403, path
    with runtime.session_factory() as session:
        assert session.scalars(sa.select(TriageCorrection)).all() == []
        status = session.scalar(sa.select(Conversation.status))
        assert status == "open"
