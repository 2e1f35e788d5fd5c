"""X recent search as a monitored source, through the X connector and the X simulator: posts
that do not tag the brand become mentions, and a routing query opens the conversation on the X
account, so the agent answers on X and nothing is duplicated."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import drain_jobs
from tests.listening.helpers import percolate
from tests.live import live_simulator
from webcare.channel.models import ChannelAccount
from webcare.conversation.models import Conversation, Message
from webcare.demo.cast import Cast
from webcare.kit.db import unit_of_work
from webcare.kit.time import utc_now
from webcare.listening import x_search
from webcare.listening.models import ListeningSource, Mention
from webcare.runtime import Runtime
from webcare.simulator.platforms import x as sim_x
from webcare.simulator.state import SimState

CUSTOMER = {"id": "9001", "username": "treinreiziger", "name": "Tessa", "followers_count": 4800}


@pytest.fixture
def sim(api: TestClient, cast: Cast) -> Iterator[tuple[str, SimState]]:
    with live_simulator() as (url, state):
        me = httpx.get(
            f"{url}/x/2/users/me", headers={"Authorization": "Bearer sim-x-token"}
        ).json()["data"]
        api.patch(
            f"/api/v1/channel-accounts/{cast.accounts['x'].id}/credentials",
            json={
                "values": {
                    "user_id": me["id"],
                    "access_token": "sim-x-token",
                    "api_base": f"{url}/x",
                }
            },
        )
        yield url, state


def _search(runtime: Runtime, at: datetime | None = None) -> int:
    with unit_of_work(runtime.session_factory) as session, httpx.Client() as client:
        return x_search.poll(
            runtime.session_factory, session, runtime.secret_box, client, at or utc_now()
        )


def test_posts_found_by_search_become_proactive_conversations_on_the_x_account(
    api: TestClient, runtime: Runtime, cast: Cast, sim: tuple[str, SimState]
) -> None:
    _, state = sim
    post = sim_x.add_post(state, "Alweer een glasnet storing in Utrecht, niks werkt", CUSTOMER)
    sim_x.add_post(state, "Mooi weer vandaag", CUSTOMER)
    query = api.post(
        "/api/v1/listening/queries",
        json={"name": "Storingen", "query": "glasnet AND storing", "route_to_inbox": True},
    )
    assert query.status_code == 201, query.text
    source = api.post(
        "/api/v1/listening/x-searches",
        json={
            "name": "Glasnet op X",
            "channel_account_id": cast.accounts["x"].id,
            "query": "glasnet",
        },
    )
    assert source.status_code == 201, source.text
    assert _search(runtime) == 1
    percolate(runtime)
    with runtime.session_factory() as session:
        mention = session.scalars(sa.select(Mention)).one()
        assert mention.url == f"https://x.com/treinreiziger/status/{post['id']}"
        assert mention.reach == 4800
        conversation = session.scalars(
            sa.select(Conversation).where(Conversation.proactive.is_(True))
        ).one()
        assert conversation.channel_account_id == cast.accounts["x"].id
        message = session.scalars(
            sa.select(Message).where(Message.conversation_id == conversation.id)
        ).one()
        assert message.external_id == post["id"]
        stored = session.get(ListeningSource, source.json()["id"])
        assert stored is not None
        assert stored.since_id == post["id"]
    # Searching again (after the interval) finds nothing new: since_id moved on.
    assert _search(runtime, utc_now() + timedelta(minutes=6)) == 0
    # The agent answers on X, as a reply to the customer's post.
    reply = api.post(
        f"/api/v1/conversations/{conversation.id}/replies",
        json={"text": "Wat vervelend! We kijken mee.", "visibility": "public"},
    )
    assert reply.status_code in (201, 202), reply.text
    drain_jobs(runtime)
    sent = state.sent("x")
    assert [s.in_reply_to for s in sent] == [post["id"]]


def test_an_x_search_needs_an_x_account_and_a_query(api: TestClient, cast: Cast) -> None:
    wrong = api.post(
        "/api/v1/listening/x-searches",
        json={"name": "Via mail", "channel_account_id": cast.accounts["email"].id, "query": "x"},
    )
    assert wrong.status_code == 422
    assert "X account" in wrong.json()["detail"]
    blank = api.post(
        "/api/v1/listening/x-searches",
        json={"name": "Leeg", "channel_account_id": cast.accounts["x"].id, "query": "   "},
    )
    assert blank.status_code == 422


def test_a_rejected_token_is_recorded_and_flags_the_account(
    api: TestClient, runtime: Runtime, cast: Cast, sim: tuple[str, SimState]
) -> None:
    api.post(
        "/api/v1/listening/x-searches",
        json={
            "name": "Glasnet op X",
            "channel_account_id": cast.accounts["x"].id,
            "query": "glasnet",
        },
    )
    api.patch(
        f"/api/v1/channel-accounts/{cast.accounts['x'].id}/credentials",
        json={"values": {"access_token": "expired"}},
    )
    assert _search(runtime) == 0
    with runtime.session_factory() as session:
        source = session.scalars(sa.select(ListeningSource)).one()
        assert source.last_error
        account = session.get(ChannelAccount, cast.accounts["x"].id)
        assert account is not None
        assert account.health == "needs_reauth"
