"""RSS and Atom feeds as monitored sources, polled politely.

- **Polite.** Each feed is fetched at most every :data:`POLL_INTERVAL`, with the
  ``If-None-Match``/``If-Modified-Since`` validators it last answered with; a 304 stores
  nothing. Requests identify themselves (:data:`USER_AGENT`).
- **Safe.** Only http(s) URLs; a timeout; at most :data:`MAX_BYTES` read (a larger feed is an
  error, not a partial parse); at most 3 redirects. We fetch the bytes with httpx ourselves
  and hand them to ``feedparser`` as a stream, so feedparser never opens a URL or a file.
  Entry HTML becomes plain text through ``nh3`` (every tag removed, the content of scripts
  and styles dropped), then entities are decoded: what is stored is text, never markup.
- **De-duplicated.** An entry's external id is its guid, else its link, else a hash of its
  title and date; (source, external id) is unique, so a feed that repeats its last 20 items
  on every poll stores each item once.
- **No lock held over the network.** :func:`claim_due` marks due feeds as polled in its own
  short transaction; the fetches run without a transaction; :func:`record` stores results.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import io
import ipaddress
import re
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser  # type: ignore[import-untyped]
import httpx
import nh3
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from webcare.audit import service as audit
from webcare.auth.principal import Principal
from webcare.kit.db import unit_of_work
from webcare.kit.errors import Conflict, Invalid
from webcare.kit.time import utc_now
from webcare.listening import mentions, repository
from webcare.listening.errors import SourceNotFound
from webcare.listening.mentions import MentionIn
from webcare.listening.models import ListeningSource, SourceKind

POLL_INTERVAL = timedelta(minutes=15)
MAX_BYTES = 2_000_000
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
USER_AGENT = "webcare-listening/1.0 (+https://github.com/webcare; feed reader)"
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9"
#: Feeds fetched per job run; the rest wait for the next run.
MAX_PER_RUN = 20
MAX_ENTRIES = 200

_BLOCK = re.compile(r"<(?=/?(?:p|br|div|li|ul|ol|h[1-6]|tr|td|th|blockquote|section)\b)", re.I)
_SPACE = re.compile(r"\s+")


class FeedError(Exception):
    """A feed that could not be fetched or read; stored as the source's ``last_error``."""


@dataclass(frozen=True)
class Due:
    """A feed claimed for one poll."""

    source_id: int
    workspace_id: int
    url: str
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class Fetched:
    """The outcome of one fetch: new content, not modified, or an error."""

    not_modified: bool = False
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None


# Managing feeds --------------------------------------------------------------------------


def add_feed(session: Session, actor: Principal, name: str, url: str) -> ListeningSource:
    """Start monitoring a feed; it is fetched at the next poll."""
    clean = name.strip()
    if not clean or len(clean) > 200:
        raise Invalid("a feed needs a name of 1 to 200 characters")
    if not mentions.is_web_url(url.strip()):
        raise Invalid("a feed URL must be an http(s) URL of at most 2000 characters")
    if repository.source_by_name(session, actor.workspace_id, clean) is not None:
        raise Conflict(f"a source named '{clean}' already exists")
    source = ListeningSource(
        workspace_id=actor.workspace_id,
        kind=SourceKind.FEED.value,
        name=clean,
        feed_url=url.strip(),
    )
    session.add(source)
    session.flush()
    audit.record(session, actor, "listening.feed_added", "listening_source", source.id, {})
    return source


def list_sources(session: Session, workspace_id: int) -> list[ListeningSource]:
    """Feeds and import sources of the workspace, by name (with each feed's last error)."""
    return repository.list_sources(session, workspace_id)


def delete_source(session: Session, actor: Principal, source_id: int) -> None:
    """Stop monitoring a source; its mentions and their hits go with it."""
    source = repository.get_source(session, actor.workspace_id, source_id)
    if source is None:
        raise SourceNotFound(source_id)
    session.delete(source)
    session.flush()
    audit.record(session, actor, "listening.source_deleted", "listening_source", source_id, {})


# Polling ---------------------------------------------------------------------------------


