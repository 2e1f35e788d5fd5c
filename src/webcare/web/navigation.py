"""The inbox's views and filters: from a query string to a :class:`ConversationFilter`.

A view (``?view=mine``) sets defaults; explicit filter parameters (``status``, ``channel``,
``assignee``, ``team``, ``label``, ``visibility``, ``q``, ``sort``) refine it. The query string
is the whole state of a list, so a list can be bookmarked, shared, reloaded and saved as a
custom view. Bad values are refused with a readable 422, never ignored silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlencode

from webcare.conversation.filters import ConversationFilter, Sort
from webcare.conversation.models import SavedView
from webcare.kit.errors import Invalid
from webcare.web.i18n import N_

ACTIVE = ("open", "pending")
STATUS_CHOICES: dict[str, tuple[str, ...]] = {
    "active": ACTIVE,
    "open": ("open",),
    "pending": ("pending",),
    "snoozed": ("snoozed",),
    "resolved": ("resolved",),
    "all": (),
}
STATUS_LABELS = {
    "active": N_("Open and pending"),
    "open": N_("Open"),
    "pending": N_("Pending"),
    "snoozed": N_("Snoozed"),
    "resolved": N_("Resolved"),
    "all": N_("Any status"),
}
SORT_LABELS = {
    Sort.WAITING.value: N_("Waiting longest"),
    Sort.SLA.value: N_("SLA due first"),
    Sort.PRIORITY.value: N_("Priority"),
    Sort.NEWEST.value: N_("Newest activity"),
    Sort.URGENCY.value: N_("Urgency"),
}
DEFAULT_VIEW = "open"
SENTIMENT_CHOICES = {
    "negative": N_("Negative"),
    "neutral": N_("Neutral"),
    "positive": N_("Positive"),
}

_FILTER_KEYS = (
    "view",
    "status",
    "channel",
    "assignee",
    "team",
    "label",
    "visibility",
    "sentiment",
    "q",
    "sort",
)


@dataclass(frozen=True)
class BuiltinView:
    key: str
    label: str
    count_key: str
    statuses: tuple[str, ...]
    assignee: str | None = None
    sort: Sort = Sort.WAITING


BUILTIN_VIEWS: tuple[BuiltinView, ...] = (
    BuiltinView("mine", N_("Mine"), "mine", ACTIVE, assignee="me"),
    BuiltinView("unassigned", N_("Unassigned"), "unassigned", ("open",), assignee="none"),
    BuiltinView("open", N_("All open"), "active", ACTIVE),
    BuiltinView("snoozed", N_("Snoozed"), "status:snoozed", ("snoozed",)),
    BuiltinView("resolved", N_("Resolved"), "status:resolved", ("resolved",), sort=Sort.NEWEST),
)
_BY_KEY = {v.key: v for v in BUILTIN_VIEWS}


@dataclass(frozen=True)
class ListState:
    """What the agent asked for, parsed: the filter, the form's values and the URL's."""

    view: str
    filters: ConversationFilter
    values: dict[str, str]
    url_values: dict[str, str]

    @property
    def query(self) -> str:
        return urlencode(self.url_values)

    def href(self, **changes: str | None) -> str:
        """This list's URL with some parameters changed (None removes one)."""
        values = dict(self.url_values)
        for key, value in changes.items():
            if value is None:
                values.pop(key, None)
            else:
                values[key] = value
        return "/inbox" + (f"?{urlencode(values)}" if values else "")


def parse(params: Mapping[str, str], user_id: int, saved: SavedView | None = None) -> ListState:
    """Turn query parameters (on top of a saved view's stored query) into a list state."""
    explicit = {k: v for k, v in params.items() if k in _FILTER_KEYS and v.strip() != ""}
    merged: dict[str, str] = dict(parse_qsl(saved.query)) if saved is not None else {}
    if saved is not None:
        explicit.pop("view", None)
    merged.update(explicit)
    base_view = merged.get("view") or DEFAULT_VIEW
    filters = _refine(_view_filter(base_view, user_id), merged, user_id)
    shown = f"saved:{saved.id}" if saved is not None else base_view
    url_values = {"view": shown, **{k: v for k, v in explicit.items() if k != "view"}}
    return ListState(
        view=shown,
        filters=filters,
        values={**merged, "view": shown},
        url_values=url_values,
    )


def _view_filter(view: str, user_id: int) -> ConversationFilter:
    if view in _BY_KEY:
        spec = _BY_KEY[view]
        assignee = _assignee(spec.assignee, user_id) if spec.assignee else None
        return ConversationFilter(statuses=spec.statuses, sort=spec.sort, assignee_id=assignee)
    kind, _, value = view.partition(":")
    if not value:
        raise Invalid(f"unknown view '{view}'")
    if kind == "team":
        return ConversationFilter(statuses=ACTIVE, team_id=int_param(value, "team"))
    if kind == "channel":
        return ConversationFilter(statuses=ACTIVE, channel_account_id=int_param(value, "channel"))
    if kind == "label":
        return ConversationFilter(statuses=ACTIVE, label=value[:100])
    raise Invalid(f"unknown view '{view}'")


def _refine(filters: ConversationFilter, p: Mapping[str, str], user_id: int) -> ConversationFilter:
    if "status" in p:
        if p["status"] not in STATUS_CHOICES:
            raise Invalid(f"unknown status '{p['status']}'")
        filters = replace(filters, statuses=STATUS_CHOICES[p["status"]])
    if "channel" in p:
        filters = replace(filters, channel_account_id=int_param(p["channel"], "channel"))
    if "assignee" in p:
        filters = replace(filters, assignee_id=_assignee(p["assignee"], user_id))
    if "team" in p:
        filters = replace(filters, team_id=int_param(p["team"], "team"))
    if "label" in p:
        filters = replace(filters, label=p["label"][:100])
    if "visibility" in p:
        if p["visibility"] not in ("public", "private"):
            raise Invalid("visibility must be 'public' or 'private'")
        filters = replace(filters, visibility=p["visibility"])
    if "sentiment" in p:
        if p["sentiment"] not in SENTIMENT_CHOICES:
            raise Invalid("sentiment must be 'positive', 'neutral' or 'negative'")
        filters = replace(filters, sentiment=p["sentiment"])
    if p.get("q", "").strip():
        filters = replace(filters, text=p["q"].strip()[:200])
    if "sort" in p:
        try:
            filters = replace(filters, sort=Sort(p["sort"]))
        except ValueError as exc:
            raise Invalid(f"unknown sort '{p['sort']}'") from exc
    return filters


def _assignee(value: str, user_id: int) -> int:
    if value == "me":
        return user_id
    if value == "none":
        return 0
    return int_param(value, "assignee")


def int_param(value: str, what: str, *, message: str | None = None) -> int:
    """An id from a query or form field; at most 18 digits, so it always fits a BIGINT."""
    value = value.strip()
    if not value.isdigit() or len(value) > 18:
        raise Invalid(message or f"{what} must be a number")
    return int(value)
