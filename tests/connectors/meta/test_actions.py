"""Hide, unhide and like on Facebook and Instagram: the connector against the simulator, and the
platform-neutral actions API (``POST /api/v1/messages/{id}/actions``) through the worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.channel.meta_setup import (
    APP_SECRET,
    PAGE_ID,
    Sim,
    connect,
    inbound,
    make_jobs_due,
    sim,
    webhook_path,
)
from tests.conftest import drain_jobs, token_for
from webcare.audit.models import AuditEvent
from webcare.channel import actions
from webcare.channel.ports import Action, AuthFailed, ChannelContext, PermanentError
from webcare.connectors.meta.client import MetaActor, MetaChecker
from webcare.demo.cast import Cast
from webcare.runtime import Runtime
from webcare.simulator.app import create_simulator_app
from webcare.simulator.platforms import meta
from webcare.simulator.state import Fault, SimState

__all__ = ["sim"]  # the fixture

SETTINGS = {"page_id": PAGE_ID, "ig_user_id": "17841401234567890"}
COMMENT_ID = "987654321098765_1122334455667788"


@pytest.fixture
def state() -> SimState:
    return SimState()


@pytest.fixture
def graph(state: SimState) -> Iterator[TestClient]:
    with TestClient(create_simulator_app(state)) as client:
        yield client


def _channel(token: str = meta.DEFAULT_TOKEN) -> ChannelContext:
    settings = {**SETTINGS, "api_base": "http://testserver/meta"}
    return ChannelContext(7, "glasnet", settings, {"page_access_token": token})


# The connector ------------------------------------------------------------------------------


def test_facebook_hide_unhide_and_like_a_comment(graph: TestClient, state: SimState) -> None:
    actor = MetaActor.facebook(graph)
    actor.perform(_channel(), Action.HIDE, COMMENT_ID)
    actor.perform(_channel(), Action.UNHIDE, COMMENT_ID)
    actor.perform(_channel(), Action.LIKE, COMMENT_ID)

    sent = state.sent("facebook")
    assert [(s.kind, s.external_id) for s in sent] == [
        ("hide", COMMENT_ID),
        ("unhide", COMMENT_ID),
        ("like", COMMENT_ID),
    ]
    assert sent[0].request["is_hidden"] is True
    assert sent[1].request["is_hidden"] is False


def test_instagram_hides_with_the_hide_field_and_cannot_like(
    graph: TestClient, state: SimState
) -> None:
    actor = MetaActor.instagram(graph)
    assert actor.supported_actions() == {Action.HIDE, Action.UNHIDE}
    actor.perform(_channel(), Action.HIDE, "17865799348089039")

    (sent,) = state.sent("instagram")
    assert (sent.kind, sent.request["hide"]) == ("hide", True)
    with pytest.raises(PermanentError, match="does not support"):
        actor.perform(_channel(), Action.LIKE, "17865799348089039")
    assert len(state.sent()) == 1


def test_actor_with_an_expired_token_is_auth_failed(graph: TestClient, state: SimState) -> None:
    with pytest.raises(AuthFailed, match="190"):
        MetaActor.facebook(graph).perform(_channel("old"), Action.HIDE, COMMENT_ID)
    assert state.sent() == []


def test_checker_names_the_page_and_the_instagram_account(graph: TestClient) -> None:
    assert MetaChecker.facebook(graph).check(_channel()) == "Connected as Glasnet"
    assert MetaChecker.instagram(graph).check(_channel()) == "Connected as @glasnet.nl"


def test_checker_with_an_expired_token_is_auth_failed(graph: TestClient) -> None:
    with pytest.raises(AuthFailed):
        MetaChecker.facebook(graph).check(_channel("expired"))


def test_supported_actions_per_platform() -> None:
    assert actions.supported_actions("facebook") == {Action.LIKE, Action.HIDE, Action.UNHIDE}
    assert actions.supported_actions("instagram") == {Action.HIDE, Action.UNHIDE}
    assert actions.supported_actions("email") == frozenset()


# The actions API ----------------------------------------------------------------------------


def _customer_comment(api: TestClient, app_client: TestClient, sim: Sim, platform: str) -> int:
    """A customer's comment in webcare; returns its message id."""
    account = connect(api, sim, platform)
    path = webhook_path(account)
    if platform == "facebook":
        meta.deliver_facebook_comment(
            app_client,
            path,
            APP_SECRET,
            page_id=PAGE_ID,
            post_id=f"{PAGE_ID}_987654321098765",
            comment_id=COMMENT_ID,
            author_id="7012345678901234",
            author_name="Jan de Vries",
            text="Kijk eens op mijn site: goedkope-pillen.example",
        )
        return api_message_id(api, COMMENT_ID)
    meta.deliver_instagram_comment(
        app_client,
        path,
        APP_SECRET,
        ig_user_id="17841401234567890",
        media_id="17887498072083520",
        comment_id="17865799348089039",
        author_id="5438123456789012",
        username="lisa.bakker",
        text="spam spam spam",
    )
    return api_message_id(api, "17865799348089039")