def claim_due(session: Session, now: datetime, limit: int = MAX_PER_RUN) -> list[Due]:
    """Feeds not polled for :data:`POLL_INTERVAL`, marked as polled now (run and commit this
    before fetching, so another worker does not fetch them too)."""
    stmt = (
        sa.select(ListeningSource)
        .where(
            ListeningSource.kind == SourceKind.FEED.value,
            sa.or_(
                ListeningSource.last_polled_at.is_(None),
                ListeningSource.last_polled_at <= now - POLL_INTERVAL,
            ),
        )
        .order_by(ListeningSource.last_polled_at.is_not(None), ListeningSource.last_polled_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = []
    for source in session.scalars(stmt):
        source.last_polled_at = now
        assert source.feed_url is not None
        claimed.append(
            Due(source.id, source.workspace_id, source.feed_url, source.etag, source.last_modified)
        )
    session.flush()
    return claimed


def fetch(client: httpx.Client, due: Due) -> Fetched:
    """GET the feed with its validators; never raises (errors are in :attr:`Fetched.error`)."""
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    if due.etag:
        headers["If-None-Match"] = due.etag
    if due.last_modified:
        headers["If-Modified-Since"] = due.last_modified
    try:
        with client.stream("GET", due.url, headers=headers) as response:
            if response.status_code == 304:
                return Fetched(not_modified=True, etag=due.etag, last_modified=due.last_modified)
            if response.status_code != 200:
                return Fetched(error=f"the feed answered HTTP {response.status_code}")
            if not str(response.url).startswith(("https://", "http://")):
                return Fetched(error="the feed redirected to a URL that is not http(s)")
            body = _read_limited(response)
            return Fetched(
                body=body,
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
            )
    except FeedError as exc:
        return Fetched(error=str(exc))
    except PrivateAddress as exc:
        return Fetched(error=f"refused: {exc} (see WEBCARE_ALLOW_PRIVATE_FEED_HOSTS)")
    except httpx.TimeoutException:
        return Fetched(error="the feed did not answer in time")
    except httpx.HTTPError as exc:
        return Fetched(error=f"could not fetch the feed ({exc.__class__.__name__})")


def _read_limited(response: httpx.Response) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BYTES:
        raise FeedError(f"the feed is larger than {MAX_BYTES // 1_000_000} MB")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_BYTES:
            raise FeedError(f"the feed is larger than {MAX_BYTES // 1_000_000} MB")
        chunks.append(chunk)
    return b"".join(chunks)


def record(session: Session, due: Due, fetched: Fetched, now: datetime) -> int:
    """Store what one fetch brought: new mentions, validators, or the error. Returns how many
    mentions were new. A feed deleted meanwhile is skipped."""
    source = repository.get_source(session, due.workspace_id, due.source_id)
    if source is None:
        return 0
    source.last_polled_at = now
    if fetched.error is not None:
        source.last_error = fetched.error
        session.flush()
        return 0
    source.last_error = None
    if fetched.not_modified:
        session.flush()
        return 0
    try:
        items = parse(fetched.body, now)
    except FeedError as exc:
        source.last_error = str(exc)
        session.flush()
        return 0
    source.etag = (fetched.etag or None) and fetched.etag[:500]
    source.last_modified = (fetched.last_modified or None) and fetched.last_modified[:100]
    created = mentions.store(session, source, items) if items else []
    session.flush()
    return len(created)


def parse(body: bytes, now: datetime) -> list[MentionIn]:
    """The entries of an RSS or Atom document as mentions (plain text, http(s) links only)."""
    parsed: Any = feedparser.parse(io.BytesIO(body))
    if not parsed.entries:
        if parsed.get("bozo"):
            raise FeedError("the response is not an RSS or Atom feed")
        return []
    language = _language(parsed.feed.get("language"))
    items = []
    for entry in parsed.entries[:MAX_ENTRIES]:
        item = _entry(entry, language, now)
        if item is not None:
            items.append(item)
    return items


def _entry(entry: Any, language: str | None, now: datetime) -> MentionIn | None:
    title = plain_text(entry.get("title") or "")[:1000] or None
    content = entry.get("content") or []
    raw = content[0].get("value", "") if content else entry.get("summary", "")
    text = plain_text(raw or "")[: mentions.MAX_TEXT]
    if not text and not title:
        return None
    link = entry.get("link")
    url = link if isinstance(link, str) and mentions.is_web_url(link) else None
    published = _time(entry.get("published_parsed") or entry.get("updated_parsed")) or now
    guid = entry.get("id") or url
    if not guid:
        digest = hashlib.sha256(f"{title}|{published.isoformat()}".encode()).hexdigest()
        guid = f"sha256:{digest}"
    author = plain_text(entry.get("author") or "")[:200] or None
    return MentionIn(
        external_id=str(guid)[:500],
        published_at=min(published, now),
        text=text,
        url=url,
        title=title,
        author=author,
        lang=language,
    )


def plain_text(markup: str) -> str:
    """HTML (or text) as plain text: tags removed, script and style content dropped."""
    spaced = _BLOCK.sub(" <", markup)
    cleaned = nh3.clean(spaced, tags=set())
    return _SPACE.sub(" ", html.unescape(cleaned)).strip()


def _language(value: object) -> str | None:
    if not isinstance(value, str) or len(value) < 2 or not value[:2].isalpha():
        return None
    return value[:2].lower()


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


class PrivateAddress(httpx.RequestError):
    """A feed URL (or a redirect) pointed at an internal address."""


def refuse_private_hosts(request: httpx.Request) -> None:
    """Before each request and each redirect: the host must resolve to public addresses only.

    A lead adds feed URLs; without this check a URL (or a redirect) could make the server fetch
    from ``localhost`` or the cloud metadata address and show the answer as mentions.
    """
    host = request.url.host
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return  # unresolvable: the request itself fails with a readable error
    for address in addresses:
        ip = ipaddress.ip_address(str(address).split("%", 1)[0])
        if not ip.is_global:
            raise PrivateAddress(f"{host} is an internal address", request=request)


def http_client(
    *, allow_private_hosts: bool = False, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """The client the polling job uses: timeouts, at most 3 redirects, and (unless allowed)
    no internal addresses; ``transport`` is for tests."""
    hooks = {} if allow_private_hosts else {"request": [refuse_private_hosts]}
    return httpx.Client(
        timeout=TIMEOUT,
        follow_redirects=True,
        max_redirects=3,
        event_hooks=hooks,
        transport=transport,
    )


def poll(
    factory: sessionmaker[Session], session: Session, client: httpx.Client, now: datetime
) -> int:
    """One polling round: claim due feeds (committed at once), fetch them without holding any
    lock, and record the results in ``session`` (the caller commits). Returns new mentions."""
    with unit_of_work(factory) as claim_session:
        due = claim_due(claim_session, now)
    fetched = [(item, fetch(client, item)) for item in due]
    return sum(record(session, item, result, utc_now()) for item, result in fetched)
