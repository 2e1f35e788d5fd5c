"""The Listen pages: saved queries, the live preview, results with charts, share of voice."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import drain_jobs
from tests.listening.helpers import percolate, post
from tests.web.conftest import Agent, OpenAs
from tests.web.ui import htmx
from webcare.demo.cast import Cast
from webcare.kit.db import unit_of_work
from webcare.kit.time import utc_now
from webcare.listening import analytics, service
from webcare.listening.models import Alert, Hit, ListeningQuery
from webcare.listening.query import QueryError, parse
from webcare.runtime import Runtime
from webcare.triage.models import MessageTriage

_QUERY_ID = re.compile(r"/listen/q/(\d+)\?saved=created")


def _create(lars: Agent, name: str, query: str, **extra: str) -> int:
    client, csrf = lars
    response = client.post(
        "/listen/new",
        data={"csrf_token": csrf, "name": name, "query": query, **extra},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    match = _QUERY_ID.search(response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


def _stored_queries(runtime: Runtime, cast: Cast) -> list[ListeningQuery]:
    with unit_of_work(runtime.session_factory) as session:
        return service.list_queries(session, cast.workspace.id)


def _counts_in(table_class: str, page: str) -> list[int]:
    table = page.split(f'class="admin-table {table_class}"', 1)[1].split("</table>", 1)[0]
    return [int(n) for n in re.findall(r'data-count="(\d+)"', table)]


# Pages and permissions ------------------------------------------------------------------


def test_listen_pages_render_for_an_agent_who_may_read_but_not_change(
    agent: OpenAs, runtime: Runtime, cast: Cast
) -> None:
    lars = agent("lars")
    query_id = _create(lars, "Storingen", "storing OR vertraging")
    client, _csrf = agent("anna")

    home = client.get("/listen")
    assert home.status_code == 200
    assert 'href="/listen"' in home.text, "the top navigation links to Listen"
    assert "Storingen" in home.text
    assert "New query" not in home.text, "an agent cannot create queries"
    assert client.get(f"/listen/q/{query_id}").status_code == 200
    assert client.get("/listen/share").status_code == 200
    assert client.get("/listen/new").status_code == 403
    refused = client.post("/listen/new", data={"csrf_token": _csrf, "name": "x", "query": "y"})
    assert refused.status_code == 403
    assert [q.name for q in _stored_queries(runtime, cast)] == ["Storingen"]

    lars_client, _ = lars
    assert "New query" in lars_client.get("/listen").text
    assert lars_client.get("/listen/new").status_code == 200
    assert lars_client.get(f"/listen/q/{query_id}/edit").status_code == 200


def test_another_workspaces_query_is_not_found(
    agent: OpenAs, runtime: Runtime, cast: Cast, other_cast: Cast
) -> None:
    with unit_of_work(runtime.session_factory) as session:
        theirs = service.create(
            session, other_cast.actor("lars"), runtime.secret_box, {"name": "Spoor", "query": "x"}
        ).query.id
    client, csrf = agent("lars")
    assert client.get(f"/listen/q/{theirs}").status_code == 404
    assert client.get(f"/listen/q/{theirs}/edit").status_code == 404
    assert client.get(f"/listen/share?query_id={theirs}").status_code == 404
    changed = client.post(
        f"/listen/q/{theirs}/edit", data={"csrf_token": csrf, "name": "Mine", "query": "y"}
    )
    assert changed.status_code == 404
    assert client.post(f"/listen/q/{theirs}/delete", data={"csrf_token": csrf}).status_code == 404
    with unit_of_work(runtime.session_factory) as session:
        assert service.get_or_raise(session, other_cast.workspace.id, theirs).name == "Spoor"


# The live preview -----------------------------------------------------------------------


def test_preview_marks_the_position_of_a_parse_error(agent: OpenAs) -> None:
    client, csrf = agent("lars")
    text = "storing AND (trein"
    with pytest.raises(QueryError) as parsed:
        parse(text)
    position = parsed.value.position

    response = client.post("/listen/preview", data={"query": text}, headers=htmx(csrf, "preview"))

    assert response.status_code == 422
    assert f"error at character {position + 1}" in response.text
    caret = re.search(r'<pre class="caret"[^>]*>(.*?)</pre>', response.text, re.S)
    assert caret, response.text
    line, marker = html.unescape(caret.group(1)).split("\n")
    assert line == text
    assert marker == " " * position + "^"


def test_preview_counts_hits_per_top_level_clause(
    agent: OpenAs, runtime: Runtime, cast: Cast
) -> None:
    x = cast.accounts["x"]
    post(runtime, x, "Weer een storing bij NS vandaag")
    post(runtime, x, "NS heeft vertraging, trein staat stil")
    post(runtime, x, "Storing bij mijn internet")
    post(runtime, x, "NS is vandaag op tijd")
    client, csrf = agent("lars")

    response = client.post(
        "/listen/preview",
        data={"query": "(storing OR vertraging) AND NS"},
        headers=htmx(csrf, "preview"),
    )

    assert response.status_code == 200
    assert 'data-total="2"' in response.text
    rows = re.findall(
        r"<tr><td><code>(.*?)</code></td><td class=\"num\" data-count=\"(\d+)\"", response.text
    )
    assert [(html.unescape(c), int(n)) for c, n in rows] == [
        ("storing OR vertraging", 3),
        ("ns", 3),
    ]
    assert "Weer een storing bij NS vandaag" in response.text
    assert "Storing bij mijn internet" not in response.text, "only hits are listed"
    assert _stored_queries(runtime, cast) == [], "a preview saves nothing"


def test_preview_lists_warnings_of_a_query_that_parses(agent: OpenAs) -> None:
    client, csrf = agent("lars")
    response = client.post(
        "/listen/preview", data={"query": "ns OR trein AND storing"}, headers=htmx(csrf, "preview")
    )
    assert response.status_code == 200
    warnings = parse("ns OR trein AND storing").warnings
    assert warnings
    assert html.escape(warnings[0].message, quote=True) in response.text


# Saving -----------------------------------------------------------------------------------


def test_a_bad_query_is_refused_with_422_and_nothing_is_stored(
    agent: OpenAs, runtime: Runtime, cast: Cast
) -> None:
    client, csrf = agent("lars")
    response = client.post(
        "/listen/new",
        data={"csrf_token": csrf, "name": "Kapot", "query": "storing AND (trein"},
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert 'id="form-error"' in response.text
    assert "storing AND (trein</textarea>" in response.text, "the form keeps what was typed"
    assert 'value="Kapot"' in response.text
    assert _stored_queries(runtime, cast) == []


def test_a_good_query_is_saved_and_listed(agent: OpenAs, runtime: Runtime, cast: Cast) -> None:
    lars = agent("lars")
    team = cast.teams["Storingen"]
    query_id = _create(
        lars,
        "NS storingen",
        "(storing OR vertraging) AND NS",
        route_to_inbox="on",
        team_id=str(team),
        priority="high",
    )
    client, _csrf = lars
    listed = client.get("/listen")
    assert f'href="/listen/q/{query_id}"' in listed.text
    assert "NS storingen" in listed.text
    (stored,) = _stored_queries(runtime, cast)
    assert (stored.query, stored.route_to_inbox, stored.team_id, stored.priority) == (
        "(storing OR vertraging) AND NS",
        True,
        team,
        "high",
    )
    assert stored.enabled


def test_an_edit_with_a_bad_query_changes_nothing(
    agent: OpenAs, runtime: Runtime, cast: Cast
) -> None:
    lars = agent("lars")
    query_id = _create(lars, "Merk", "glasnet")
    client, csrf = lars
    response = client.post(
        f"/listen/q/{query_id}/edit",
        data={"csrf_token": csrf, "name": "Nieuwe naam", "query": "glasnet AND", "enabled": "on"},
        follow_redirects=False,
    )
    assert response.status_code == 422
    (stored,) = _stored_queries(runtime, cast)
    assert (stored.name, stored.query) == ("Merk", "glasnet")

    good = client.post(
        f"/listen/q/{query_id}/edit",
        data={"csrf_token": csrf, "name": "Nieuwe naam", "query": "glasnet OR glas"},
        follow_redirects=False,
    )
    assert good.status_code == 303
    (stored,) = _stored_queries(runtime, cast)
    assert (stored.name, stored.query, stored.enabled) == ("Nieuwe naam", "glasnet OR glas", False)


def test_a_duplicate_name_is_refused_on_the_form(
    agent: OpenAs, runtime: Runtime, cast: Cast
) -> None:
    lars = agent("lars")
    _create(lars, "Merk", "glasnet")
    client, csrf = lars
    response = client.post("/listen/new", data={"csrf_token": csrf, "name": "Merk", "query": "kpn"})
    assert response.status_code == 409
    assert [q.query for q in _stored_queries(runtime, cast)] == ["glasnet"]


def test_a_webhook_secret_is_shown_once_after_saving(agent: OpenAs) -> None:
    lars = agent("lars")
    client, csrf = lars
    response = client.post(
        "/listen/new",
        data={
            "csrf_token": csrf,
            "name": "Alarm",
            "query": "storing",
            "alert_webhook_url": "https://hooks.example.com/in",
        },
    )
    assert response.status_code == 200
    secret = re.search(r"<code>(whsec_[^<]+)</code>", response.text)
    assert secret
    assert response.headers["cache-control"] == "no-store"
    query_id = re.search(r'href="/listen/q/(\d+)"', response.text)
    assert query_id
    assert secret.group(1) not in client.get(f"/listen/q/{query_id.group(1)}/edit").text


# Results ------------------------------------------------------------------------------------


def test_results_show_hits_after_percolation_with_hostile_text_escaped(
    agent: OpenAs, runtime: Runtime, cast: Cast
) -> None:
    lars = agent("lars")
    query_id = _create(lars, "Storing", "storing")
    x = cast.accounts["x"]
    post(runtime, x, "Grote storing in Utrecht", author="reiziger", followers=1500)
    post(runtime, x, "storing <script>alert('xss')</script> <img src=x onerror=alert(1)>")
    post(runtime, x, "Alles werkt prima")
    percolate(runtime)
    client, _csrf = lars

    page = client.get(f"/listen/q/{query_id}")

    assert page.status_code == 200
    assert "Grote storing in Utrecht" in page.text
    assert "reiziger" in page.text
    assert "1,500 followers" in page.text
    assert "Alles werkt prima" not in page.text
    assert "<script>alert" not in page.text
    assert "<img src=x" not in page.text
    assert "&lt;script&gt;" in page.text
    assert "/inbox/c/" in page.text, "a hit in the inbox links to its conversation"
    assert "Not analysed yet." in page.text


def test_volume_chart_table_has_the_hits_per_bucket(
    agent: OpenAs, runtime: Runtime, cast: Cast
) -> None:
    lars = agent("lars")
    query_id = _create(lars, "Storing", "storing")
    today = analytics.truncate(utc_now(), "day")
    x = cast.accounts["x"]
    post(runtime, x, "storing een", at=today - timedelta(days=2) + timedelta(hours=1))
    post(runtime, x, "storing twee", at=today - timedelta(days=2) + timedelta(hours=2))
    post(runtime, x, "storing drie", at=today)
    percolate(runtime)
    client, _csrf = lars

    page = client.get(f"/listen/q/{query_id}?period=7d&bucket=day")

    counts = _counts_in("volume-table", page.text)
    assert len(counts) == 8  # seven days back to today, whole days
    assert counts[-1] == 1
    assert counts[-3] == 2
    assert sum(counts) == 3
    assert '<svg viewBox="0 0 720 200" role="img"' in page.text
    assert '<title id="volume-title">Hits per day</title>' in page.text
    assert page.text.count('class="bar"') == 8

    hourly = client.get(f"/listen/q/{query_id}?period=24h")
    assert hourly.status_code == 200
    assert "Hits per hour" in hourly.text
    assert sum(_counts_in("volume-table", hourly.text)) >= 1


def test_sentiment_split_of_analysed_hits(agent: OpenAs, runtime: Runtime, cast: Cast) -> None:
    lars = agent("lars")
    query_id = _create(lars, "Storing", "storing")
    x = cast.accounts["x"]
    ids = [post(runtime, x, f"storing nummer {i}").message_id for i in range(4)]
    percolate(runtime)
    with unit_of_work(runtime.session_factory) as session:
        for message_id, sentiment in zip(
            ids, ["negative", "negative", "negative", "positive"], strict=True
        ):
            session.add(
                MessageTriage(
                    message_id=message_id,
                    workspace_id=cast.workspace.id,
                    language="nl",
                    sentiment=sentiment,
                    sentiment_score=0.9,
                    intent="complaint",
                    intent_score=0.8,
                    urgency=1,
                )
            )
    client, _csrf = lars
    page = client.get(f"/listen/q/{query_id}").text
    assert "Not analysed yet." not in page
    assert 'class="seg s-negative" style="width: 75.0%"' in page
    assert 'class="seg s-positive" style="width: 25.0%"' in page
    assert 's-neutral" style' not in page, "an empty part draws no segment"


def test_show_more_pages_through_older_hits(agent: OpenAs, runtime: Runtime, cast: Cast) -> None:
    lars = agent("lars")
    query_id = _create(lars, "Storing", "storing")
    x = cast.accounts["x"]
    for i in range(25):
        post(runtime, x, f"storing bericht {i:02d}")
    percolate(runtime)
    client, csrf = lars

    first = client.get(f"/listen/q/{query_id}").text
    assert first.count('class="hit"') == 20
    more = re.search(r'hx-get="(/listen/q/\d+\?cursor=\d+)"', first)
    assert more
    second = client.get(html.unescape(more.group(1)), headers=htmx(csrf, "hits-more"))
    assert second.status_code == 200
    assert "<html" not in second.text, "htmx gets only the next items"
    assert second.text.count('class="hit"') == 5
    assert "storing bericht 00" in second.text
    assert 'id="hits-more"' not in second.text, "no more after the last page"


def test_polling_returns_only_newer_hits(agent: OpenAs, runtime: Runtime, cast: Cast) -> None:
    lars = agent("lars")
    query_id = _create(lars, "Storing", "storing")
    x = cast.accounts["x"]
    post(runtime, x, "storing oud")
    percolate(runtime)
    with unit_of_work(runtime.session_factory) as session:
        newest = session.scalar(sa.select(sa.func.max(Hit.id)))
    post(runtime, x, "storing nieuw")
    percolate(runtime)
    client, csrf = lars

    newer = client.get(f"/listen/q/{query_id}/newer?after={newest}", headers=htmx(csrf))

    assert "storing nieuw" in newer.text
    assert "storing oud" not in newer.text
    assert 'hx-swap-oob="afterbegin:#stream"' in newer.text
    assert f"after={newest}" not in newer.text, "the next poll asks after the newest hit"


def test_backfill_finds_older_messages_and_shows_progress(
    agent: OpenAs, runtime: Runtime, cast: Cast
) -> None:
    x = cast.accounts["x"]
    post(runtime, x, "storing van vorige week", at=utc_now() - timedelta(days=6))
    percolate(runtime)  # before the query existed: no hit
    lars = agent("lars")
    query_id = _create(lars, "Storing", "storing")
    client, csrf = lars
    assert "storing van vorige week" not in client.get(f"/listen/q/{query_id}").text

    started = client.post(
        f"/listen/q/{query_id}/backfill", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert started.status_code == 303
    location = started.headers["location"]
    backfill_id = re.search(r"backfill=(\d+)", location)
    assert backfill_id
    queued = client.get(location).text
    assert "Backfill started." in queued
    assert 'hx-trigger="every 2s"' in queued, "the progress polls while the backfill runs"

    drain_jobs(runtime)

    progress = client.get(f"/listen/q/{query_id}/backfill/{backfill_id.group(1)}").text
    assert "Backfill done" in progress
    assert "1 hits found" in progress
    assert "every 2s" not in progress
    assert "storing van vorige week" in client.get(f"/listen/q/{query_id}").text


def test_share_of_voice_compares_chosen_queries(
    agent: OpenAs, runtime: Runtime, cast: Cast
) -> None:
    lars = agent("lars")
    ours = _create(lars, "Glasnet", "glasnet")
    theirs = _create(lars, "KPN", "kpn")
    x = cast.accounts["x"]
    for text in ("glasnet top", "glasnet snel", "glasnet goed", "kpn traag"):
        post(runtime, x, text, at=utc_now())
    post(runtime, x, "glasnet vorige week", at=utc_now() - timedelta(days=3))
    percolate(runtime)
    client, _csrf = lars

    listed = client.get("/listen").text
    assert _counts_in("listen-queries", listed) == [3, 4, 1, 1], "today and 7 days, by name"

    page = client.get(f"/listen/share?query_id={ours}&query_id={theirs}&period=7d").text

    assert _counts_in("share-table", page) == [4, 1]
    assert 'style="width: 80.0%"' in page
    assert 'style="width: 20.0%"' in page
    assert "80.0%</td>" in page


def test_the_listen_pages_speak_dutch(agent: OpenAs) -> None:
    client, csrf = agent("lars", locale="nl")
    form = client.get("/listen/new").text
    assert "Nieuwe zoekopdracht" in form
    assert "Zoekopdracht opslaan" in form
    bad = client.post("/listen/preview", data={"query": "storing AND"}, headers=htmx(csrf))
    assert "De zoekopdracht bevat een fout bij teken" in bad.text


def test_a_spike_alert_is_listed_and_opens_with_its_examples_escaped(
    agent: OpenAs, runtime: Runtime, cast: Cast, other_cast: Cast
) -> None:
    lars = agent("lars")
    query_id = _create(lars, "Storing", "storing")
    with unit_of_work(runtime.session_factory) as session:
        alert = Alert(
            workspace_id=cast.workspace.id,
            query_id=query_id,
            window_start=analytics.truncate(utc_now(), "hour"),
            count=42,
            baseline_mean=3.0,
            baseline_stddev=1.0,
            top_terms=["utrecht", "wissel"],
            examples=[{"message_id": None, "author": "reiziger", "text": "<b>storing</b>!"}],
        )
        session.add(alert)
        session.flush()
        alert_id = alert.id
    client, _csrf = lars

    results = client.get(f"/listen/q/{query_id}").text
    assert f'href="/listen/alerts/{alert_id}"' in results
    assert "42 hits in one hour (usually about 3.0)" in results

    page = client.get(f"/listen/alerts/{alert_id}")
    assert page.status_code == 200
    assert "wissel" in page.text
    assert "&lt;b&gt;storing&lt;/b&gt;!" in page.text
    assert "<b>storing</b>" not in page.text

    with unit_of_work(runtime.session_factory) as session:
        theirs = service.create(
            session, other_cast.actor("lars"), runtime.secret_box, {"name": "S", "query": "x"}
        ).query.id
        other_alert = Alert(
            workspace_id=other_cast.workspace.id,
            query_id=theirs,
            window_start=analytics.truncate(utc_now(), "hour"),
            count=12,
            baseline_mean=1.0,
            baseline_stddev=1.0,
        )
        session.add(other_alert)
        session.flush()
        other_id = other_alert.id
    assert client.get(f"/listen/alerts/{other_id}").status_code == 404


def test_listen_pages_answer_errors_as_pages(app_client: TestClient) -> None:
    """Logged out, /listen goes to the login page like the inbox does."""
    response = app_client.get("/listen", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/login")
