"""The inbox API: filters, order, cursor pages, search, actions with an activity trail."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.ingestion.helpers import payload
from webcare.demo.cast import Cast
from webcare.runtime import Runtime


def _ingest(api: TestClient, cast: Cast, external_id: str, text: str, **extra: Any) -> int:
    url = f"/api/v1/channel-accounts/{cast.accounts['api'].id}/messages"
    return int(api.post(url, json=payload(external_id, text, **extra)).json()["conversation_id"])


@pytest.fixture
def inbox(api: TestClient, cast: Cast) -> dict[str, int]:
    return {
        "oldest": _ingest(
            api,
            cast,
            "a",
            "Wanneer is de storing in Utrecht voorbij? #storing",
            author="u1",
            minutes_ago=300,
            kind="public_thread",
        ),
        "café": _ingest(
            api,
            cast,
            "b",
            "Het café naast ons heeft wél internet, wij niet",
            author="u2",
            minutes_ago=200,
        ),
        "mention": _ingest(
            api,
            cast,
            "c",
            "@GlasnetHelpt mijn factuur is te hoog",
            author="u3",
            minutes_ago=100,
            kind="public_thread",
        ),
        "newest": _ingest(
            api, cast, "d", "Thanks for the quick fix, great service!", author="u4", minutes_ago=10
        ),
    }


def _ids(api: TestClient, query: str = "") -> list[int]:
    return [item["id"] for item in api.get(f"/api/v1/conversations{query}").json()["items"]]


def test_default_order_is_longest_waiting_first(api: TestClient, inbox: dict[str, int]) -> None:
    assert _ids(api) == [inbox["oldest"], inbox["café"], inbox["mention"], inbox["newest"]]
    assert _ids(api, "?sort=newest")[0] == inbox["newest"]


def test_cursor_pages_cover_everything_once(api: TestClient, inbox: dict[str, int]) -> None:
    seen: list[int] = []
    cursor = None
    while True:
        query = "?limit=1" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(f"/api/v1/conversations{query}").json()
        assert page["total"] == 4
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == _ids(api)


def test_bad_cursor_is_a_clear_422(api: TestClient, inbox: dict[str, int]) -> None:
    response = api.get("/api/v1/conversations?cursor=nonsense!!")
    assert response.status_code == 422
    assert "cursor" in response.json()["detail"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cafe", ["café"]),  # accent folding: unaccented query finds accented text
        ("café", ["café"]),
        ("#storing", ["oldest"]),
        ("storing", ["oldest"]),
        ("@glasnethelpt", ["mention"]),
        ("FACTUUR", ["mention"]),
        ("fact*", ["mention"]),
        ("great service", ["newest"]),
        ("internet storing", []),
        ("'; DROP TABLE messages; --", []),
        ('"unbalanced', []),
    ],
)
def test_full_text_search(
    api: TestClient, inbox: dict[str, int], query: str, expected: list[str]
) -> None:
    response = api.get("/api/v1/conversations", params={"q": query})
    assert response.status_code == 200
    assert sorted(item["id"] for item in response.json()["items"]) == sorted(
        inbox[n] for n in expected
    )


def test_hashtag_search_does_not_match_plain_mentions_of_the_word(
    api: TestClient, cast: Cast, inbox: dict[str, int]
) -> None:
    plain = _ingest(api, cast, "e", "Is er een storing bij jullie?", author="u5")
    hits = {
        i["id"] for i in api.get("/api/v1/conversations", params={"q": "#storing"}).json()["items"]
    }
    assert hits == {inbox["oldest"]}
    assert plain in {
        i["id"] for i in api.get("/api/v1/conversations", params={"q": "storing"}).json()["items"]
    }


def test_filters(api: TestClient, cast: Cast, inbox: dict[str, int]) -> None:
    anna = cast.users["anna"]
    api.post(f"/api/v1/conversations/{inbox['mention']}/assign", json={"assignee_id": anna})
    api.post(f"/api/v1/conversations/{inbox['mention']}/labels", json={"name": "factuur"})
    api.post(f"/api/v1/conversations/{inbox['newest']}/status", json={"status": "resolved"})
    assert _ids(api, f"?assignee={anna}") == [inbox["mention"]]
    assert inbox["mention"] not in _ids(api, "?assignee=none")
    assert _ids(api, "?label=factuur") == [inbox["mention"]]
    assert _ids(api, "?status=resolved") == [inbox["newest"]]
    assert set(_ids(api, "?status=open&status=pending")) == {
        inbox["oldest"],
        inbox["café"],
        inbox["mention"],
    }
    assert set(_ids(api, "?visibility=public")) == {inbox["oldest"], inbox["mention"]}
    assert _ids(api, "?platform=x") == []
    assert api.get("/api/v1/conversations?status=nonsense").status_code == 422


def test_actions_leave_an_activity_trail_with_the_actor(
    api: TestClient, cast: Cast, inbox: dict[str, int]
) -> None:
    c = inbox["oldest"]
    api.post(
        f"/api/v1/conversations/{c}/assign",
        json={"assignee_id": cast.users["anna"], "team_id": cast.teams["Storingen"]},
    )
    api.post(f"/api/v1/conversations/{c}/priority", json={"priority": "urgent"})
    api.post(f"/api/v1/conversations/{c}/labels", json={"name": "storing"})
    api.delete(f"/api/v1/conversations/{c}/labels/storing")
    api.post(
        f"/api/v1/conversations/{c}/status",
        json={"status": "snoozed", "snoozed_until": "2099-01-01T08:00:00Z"},
    )
    note = api.post(
        f"/api/v1/conversations/{c}/notes", json={"text": "@lars kun jij even bellen?"}
    ).json()
    detail = api.get(f"/api/v1/conversations/{c}").json()
    actions = [a["action"] for a in detail["activity"]]
    assert actions == [
        "conversation.assigned",
        "conversation.priority",
        "conversation.labelled",
        "conversation.unlabelled",
        "conversation.status.snoozed",
        "note.added",
    ]
    assert {a["actor_user_id"] for a in detail["activity"]} == {cast.users["beheer"]}
    assert (detail["status"], detail["priority"], detail["team_id"]) == (
        "snoozed",
        "urgent",
        cast.teams["Storingen"],
    )
    assert note["mentions"] == [cast.users["lars"]]
    assert detail["notes"][0]["text"] == "@lars kun jij even bellen?"


def test_invalid_actions_are_refused(
    api: TestClient, cast: Cast, other_cast: Cast, inbox: dict[str, int]
) -> None:
    c = inbox["oldest"]
    assert (
        api.post(f"/api/v1/conversations/{c}/labels", json={"name": "bestaat-niet"}).status_code
        == 404
    )
    outsider = api.post(
        f"/api/v1/conversations/{c}/assign", json={"assignee_id": other_cast.users["anna"]}
    )
    assert outsider.status_code == 422
    past = api.post(
        f"/api/v1/conversations/{c}/status",
        json={"status": "snoozed", "snoozed_until": "2001-01-01T00:00:00Z"},
    )
    assert past.status_code == 422
    assert api.get("/api/v1/conversations/999999").status_code == 404


@contextmanager
def _count_queries(runtime: Runtime) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    sa.event.listen(runtime.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(runtime.engine, "before_cursor_execute", record)


def test_list_query_count_does_not_grow_with_the_page(
    api: TestClient, cast: Cast, runtime: Runtime
) -> None:
    for i in range(3):
        _ingest(api, cast, f"n{i}", f"bericht {i}", author=f"n{i}")
    with _count_queries(runtime) as small:
        api.get("/api/v1/conversations")
    for i in range(3, 15):
        _ingest(api, cast, f"n{i}", f"bericht {i}", author=f"n{i}")
    with _count_queries(runtime) as large:
        assert len(api.get("/api/v1/conversations").json()["items"]) == 15
    assert len(large) == len(small)
