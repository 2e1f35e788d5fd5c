"""The customer's side of the demo: what people who wrote to Glasnet see on their platform.

The simulator remembers every customer message it delivered (:func:`record_delivered`, kept in
``state.platform_data("customer_view")`` because it is the simulator's memory, not a platform's)
and everything webcare made the platforms do (``state.sent()``). ``GET /`` and
``GET /customer/{platform}`` put the two together per thread: the customer's messages, Glasnet's
replies, DMs and templates under them, hidden comments marked hidden, and WhatsApp's ticks
(✓ sent, ✓✓ delivered, blue ✓✓ read) as the delivery reports the simulator sent webcare.

Strangers' text is shown through Jinja2 with autoescaping on; the page has no scripts, only a
meta refresh so a newcomer sees replies arrive.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader

from webcare.simulator.state import Sent, SimState

VIEW_KEY = "customer_view"
PLATFORMS: dict[str, str] = {
    "x": "X",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "whatsapp": "WhatsApp",
    "google_reviews": "Google reviews",
    "email": "E-mail",
}
PRIVATE_KINDS = frozenset({"dm", "message"})
KIND_LABELS: dict[tuple[str, str], str] = {
    ("x", "mention"): "public post mentioning @GlasnetHelpt",
    ("x", "dm"): "direct message",
    ("facebook", "comment"): "comment on the Page",
    ("facebook", "message"): "Messenger",
    ("instagram", "comment"): "comment on Instagram",
    ("instagram", "dm"): "Instagram direct",
    ("whatsapp", "message"): "WhatsApp chat",
    ("google_reviews", "review"): "review of a Glasnet shop",
    ("email", "email"): "e-mail to klantenservice@glasnet.nl",
}
#: What the brand sends that a customer reads, by ``Sent.kind``.
_MESSAGE_KINDS = frozenset(
    {
        "post",
        "dm",
        "comment",
        "message",
        "private_reply",
        "text",
        "template",
        "reply",
        "reply_updated",
        "email",
    }
)
_MARKER_KINDS = frozenset({"hide", "unhide", "like"})
REFRESH_SECONDS = 5


@dataclass(frozen=True)
class Delivered:
    """A customer message the simulator delivered to webcare (or, for Google, published)."""

    platform: str
    thread: str
    kind: str
    customer_id: str
    customer_name: str
    external_id: str
    text: str
    stars: int | None = None
    parent_id: str | None = None
    post_text: str | None = None
    #: A review's later version (the reviewer edited it) rather than a new message.
    edit: bool = False
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


def record_delivered(state: SimState, delivered: Delivered) -> Delivered:
    state.platform_data(VIEW_KEY).setdefault("delivered", []).append(delivered)
    return delivered


def delivered(state: SimState, platform: str | None = None) -> list[Delivered]:
    items: list[Delivered] = list(state.platform_data(VIEW_KEY).get("delivered", []))
    return [d for d in items if platform is None or d.platform == platform]


def record_status(state: SimState, message_id: str, status: str) -> None:
    """The delivery report the simulator sent webcare for one of Glasnet's WhatsApp messages."""
    state.platform_data(VIEW_KEY).setdefault("statuses", {})[message_id] = status


def statuses(state: SimState) -> dict[str, str]:
    return dict(state.platform_data(VIEW_KEY).get("statuses", {}))


# --- the view model (pure) -------------------------------------------------------------------


@dataclass
class Entry:
    """One bubble: ``by`` is "customer" or "brand"."""

    by: str
    text: str
    at: datetime
    label: str = ""
    external_id: str = ""
    stars: int | None = None
    hidden: bool = False
    liked: bool = False
    status: str | None = None


@dataclass
class ThreadView:
    key: str
    platform: str
    kind: str
    customer: str
    post_text: str | None
    entries: list[Entry]


@dataclass
class PlatformView:
    platform: str
    title: str
    threads: list[ThreadView]
    #: Glasnet's messages to people the simulator did not play (e.g. the seeded conversations).
    others: list[Entry]