def api_message_id(api: TestClient, external_id: str) -> int:
    (conversation,) = api.get("/api/v1/conversations").json()["items"]
    detail = api.get(f"/api/v1/conversations/{conversation['id']}").json()
    (found,) = [m for m in detail["messages"] if m["external_id"] == external_id]
    return int(found["id"])


def _trail(runtime: Runtime) -> list[AuditEvent]:
    with runtime.session_factory() as session:
        return list(session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)))


def test_hide_via_the_api_hides_on_facebook_and_records_it(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    message_id = _customer_comment(api, app_client, sim, "facebook")
    response = api.post(f"/api/v1/messages/{message_id}/actions", json={"action": "hide"})
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert sim.state.sent() == []  # nothing leaves before the worker runs

    drain_jobs(runtime)
    drain_jobs(runtime)
    (sent,) = sim.state.sent()
    assert (sent.platform, sent.kind, sent.external_id) == ("facebook", "hide", COMMENT_ID)
    assert inbound(runtime, COMMENT_ID).hidden_at is not None
    actions_done = [e.action for e in _trail(runtime) if e.action.startswith("message.")]
    assert actions_done == ["message.action_requested", "message.hidden"]

    api.post(f"/api/v1/messages/{message_id}/actions", json={"action": "unhide"})
    drain_jobs(runtime)
    assert inbound(runtime, COMMENT_ID).hidden_at is None
    assert [s.kind for s in sim.state.sent()] == ["hide", "unhide"]


def test_like_on_facebook_is_remembered(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    message_id = _customer_comment(api, app_client, sim, "facebook")
    api.post(f"/api/v1/messages/{message_id}/actions", json={"action": "like"})
    drain_jobs(runtime)
    assert [s.kind for s in sim.state.sent()] == ["like"]
    assert inbound(runtime, COMMENT_ID).liked_at is not None


def test_like_on_instagram_is_a_clear_422_and_queues_nothing(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    message_id = _customer_comment(api, app_client, sim, "instagram")
    drain_jobs(runtime)  # the comment's own follow-up work (triage) first
    response = api.post(f"/api/v1/messages/{message_id}/actions", json={"action": "like"})
    assert response.status_code == 422
    assert response.json()["detail"] == "Instagram does not support liking messages"
    assert drain_jobs(runtime) == 0
    assert sim.state.sent() == []


def test_hide_on_instagram_works(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    message_id = _customer_comment(api, app_client, sim, "instagram")
    assert api.post(f"/api/v1/messages/{message_id}/actions", json={"action": "hide"}).is_success
    drain_jobs(runtime)
    (sent,) = sim.state.sent("instagram")
    assert sent.kind == "hide"


def test_unknown_action_and_unknown_message_are_refused(
    api: TestClient, app_client: TestClient, sim: Sim
) -> None:
    message_id = _customer_comment(api, app_client, sim, "facebook")
    bad = api.post(f"/api/v1/messages/{message_id}/actions", json={"action": "delete"})
    assert bad.status_code == 422
    missing = api.post("/api/v1/messages/999999/actions", json={"action": "hide"})
    assert missing.status_code == 404


def test_actions_on_private_messages_and_our_replies_are_refused(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    account = connect(api, sim, "facebook")
    meta.deliver_messenger_message(
        app_client,
        webhook_path(account),
        APP_SECRET,
        page_id=PAGE_ID,
        sender_id="6791234567890123",
        mid="m_private",
        text="Privé vraag",
    )
    private_id = api_message_id(api, "m_private")
    refused = api.post(f"/api/v1/messages/{private_id}/actions", json={"action": "hide"})
    assert refused.status_code == 422
    assert "public comments" in refused.json()["detail"]

    conversation_id = inbound(runtime, "m_private").conversation_id
    reply = api.post(f"/api/v1/conversations/{conversation_id}/replies", json={"text": "Hoi!"})
    ours = api.post(f"/api/v1/messages/{reply.json()['id']}/actions", json={"action": "hide"})
    assert ours.status_code == 422
    assert "our own replies" in ours.json()["detail"]


def test_a_viewer_may_not_hide(
    api: TestClient, app_client: TestClient, runtime: Runtime, cast: Cast, sim: Sim
) -> None:
    message_id = _customer_comment(api, app_client, sim, "facebook")
    drain_jobs(runtime)  # the comment's own follow-up work (triage) first
    reader = token_for(runtime, cast, scopes=["conversations:read"])
    response = app_client.post(
        f"/api/v1/messages/{message_id}/actions",
        json={"action": "hide"},
        headers={"Authorization": f"Bearer {reader}"},
    )
    assert response.status_code == 403
    assert drain_jobs(runtime) == 0


def test_expired_token_on_hide_flags_the_channel_and_records_the_reason(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    message_id = _customer_comment(api, app_client, sim, "facebook")
    sim.state.add_fault("meta", Fault(401))
    api.post(f"/api/v1/messages/{message_id}/actions", json={"action": "hide"})
    drain_jobs(runtime)

    assert inbound(runtime, COMMENT_ID).hidden_at is None
    (failure,) = [e for e in _trail(runtime) if e.action == "message.action_failed"]
    assert "re-authorisation" in failure.data["reason"]
    accounts = api.get("/api/v1/channel-accounts").json()
    flagged = [a["settings"].get("api_base") for a in accounts if a["health"] == "needs_reauth"]
    assert flagged == [f"{sim.url}/meta"]  # the simulated Page, not the demo's other accounts


def test_rate_limited_hide_waits_and_then_hides_once(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    message_id = _customer_comment(api, app_client, sim, "facebook")
    sim.state.add_fault("meta", Fault(429, retry_after=60))
    api.post(f"/api/v1/messages/{message_id}/actions", json={"action": "hide"})
    drain_jobs(runtime)
    assert sim.state.sent() == []
    assert inbound(runtime, COMMENT_ID).hidden_at is None

    make_jobs_due(runtime)
    drain_jobs(runtime)
    assert [s.kind for s in sim.state.sent()] == ["hide"]
    assert inbound(runtime, COMMENT_ID).hidden_at is not None


def test_unhide_stays_possible_after_meta_reports_the_comment_hidden(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    message_id = _customer_comment(api, app_client, sim, "facebook")
    api.post(f"/api/v1/messages/{message_id}/actions", json={"action": "hide"})
    drain_jobs(runtime)
    accounts = api.get("/api/v1/channel-accounts").json()
    (account,) = [a for a in accounts if a["settings"].get("api_base") == f"{sim.url}/meta"]
    value = {
        "item": "comment",
        "verb": "hide",
        "comment_id": COMMENT_ID,
        "post_id": f"{PAGE_ID}_987654321098765",
        "created_time": 1732270500,
        "from": {"id": "7012345678901234", "name": "Jan de Vries"},
    }
    feed = {"field": "feed", "value": value}
    payload = {"object": "page", "entry": [{"id": PAGE_ID, "time": 1732270500, "changes": [feed]}]}
    meta.deliver(app_client, webhook_path(account), APP_SECRET, payload)
    assert inbound(runtime, COMMENT_ID).deleted_at is not None

    again = api.post(f"/api/v1/messages/{message_id}/actions", json={"action": "hide"})
    assert again.status_code == 422
    unhide = api.post(f"/api/v1/messages/{message_id}/actions", json={"action": "unhide"})
    assert unhide.status_code == 202
    drain_jobs(runtime)
    assert [s.kind for s in sim.state.sent()] == ["hide", "unhide"]
