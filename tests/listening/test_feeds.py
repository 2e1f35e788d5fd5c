"""RSS/Atom feeds: polled politely with ETag/Last-Modified, stored once, as plain text."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import format_datetime

import httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.listening.helpers import percolate
from webcare.kit.db import unit_of_work
from webcare.kit.time import utc_now
from webcare.listening import feeds
from webcare.listening.models import Mention
from webcare.runtime import Runtime

FEED_URL = "https://nieuws.example.nl/rss"


def rss(*items: tuple[str, str, str]) -> bytes:
    """An RSS 2.0 document with ``(guid, title, html description)`` items."""
    entries = "".join(
        f"""<item><guid>{guid}</guid><title>{title}</title>
        <link>https://nieuws.example.nl/{guid}</link>
        <author>redactie@nieuws.example.nl (Redactie)</author>
        <pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate>
        <description><![CDATA[{description}]]></description></item>"""
        for guid, title, description in items
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Nieuws</title><language>nl-NL</language>
<link>https://nieuws.example.nl/</link>{entries}</channel></rss>""".encode()


class FeedServer:
    """A feed host that honours If-None-Match and If-Modified-Since like a real one."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.version = 1
        self.modified = datetime(2026, 11, 23, 8, 0, tzinfo=utc_now().tzinfo)
        self.requests: list[httpx.Request] = []
        self.status = 200

    def publish(self, body: bytes) -> None:
        self.body = body
        self.version += 1
        self.modified += timedelta(hours=1)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.status != 200:
            return httpx.Response(self.status)
        etag = f'"v{self.version}"'
        last_modified = format_datetime(self.modified, usegmt=True)
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"etag": etag})
        headers = {
            "etag": etag,
            "last-modified": last_modified,
            "content-type": "application/rss+xml",
        }
        return httpx.Response(200, content=self.body, headers=headers)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle))


def _poll(runtime: Runtime, server: FeedServer, at: datetime) -> int:
    with unit_of_work(runtime.session_factory) as session, server.client() as client:
        return feeds.poll(runtime.session_factory, session, client, at)


def _mentions(runtime: Runtime) -> list[Mention]:
    with unit_of_work(runtime.session_factory) as session:
        return list(session.scalars(sa.select(Mention).order_by(Mention.id)))


def _add(api: TestClient, url: str = FEED_URL) -> int:
    response = api.post("/api/v1/listening/feeds", json={"name": "Nieuws", "url": url})
    assert response.status_code == 201, response.text
    source_id: int = response.json()["id"]
    return source_id


def test_feed_items_are_stored_once_and_304_stores_nothing(
    api: TestClient, runtime: Runtime
) -> None:
    _add(api)
    server = FeedServer(rss(("a", "Storing bij Glasnet", "<p>Veel klanten zonder internet</p>")))
    now = utc_now()
    assert _poll(runtime, server, now) == 1
    assert "if-none-match" not in server.requests[0].headers

    assert _poll(runtime, server, now + timedelta(minutes=1)) == 0
    assert len(server.requests) == 1, "not polled again within the interval"

    assert _poll(runtime, server, now + timedelta(minutes=20)) == 0
    assert server.requests[-1].headers["if-none-match"] == '"v1"'
    assert server.requests[-1].headers["if-modified-since"].endswith("GMT")

    server.publish(
        rss(
            ("b", "Storing voorbij", "<p>Alles werkt weer</p>"),
            ("a", "Storing bij Glasnet", "<p>Veel klanten zonder internet</p>"),
        )
    )
    assert _poll(runtime, server, now + timedelta(minutes=40)) == 1
    stored = _mentions(runtime)
    assert [m.external_id for m in stored] == ["a", "b"]
    assert stored[0].title == "Storing bij Glasnet"
    assert stored[0].text == "Veel klanten zonder internet"
    assert stored[0].url == "https://nieuws.example.nl/a"
    assert stored[0].lang == "nl"


def test_entry_html_is_stored_as_plain_text_without_scripts(
    api: TestClient, runtime: Runtime
) -> None:
    _add(api)
    hostile = (
        '<p>Eerste alinea</p><script>alert("x")</script><p>Tweede <b>alinea</b>'
        '<img src=x onerror="alert(1)"> &amp; meer</p><style>p{color:red}</style>'
    )
    server = FeedServer(rss(("x", "Titel <i>schuin</i>", hostile)))
    _poll(runtime, server, utc_now())
    (mention,) = _mentions(runtime)
    assert mention.text == "Eerste alinea Tweede alinea & meer"
    assert mention.title == "Titel schuin"
    assert "<" not in mention.text
    assert "alert" not in mention.text


def test_problems_are_recorded_on_the_source_and_nothing_is_stored(
    api: TestClient, runtime: Runtime
) -> None:
    _add(api)
    server = FeedServer(b"https://evil.example/not-a-feed")
    now = utc_now()
    _poll(runtime, server, now)
    sources = api.get("/api/v1/listening/sources").json()
    assert sources[0]["last_error"] == "the response is not an RSS or Atom feed"
    assert len(server.requests) == 1, "feedparser never fetched the URL in the body"

    server.body = b"<rss>" + b" " * (feeds.MAX_BYTES + 1) + b"</rss>"
    _poll(runtime, server, now + timedelta(minutes=20))
    assert "larger than" in api.get("/api/v1/listening/sources").json()[0]["last_error"]

    server.status = 503
    _poll(runtime, server, now + timedelta(minutes=40))
    assert api.get("/api/v1/listening/sources").json()[0]["last_error"] == (
        "the feed answered HTTP 503"
    )
    assert _mentions(runtime) == []

    server.status = 200
    server.publish(rss(("ok", "Goed nieuws", "Alles werkt")))
    assert _poll(runtime, server, now + timedelta(minutes=60)) == 1
    assert api.get("/api/v1/listening/sources").json()[0]["last_error"] is None


def test_only_http_feeds_are_accepted(api: TestClient) -> None:
    for url in ("file:///etc/passwd", "ftp://example.nl/feed", "javascript:alert(1)"):
        response = api.post("/api/v1/listening/feeds", json={"name": "x", "url": url})
        assert response.status_code == 422, url
    assert api.get("/api/v1/listening/sources").json() == []


def test_atom_entries_are_read_and_percolated(api: TestClient, runtime: Runtime) -> None:
    query = api.post(
        "/api/v1/listening/queries",
        json={"name": "Glasnet", "query": 'glasnet AND title:"storing" language:nl'},
    ).json()["id"]
    _add(api, "https://blog.example.nl/atom.xml")
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="nl"><title>Blog</title>
<id>urn:blog</id><updated>2026-11-23T08:00:00Z</updated>
<entry><id>urn:blog:1</id><title>Storing in Utrecht</title>
<link href="https://blog.example.nl/1"/><updated>2026-11-23T08:00:00Z</updated>
<author><name>Piet</name></author>
<content type="html">&lt;p&gt;Glasnet ligt eruit&lt;/p&gt;</content></entry>
<entry><id>urn:blog:2</id><title>Over iets anders</title>
<link href="javascript:alert(1)"/><updated>2026-11-23T09:00:00Z</updated>
<content type="html">Glasnet is prima</content></entry>
</feed>"""
    _poll(runtime, FeedServer(atom), utc_now())
    stored = _mentions(runtime)
    assert [m.external_id for m in stored] == ["urn:blog:1", "urn:blog:2"]
    assert stored[0].author == "Piet"
    assert stored[1].url is None, "only http(s) links are kept"
    percolate(runtime)
    hits = api.get(f"/api/v1/listening/queries/{query}/hits").json()["items"]
    assert [h["mention_id"] for h in hits] == [stored[0].id]


def test_feed_urls_that_point_inside_the_network_are_refused() -> None:
    """A lead's feed URL (or a redirect) must not make the server read internal services."""
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=b"<rss/>")

    for url in ("http://127.0.0.1:5432/", "http://localhost/admin", "http://169.254.169.254/"):
        with feeds.http_client(transport=httpx.MockTransport(answer)) as client:
            fetched = feeds.fetch(client, feeds.Due(1, 1, url, None, None))
        assert fetched.error is not None
        assert "internal address" in fetched.error
    assert seen == []  # nothing was requested
    local = httpx.MockTransport(answer)
    with feeds.http_client(allow_private_hosts=True, transport=local) as allowed:
        assert (
            feeds.fetch(allowed, feeds.Due(1, 1, "http://127.0.0.1/feed", None, None)).error is None
        )
