"""Importing mentions bought from a provider: all or nothing, idempotent, then percolated."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import token_for
from tests.listening.helpers import percolate
from webcare.demo.cast import Cast
from webcare.kit.db import unit_of_work
from webcare.kit.time import utc_now
from webcare.listening.models import Mention
from webcare.runtime import Runtime

URL = "/api/v1/listening/mentions"


def item(
    external_id: str, text: str = "Glasnet storing in Utrecht", **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": external_id,
        "published_at": (utc_now() - timedelta(hours=1)).isoformat(),
        "text": text,
        "url": f"https://forum.example.nl/t/{external_id}",
        "author": "forumlid",
        "reach": 1500,
        "lang": "nl",
    }
    body.update(extra)
    return body


def _mentions(runtime: Runtime) -> int:
    with unit_of_work(runtime.session_factory) as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(Mention)) or 0)


def test_a_batch_is_stored_once_however_often_it_is_sent(api: TestClient, runtime: Runtime) -> None:
    batch = {"source": "Coosto", "items": [item("a"), item("b"), item("c")]}
    first = api.post(URL, json=batch)
    assert first.status_code == 200, first.text
    assert first.json()["created"] == 3
    assert first.json()["duplicates"] == 0
    again = api.post(URL, json={"source": "Coosto", "items": [item("a"), item("d"), item("d")]})
    assert again.json()["created"] == 1
    assert again.json()["duplicates"] == 2
    assert _mentions(runtime) == 4


def test_one_bad_item_refuses_the_batch_naming_its_index(api: TestClient, runtime: Runtime) -> None:
    naive = (utc_now() - timedelta(hours=1)).replace(tzinfo=None).isoformat()
    batch = {
        "source": "Coosto",
        "items": [
            item("ok"),
            item("bad-url", url="javascript:alert(1)"),
            item("empty", text="   "),
            item("naive", published_at=naive),
        ],
    }
    response = api.post(URL, json=batch)
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert {(p["index"], p["field"]) for p in problems} == {
        (1, "url"),
        (2, "text"),
        (3, "published_at"),
    }
    assert _mentions(runtime) == 0, "nothing half-written"

    malformed = api.post(URL, json={"source": "x", "items": [item("ok"), {"external_id": ""}]})
    assert malformed.status_code == 422
    assert any(".1." in p["field"] for p in malformed.json()["problems"])
    too_many = api.post(URL, json={"source": "x", "items": [item(str(n)) for n in range(1001)]})
    assert too_many.status_code == 422
    assert _mentions(runtime) == 0


def test_imported_mentions_are_percolated(api: TestClient, runtime: Runtime) -> None:
    query = api.post(
        "/api/v1/listening/queries",
        json={
            "name": "KLM bagage",
            "query": "(klm OR @KLM) NEAR/5 (koffer* OR bagage OR baggage) language:nl",
        },
    ).json()["id"]
    sent = api.post(
        URL,
        json={
            "source": "Coosto",
            "items": [
                item("nl", "KLM is mijn koffers kwijtgeraakt op Schiphol"),
                item("en", "KLM lost my baggage again", lang="en"),
                item("far", "KLM vliegt naar veel plekken en ergens onderweg is er ook bagage"),
            ],
        },
    ).json()
    percolate(runtime)
    hits = api.get(f"/api/v1/listening/queries/{query}/hits").json()["items"]
    assert [h["mention_id"] for h in hits] == [sent["mention_ids"][0]]
    assert hits[0]["url"] == "https://forum.example.nl/t/nl"
    assert hits[0]["author"] == "forumlid"
    assert hits[0]["reach"] == 1500


def test_importing_needs_the_write_scope(
    app_client: TestClient, runtime: Runtime, cast: Cast
) -> None:
    reader = TestClient(app_client.app)
    reader.headers["Authorization"] = "Bearer " + token_for(runtime, cast, ["listening:read"])
    assert reader.post(URL, json={"source": "x", "items": [item("a")]}).status_code == 403
    assert _mentions(runtime) == 0
