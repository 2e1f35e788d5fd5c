"""The inbox as an agent sees it: views with counts, filters, the conversation, safe rendering."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import OpenAs
from tests.web.ui import HTMX, ingest
from webcare.app import create_app
from webcare.demo.cast import Cast
from webcare.runtime import Runtime
from webcare.web import presenters


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="item[^"]*"[^>]*data-id="(\d+)"', html)]


def _count(html: str, view: str) -> int:
    match = re.search(rf'data-count="{re.escape(view)}">([\d.,\s]+)<', html)
    assert match, f"no count for {view}"
    return int(re.sub(r"\D", "", match.group(1)))


def test_logged_out_visitor_is_sent_to_login_and_back(app_client: TestClient) -> None:
    response = app_client.get("/inbox/c/1", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/inbox/c/1"
    htmx = app_client.get("/inbox", headers=HTMX, follow_redirects=False)
    assert htmx.status_code == 401
    assert htmx.headers["HX-Redirect"].startswith("/login")


def test_login_returns_to_the_page_asked_for(runtime: Runtime, cast: Cast, api: TestClient) -> None:
    conversation = ingest(api, cast, "m1", "Mijn modem knippert rood")
    browser = TestClient(create_app(runtime=runtime))

    response = browser.post(
        "/login",
        data={"username": "anna", "password": "webcare-demo", "next": f"/inbox/c/{conversation}"},
        follow_redirects=False,
    )
    evil = browser.post(
        "/login",
        data={"username": "anna", "password": "webcare-demo", "next": "//evil.example/x"},
        follow_redirects=False,
    )

    assert response.headers["location"] == f"/inbox/c/{conversation}"
    assert evil.headers["location"] == "/inbox"


def test_oldest_waiting_first_with_live_counts_per_view(
    agent: OpenAs, api: TestClient, cast: Cast
) -> None:
    older = ingest(api, cast, "m1", "Al een week geen internet", author="a", minutes_ago=90)
    newer = ingest(api, cast, "m2", "Factuur klopt niet", author="b", minutes_ago=5)
    client, _ = agent("anna")

    page = client.get("/inbox")

    assert page.status_code == 200
    assert _ids(page.text) == [older, newer]
    assert _count(page.text, "open") == 2
    assert _count(page.text, "unassigned") == 2
    assert _count(page.text, "mine") == 0
    assert _count(page.text, f"channel:{cast.accounts['api'].id}") == 2
    newest_first = client.get("/inbox?sort=newest")
    assert _ids(newest_first.text) == [newer, older]


def test_views_and_filters_select_the_right_conversations(
    agent: OpenAs, api: TestClient, cast: Cast
) -> None:
    mine = ingest(api, cast, "m1", "Storing in Utrecht #storing", author="a")
    other = ingest(api, cast, "m2", "Vraag over mijn factuur", author="b")
    api.post(f"/api/v1/conversations/{mine}/assign", json={"assignee_id": cast.users["anna"]})
    api.post(f"/api/v1/conversations/{other}/labels", json={"name": "factuur"})
    client, _ = agent("anna")

    assert _ids(client.get("/inbox?view=mine").text) == [mine]
    assert _ids(client.get("/inbox?view=unassigned").text) == [other]
    assert _ids(client.get("/inbox?view=label:factuur").text) == [other]
    assert _ids(client.get("/inbox?q=%23storing").text) == [mine]
    assert _ids(client.get("/inbox?view=resolved").text) == []
    fragment = client.get("/inbox?q=factuur", headers={**HTMX, "HX-Target": "list"})
    assert fragment.text.lstrip().startswith('<div id="list"')
    assert _ids(fragment.text) == [other]


def test_bad_filters_are_a_readable_422_page(agent: OpenAs) -> None:
    client, _ = agent("anna")

    for query, message in [
        ("view=nonsense", "unknown view"),
        ("status=gone", "unknown status"),
        ("channel=abc", "channel must be a number"),
        ("sort=random", "unknown sort"),
        ("view=saved:999", "saved view 999 not found"),
    ]:
        response = client.get(f"/inbox?{query}")
        assert response.status_code in (404, 422), query
        assert message in response.text
        assert response.headers["content-type"].startswith("text/html")


def test_pages_of_25_with_show_more(agent: OpenAs, api: TestClient, cast: Cast) -> None:
    ids = [
        ingest(api, cast, f"m{i}", f"Bericht {i}", author=f"klant{i}", minutes_ago=100 - i)
        for i in range(30)
    ]
    client, _ = agent("anna")

    first = client.get("/inbox")
    more = re.search(r'hx-get="([^"]+cursor=[^"]+)"', first.text)
    assert more
    second = client.get(
        more.group(1).replace("&amp;", "&"), headers={**HTMX, "HX-Target": "list-more"}
    )

    assert _ids(first.text) == ids[:25]
    assert _ids(second.text) == ids[25:]
    assert "cursor=" not in second.text


def test_conversation_shows_the_whole_customer_history(
    agent: OpenAs, api: TestClient, cast: Cast
) -> None:
    first = ingest(api, cast, "m1", "Mijn modem is stuk", author="sophie")
    api.post(f"/api/v1/conversations/{first}/status", json={"status": "resolved"})
    api.post(f"/api/v1/conversations/{first}/notes", json={"text": "Nieuwe modem gestuurd"})
    client, _ = agent("anna")
    second = ingest(
        api, cast, "m2", "Hij doet het weer niet", author="sophie", thread_id="elsewhere"
    )

    page = client.get(f"/inbox/c/{second}")

    assert page.status_code == 200
    assert "Hij doet het weer niet" in page.text
    assert "Earlier conversations" in page.text
    assert f'href="/inbox/c/{first}' in page.text
    assert "Sophie Vermeulen" in page.text
    assert "followers" not in page.text  # the API channel has no followers to show


def test_another_workspaces_conversation_is_not_found(
    agent: OpenAs, api: TestClient, cast: Cast, other_cast: Cast
) -> None:
    conversation = ingest(api, cast, "m1", "Alleen voor Glasnet")
    client, _ = agent("anna-spoorweg")

    response = client.get(f"/inbox/c/{conversation}")

    assert response.status_code == 404
    assert "Alleen voor Glasnet" not in response.text


HOSTILE = [
    "<script>window.pwned=1</script>",
    '<img src=x onerror="window.pwned=1">',
    "javascript:alert(1)",
    '"><svg onload=alert(1)>',
]


def test_hostile_text_names_and_attachments_are_shown_as_text(
    agent: OpenAs, api: TestClient, cast: Cast
) -> None:
    text = " ".join(HOSTILE) + " see https://glasnet.example/status?a=1&b=2."
    conversation = ingest(
        api,
        cast,
        "m1",
        text,
        author="evil",
        attachments=[
            {"kind": "file", "url": "https://cdn.example/f.pdf", "name": "<b>x</b>.pdf"},
            {"kind": "image", "url": "https://cdn.example/p.png", "name": "photo"},
        ],
    )
    client, _ = agent("anna")

    page = client.get(f"/inbox/c/{conversation}").text
    listing = client.get("/inbox").text

    for html in (page, listing):
        assert "<script>window.pwned" not in html
        assert "<img src=x" not in html
        assert "<svg onload" not in html
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page
    assert 'href="javascript:' not in page
    assert 'src="javascript:' not in page
    link = '<a href="https://glasnet.example/status?a=1&amp;b=2" rel="noopener noreferrer nofollow'
    assert link in page
    assert '<img src="https://cdn.example/p.png"' in page
    assert "&lt;b&gt;x&lt;/b&gt;.pdf" in page


def test_a_huge_message_is_folded(agent: OpenAs, api: TestClient, cast: Cast) -> None:
    conversation = ingest(api, cast, "m1", "A" * 9000)
    client, _ = agent("anna")

    page = client.get(f"/inbox/c/{conversation}").text

    assert "Show the whole message (9,000 characters)" in page


def test_a_huge_result_is_counted_up_to_a_cap(
    agent: OpenAs, api: TestClient, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(4):
        ingest(api, cast, f"m{i}", f"Storing nummer {i}", author=f"k{i}")
    monkeypatch.setattr(presenters, "COUNT_CAP", 3)
    client, _ = agent("anna")

    capped = client.get("/inbox?q=storing").text
    exact = client.get("/inbox?q=nummer+2").text

    assert "More than 3 conversations" in capped
    assert "1 conversation<" in exact


def test_an_id_beyond_the_database_range_is_a_422_not_a_500(agent: OpenAs, api: TestClient) -> None:
    client, _ = agent("anna")
    huge = "9" * 20

    page = client.get(f"/inbox/c/{huge}")
    response = api.get(f"/api/v1/conversations/{huge}")

    assert page.status_code == 422
    assert "out of range" in page.text
    assert response.status_code == 422
    assert response.json()["error"] == "invalid"