def platform_view(state: SimState, platform: str) -> PlatformView:
    """Every thread of ``platform`` as its customer sees it, newest thread first."""
    sent = state.sent(platform)
    wa_statuses = statuses(state) if platform == "whatsapp" else {}
    used: set[int] = set()
    threads: dict[str, list[Delivered]] = {}
    for item in delivered(state, platform):
        threads.setdefault(item.thread, []).append(item)
    # Newest thread first, so a DM goes to the latest thread its customer had started by then.
    views = [_thread_view(items, sent, used, wa_statuses) for items in reversed(threads.values())]
    views.sort(key=lambda v: max(e.at for e in v.entries), reverse=True)
    others = [
        _brand_entry(s, wa_statuses)
        for i, s in enumerate(sent)
        if i not in used and s.kind not in _MARKER_KINDS
    ]
    return PlatformView(platform, PLATFORMS[platform], views, others)


def _thread_view(
    items: list[Delivered], sent: list[Sent], used: set[int], wa_statuses: dict[str, str]
) -> ThreadView:
    first = items[0]
    ids = {d.external_id for d in items}
    entries = [
        Entry(
            by="customer",
            text=d.text,
            at=d.at,
            label="edited review" if d.edit else "",
            external_id=d.external_id,
            stars=d.stars,
        )
        for d in items
    ]
    by_id = {e.external_id: e for e in entries}
    for index, s in enumerate(sent):
        if s.kind in _MARKER_KINDS:
            target = by_id.get(s.external_id)
            if target is not None:
                used.add(index)
                if s.kind == "like":
                    target.liked = True
                else:
                    target.hidden = s.kind == "hide"
            continue
        if index in used or not _belongs(s, first, ids):
            continue
        used.add(index)
        ids.add(s.external_id)
        entry = _brand_entry(s, wa_statuses)
        entries.append(entry)
        by_id[s.external_id] = entry
    entries.sort(key=lambda e: e.at)
    return ThreadView(
        key=first.thread,
        platform=first.platform,
        kind=KIND_LABELS.get((first.platform, first.kind), first.kind),
        customer=first.customer_name,
        post_text=first.post_text,
        entries=entries,
    )


def _belongs(sent: Sent, thread: Delivered, ids: set[str]) -> bool:
    if sent.kind not in _MESSAGE_KINDS:
        return False
    if sent.in_reply_to is not None and sent.in_reply_to in ids:
        return True
    private = thread.kind in PRIVATE_KINDS or thread.platform == "whatsapp"
    return (
        private
        and sent.kind != "private_reply"
        and sent.recipient == thread.customer_id
        and sent.at >= thread.at
    )


_LABELS = {
    "private_reply": "private reply",
    "template": "template message",
    "reply_updated": "reply (updated)",
    "dm": "direct message",
}


def _brand_entry(sent: Sent, wa_statuses: dict[str, str]) -> Entry:
    status = None
    if sent.platform == "whatsapp":
        status = wa_statuses.get(sent.external_id, "sent")
    text = sent.text or ""
    if sent.kind == "template":
        text = f"[template {text}]"
    return Entry(
        by="brand",
        text=text,
        at=sent.at,
        label=_LABELS.get(sent.kind, ""),
        external_id=sent.external_id,
        status=status,
    )


# --- HTTP ------------------------------------------------------------------------------------


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("webcare.simulator", "templates"), autoescape=True)
    env.filters["stars"] = lambda n: "★" * int(n) + "☆" * (5 - int(n))
    env.filters["clock"] = lambda at: at.astimezone(UTC).strftime("%H:%M:%S")
    return env


def render(state: SimState, platforms: Iterable[str], *, refresh: bool = True) -> str:
    views = [platform_view(state, p) for p in platforms]
    template = _environment().get_template("customer_view.html")
    context: dict[str, Any] = {
        "views": views,
        "platforms": PLATFORMS,
        "refresh": REFRESH_SECONDS if refresh else None,
    }
    return template.render(context)


def build_router(state: SimState) -> APIRouter:
    router = APIRouter(tags=["simulator: customer view"])

    @router.get("/", response_class=HTMLResponse)
    def everything(refresh: bool = True) -> HTMLResponse:
        """Every platform's threads, as their customers see them."""
        return HTMLResponse(render(state, PLATFORMS, refresh=refresh))

    @router.get("/customer/{platform}", response_class=HTMLResponse)
    def one_platform(platform: str, refresh: bool = True) -> HTMLResponse:
        if platform not in PLATFORMS:
            raise HTTPException(404, f"no customer view for {platform!r}")
        return HTMLResponse(render(state, [platform], refresh=refresh))

    return router
