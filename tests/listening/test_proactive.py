"""Proactive webcare: routed hits reach the inbox once, and nothing is sent by itself."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.listening.helpers import percolate, post
from webcare.channel.models import ChannelAccount
from webcare.conversation.models import Conversation, ConversationLabel, Direction, Label, Message
from webcare.demo.cast import Cast
from webcare.kit.db import unit_of_work
from webcare.kit.time import utc_now
from webcare.runtime import Runtime
from webcare.worker.models import Job

QUERIES = "/api/v1/listening/queries"


def _label_id(runtime: Runtime, cast: Cast, name: str) -> int:
    with unit_of_work(runtime.session_factory) as session:
        return int(
            session.scalar(
                sa.select(Label.id).where(
                    Label.workspace_id == cast.workspace.id, Label.name == name
                )
            )
            or 0
        )


def _routed(api: TestClient, name: str, query: str, **extra: Any) -> int:
    body = {"name": name, "query": query, "route_to_inbox": True, **extra}
    response = api.post(QUERIES, json=body)
    assert response.status_code == 201, response.text
    query_id: int = response.json()["id"]
    return query_id


def _import(api: TestClient, *items: tuple[str, str]) -> list[int]:
    published = (utc_now() - timedelta(hours=2)).isoformat()
    response = api.post(
        "/api/v1/listening/mentions",
        json={
            "source": "Nieuws",
            "items": [
                {
                    "external_id": key,
                    "published_at": published,
                    "title": title,
                    "text": f"{title}. Meer nieuws volgt.",
                    "url": f"https://nieuws.example.nl/{key}",
                    "author": "redactie",
                    "reach": 250000,
                    "lang": "nl",
                }
                for key, title in items
            ],
        },
    )
    assert response.status_code == 200, response.text
    ids: list[int] = response.json()["mention_ids"]
    return ids


def _conversations(runtime: Runtime) -> list[Conversation]:
    with unit_of_work(runtime.session_factory) as session:
        return list(session.scalars(sa.select(Conversation).order_by(Conversation.id)))


def _labels(runtime: Runtime, conversation_id: int) -> set[str]:
    with unit_of_work(runtime.session_factory) as session:
        stmt = (
            sa.select(Label.name)
            .join(ConversationLabel, ConversationLabel.label_id == Label.id)
            .where(ConversationLabel.conversation_id == conversation_id)
        )
        return set(session.scalars(stmt))


def test_a_routed_mention_becomes_one_proactive_conversation(
    api: TestClient, runtime: Runtime, cast: Cast
) -> None:
    team = cast.teams["Storingen"]
    storing = _routed(
        api,
        "Storing in het nieuws",
        "glasnet AND storing",
        team_id=team,
        label_id=_label_id(runtime, cast, "storing"),
        priority="high",
    )
    _routed(api, "Merk", "glasnet", label_id=_label_id(runtime, cast, "klacht"))
    _import(api, ("a1", "Grote storing bij Glasnet in Amsterdam"), ("a2", "Weerbericht"))
    before = len(_conversations(runtime))

    outcome = percolate(runtime)

    conversations = _conversations(runtime)
    assert len(conversations) == before + 1, "two queries, one mention: one conversation"
    proactive = conversations[-1]
    assert proactive.proactive is True
    assert proactive.team_id == team
    assert proactive.priority == "high"
    assert _labels(runtime, proactive.id) == {"storing", "klacht"}
    assert outcome.conversations == [proactive.id]
    hits = api.get(f"{QUERIES}/{storing}/hits").json()["items"]
    assert [h["conversation_id"] for h in hits] == [proactive.id]
    with unit_of_work(runtime.session_factory) as session:
        account = session.get(ChannelAccount, proactive.channel_account_id)
        assert account is not None
        assert account.platform == "web"
        assert account.display_name == "Monitored sources"
        outbound = session.scalar(
            sa.select(sa.func.count())
            .select_from(Message)
            .where(Message.direction == Direction.OUTBOUND.value)
        )
        assert outbound == 0, "nothing is sent automatically"
        sends = sa.select(sa.func.count()).where(Job.name == "channel.send_reply")
        assert session.scalar(sends) == 0

    # The web account's copy of the mention is not percolated a second time.
    assert percolate(runtime).hits == 0
    _import(api, ("a3", "Glasnet breidt uit"))
    percolate(runtime)
    conversations = _conversations(runtime)
    assert len(conversations) == before + 2
    assert conversations[-1].channel_account_id == proactive.channel_account_id, "one web account"


def test_a_hit_on_an_own_channel_post_is_labelled_not_duplicated(
    api: TestClient, runtime: Runtime, cast: Cast
) -> None:
    team = cast.teams["Storingen"]
    _routed(
        api,
        "Storingen",
        "storing",
        team_id=team,
        label_id=_label_id(runtime, cast, "storing"),
        priority="urgent",
    )
    result = post(runtime, cast.accounts["x"], "Glasnet heeft weer een storing")
    before = len(_conversations(runtime))
    percolate(runtime)
    conversations = _conversations(runtime)
    assert len(conversations) == before
    conversation = next(c for c in conversations if c.id == result.conversation_id)
    assert conversation.proactive is False
    assert conversation.team_id == team
    assert conversation.priority == "urgent"
    assert _labels(runtime, conversation.id) == {"storing"}


def test_queries_without_routing_only_store_hits(
    api: TestClient, runtime: Runtime, cast: Cast
) -> None:
    response = api.post(QUERIES, json={"name": "Merk", "query": "glasnet"})
    query_id = response.json()["id"]
    _import(api, ("b1", "Glasnet in het nieuws"))
    result = post(runtime, cast.accounts["x"], "glasnet is top")
    before = _conversations(runtime)
    percolate(runtime)
    after = _conversations(runtime)
    assert len(after) == len(before)
    assert _labels(runtime, result.conversation_id) == set()
    hits = api.get(f"{QUERIES}/{query_id}/hits").json()["items"]
    assert len(hits) == 2
