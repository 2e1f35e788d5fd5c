"""The percolation job: every new public post is matched once against the saved queries."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import drain_jobs
from tests.listening.helpers import percolate, post
from webcare.channel.ports import MessageVisibility
from webcare.conversation.models import Message
from webcare.demo.cast import Cast
from webcare.kit.db import unit_of_work
from webcare.kit.time import utc_now
from webcare.listening import percolation
from webcare.runtime import Runtime
from webcare.worker.registry import import_task_modules
from webcare.worker.runner import enqueue_due_periodic

URL = "/api/v1/listening"


def _query(api: TestClient, name: str, query: str) -> int:
    response = api.post(f"{URL}/queries", json={"name": name, "query": query})
    assert response.status_code == 201, response.text
    query_id: int = response.json()["id"]
    return query_id


def _hit_messages(api: TestClient, query_id: int) -> list[int]:
    return [h["message_id"] for h in api.get(f"{URL}/queries/{query_id}/hits").json()["items"]]


def test_public_posts_are_hit_once_however_often_the_job_runs(
    api: TestClient, runtime: Runtime, cast: Cast
) -> None:
    storing = _query(api, "Storing", "storing OR #storing")
    x = cast.accounts["x"]
    first = post(runtime, x, "Alweer een storing in Utrecht").message_id
    post(runtime, x, "Wat een mooie dag")
    post(runtime, x, "storing maar dan in een DM", visibility=MessageVisibility.PRIVATE)
    second = post(runtime, cast.accounts["facebook"], "Is er een #storing?").message_id

    assert percolate(runtime).hits == 2
    assert percolate(runtime).messages == 0
    assert sorted(_hit_messages(api, storing)) == sorted([first, second])


def test_the_periodic_job_percolates_in_the_worker(
    api: TestClient, runtime: Runtime, cast: Cast
) -> None:
    storing = _query(api, "Storing", "storing")
    message = post(
        runtime, cast.accounts["x"], "storing!", at=utc_now() - timedelta(hours=1)
    ).message_id
    with unit_of_work(runtime.session_factory) as session:
        # Received "a minute ago": older than the settle time the job waits for.
        session.execute(sa.update(Message).values(received_at=utc_now() - timedelta(minutes=1)))
    import_task_modules()
    enqueue_due_periodic(runtime, utc_now().timestamp())
    drain_jobs(runtime)
    assert _hit_messages(api, storing) == [message]


def test_posts_younger_than_the_settle_time_wait_for_the_next_run(
    api: TestClient, runtime: Runtime, cast: Cast
) -> None:
    storing = _query(api, "Storing", "storing")
    message = post(runtime, cast.accounts["x"], "storing").message_id
    with unit_of_work(runtime.session_factory) as session:
        early = percolation.run(session, runtime.secret_box, until=utc_now() - timedelta(hours=1))
    assert early.messages == 0
    assert _hit_messages(api, storing) == []
    percolate(runtime)
    assert _hit_messages(api, storing) == [message]


def test_a_changed_query_is_used_by_every_process_at_its_next_batch(
    api: TestClient, runtime: Runtime, cast: Cast
) -> None:
    other_server = percolation.PercolatorCache()
    query_id = _query(api, "Onderwerp", "storing")

    def run() -> None:
        with unit_of_work(runtime.session_factory) as session:
            percolation.run(
                session,
                runtime.secret_box,
                until=utc_now() + timedelta(minutes=1),
                cache=other_server,
            )

    old = post(runtime, cast.accounts["x"], "storing hier").message_id
    run()
    assert _hit_messages(api, query_id) == [old]

    assert api.patch(f"{URL}/queries/{query_id}", json={"query": "vertraging"}).status_code == 200
    post(runtime, cast.accounts["x"], "storing daar")
    new = post(runtime, cast.accounts["x"], "vertraging overal").message_id
    run()
    assert _hit_messages(api, query_id) == [new, old]

    assert api.patch(f"{URL}/queries/{query_id}", json={"enabled": False}).status_code == 200
    post(runtime, cast.accounts["x"], "nog meer vertraging")
    run()
    assert _hit_messages(api, query_id) == [new, old]


def test_two_workers_never_percolate_the_same_batch(
    api: TestClient, runtime: Runtime, cast: Cast
) -> None:
    storing = _query(api, "Storing", "storing")
    for n in range(5):
        post(runtime, cast.accounts["x"], f"storing nummer {n}")
    until = utc_now() + timedelta(minutes=1)
    second: list[percolation.Outcome] = []

    def other_worker() -> None:
        with unit_of_work(runtime.session_factory) as session:
            second.append(
                percolation.run(
                    session, runtime.secret_box, until=until, cache=percolation.PercolatorCache()
                )
            )

    with unit_of_work(runtime.session_factory) as session:
        first = percolation.run(session, runtime.secret_box, until=until)
        # The first worker still holds the cursor's lock: the second waits for its commit.
        thread = threading.Thread(target=other_worker)
        thread.start()
    thread.join()
    assert first.messages == 5
    assert second[0].messages == 0
    assert len(_hit_messages(api, storing)) == 5


def test_statistics_of_hits(api: TestClient, runtime: Runtime, cast: Cast) -> None:
    glasnet = _query(api, "Glasnet", "glasnet")
    ziggo = _query(api, "Ziggo", "ziggo")
    x = cast.accounts["x"]
    post(runtime, x, "Glasnet glasvezel storing in Utrecht", author="groot", followers=90000)
    post(runtime, x, "Glasnet glasvezel is snel", author="klein", followers=10)
    post(runtime, x, "Glasnet modem knippert", author="klein", followers=10)
    post(runtime, x, "Ziggo modem kapot", author="ander", followers=500)
    percolate(runtime)

    share = api.get(f"{URL}/share-of-voice", params={"query_id": [glasnet, ziggo]}).json()
    assert [(s["name"], s["hits"]) for s in share] == [("Glasnet", 3), ("Ziggo", 1)]
    assert share[0]["share"] == 0.75

    authors = api.get(f"{URL}/top-authors", params={"query_id": glasnet}).json()
    assert [(a["author"], a["reach"], a["hits"]) for a in authors] == [
        ("groot", 90000, 1),
        ("klein", 10, 2),
    ]

    words = {
        w["word"]: w["count"] for w in api.get(f"{URL}/words", params={"query_id": glasnet}).json()
    }
    assert words["glasnet"] == 3
    assert words["glasvezel"] == 2
    assert not {"in", "is"} & set(words), "stop words are left out"

    volume = api.get(f"{URL}/volume", params={"query_id": [glasnet, ziggo], "bucket": "hour"})
    assert volume.status_code == 200
    series = {s["query_id"]: s["points"] for s in volume.json()["series"]}
    assert sum(p["count"] for p in series[glasnet]) == 3
    assert sum(p["count"] for p in series[ziggo]) == 1
    assert len(series[glasnet]) >= 24, "empty hours are included"
    daily = api.get(f"{URL}/volume", params={"query_id": glasnet, "bucket": "day"}).json()
    assert sum(p["count"] for p in daily["series"][0]["points"]) == 3

    assert (
        api.get(f"{URL}/volume", params={"query_id": glasnet, "bucket": "week"}).status_code == 422
    )
    assert api.get(f"{URL}/volume", params={"query_id": 999999}).status_code == 404
    too_long = {"query_id": glasnet, "since": (utc_now() - timedelta(days=90)).isoformat()}
    assert api.get(f"{URL}/volume", params=too_long).status_code == 422


def test_hits_are_paged_newest_first(api: TestClient, runtime: Runtime, cast: Cast) -> None:
    storing = _query(api, "Storing", "storing")
    ids = [post(runtime, cast.accounts["x"], f"storing {n}").message_id for n in range(5)]
    percolate(runtime)
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = api.get(f"{URL}/queries/{storing}/hits", params=params).json()
        seen += [h["message_id"] for h in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    assert page["items"][0]["text"].startswith("storing")
    bad = api.get(f"{URL}/queries/{storing}/hits", params={"cursor": "abc"})
    assert bad.status_code == 422


def test_a_backlog_is_worked_off_batch_by_batch(
    api: TestClient, runtime: Runtime, cast: Cast
) -> None:
    storing = _query(api, "Storing", "storing")
    for n in range(5):
        post(runtime, cast.accounts["x"], f"storing {n}")
    until = utc_now() + timedelta(minutes=1)
    runs = []
    while not runs or runs[-1].more:
        with unit_of_work(runtime.session_factory) as session:
            runs.append(
                percolation.run(
                    session, runtime.secret_box, until=until, max_batches=1, batch_size=2
                )
            )
    assert [r.messages for r in runs] == [2, 2, 1]
    assert len(_hit_messages(api, storing)) == 5


def test_language_queries_see_the_detected_language_of_posts(
    api: TestClient, runtime: Runtime, cast: Cast
) -> None:
    query = _query(
        api, "KLM bagage", "(klm OR @KLM) NEAR/5 (koffer* OR bagage OR baggage) language:nl"
    )
    x = cast.accounts["x"]
    dutch = post(runtime, x, "Waarom is mijn koffer van KLM nog steeds niet bij mij?").message_id
    post(runtime, x, "Why did KLM lose my baggage again, this is not what I paid for")
    percolate(runtime)
    assert _hit_messages(api, query) == [dutch]
