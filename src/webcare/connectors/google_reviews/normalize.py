"""Business Profile ``Review`` objects → inbound messages and edits.

Followed: developers.google.com/my-business/reference/rest/v4/accounts.locations.reviews
(``Review``: ``name``, ``reviewId``, ``reviewer {displayName, profilePhotoUrl, isAnonymous}``,
``starRating`` ``ONE``..``FIVE`` (or ``STAR_RATING_UNSPECIFIED``), ``comment`` (absent for a
rating-only review), ``createTime``, ``updateTime``, ``reviewReply {comment, updateTime}``).

A review is one :class:`InboundMessage` of kind ``review`` whose external id and thread id are
the review's resource name (``accounts/…/locations/…/reviews/…``), the id replies are sent to.
A review changed after it was written (``updateTime`` later than ``createTime``) also yields an
:class:`InboundEdit` with its current text: applied to the stored review it keeps the old text
as a revision; right after a first store it is a no-op. Reviewers have no stable user id in the
API, so the identity is the reviewer's display name within the business account (anonymous
reviewers share one identity), which is all Google shows the business too; two reviewers with
the same name therefore share a contact, while each review keeps its own conversation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from webcare.channel.ports import (
    Author,
    ConversationKind,
    InboundEdit,
    InboundMessage,
    MessageVisibility,
)
from webcare.kit.errors import Invalid

STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
REVIEW_NAME = re.compile(r"^accounts/[^/]+/locations/[^/]+/reviews/[^/]+$")
LOCATION_NAME = re.compile(r"^accounts/[^/]+/locations/[^/]+$")


def review_events(review: Mapping[str, Any], location: str) -> list[InboundMessage | InboundEdit]:
    """The message for ``review`` and, when it was changed since, the edit to its current text."""
    message = review_message(review, location)
    events: list[InboundMessage | InboundEdit] = [message]
    created = parse_time(review.get("createTime"), "createTime")
    updated = update_time(review)
    if updated > created:
        events.append(
            InboundEdit(
                external_id=message.external_id,
                text=message.text,
                edited_at=updated,
                raw=dict(review),
            )
        )
    return events


def review_message(review: Mapping[str, Any], location: str) -> InboundMessage:
    name = review_name(review)
    rating = STARS.get(str(review.get("starRating")))
    reviewer = review.get("reviewer")
    reviewer = reviewer if isinstance(reviewer, Mapping) else {}
    anonymous = reviewer.get("isAnonymous") is True
    display = reviewer.get("displayName")
    display = display.strip() if isinstance(display, str) and display.strip() else None
    photo = reviewer.get("profilePhotoUrl")
    return InboundMessage(
        external_id=name,
        author=Author(
            platform_user_id=_reviewer_id(location, display, anonymous),
            handle=None,
            name=display or ("A Google user" if anonymous else None),
        ),
        text=review_text(review, rating),
        platform_time=parse_time(review.get("createTime"), "createTime"),
        kind=ConversationKind.REVIEW,
        visibility=MessageVisibility.PUBLIC,
        thread_external_id=name,
        rating=rating,
        attachments=(),
        raw={**dict(review), "location": location, "reviewer_photo": photo},
    )


def review_text(review: Mapping[str, Any], rating: int | None) -> str:
    """The reviewer's words; a rating-only review reads as its stars so it still lands."""
    comment = review.get("comment")
    if isinstance(comment, str) and comment.strip():
        return comment.strip()
    if rating is None:
        return "(review without text or rating)"
    return "★" * rating + "☆" * (5 - rating)


def review_name(review: Mapping[str, Any]) -> str:
    name = review.get("name")
    if not isinstance(name, str) or not REVIEW_NAME.match(name):
        raise Invalid("a review needs a name like accounts/…/locations/…/reviews/…")
    return name


def update_time(review: Mapping[str, Any]) -> datetime:
    """When the review last changed (``updateTime``, else ``createTime``)."""
    if review.get("updateTime"):
        return parse_time(review.get("updateTime"), "updateTime")
    return parse_time(review.get("createTime"), "createTime")


def parse_time(value: Any, field: str) -> datetime:
    """Google's RFC 3339 timestamps (``Z``, up to nine fractional digits) as aware UTC."""
    if not isinstance(value, str) or not value:
        raise Invalid(f"a review's {field} must be an RFC 3339 time")
    text = re.sub(r"(\.\d{6})\d+", r"\1", value)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Invalid(f"a review's {field} is not an RFC 3339 time: {value!r}") from exc
    if parsed.tzinfo is None:
        raise Invalid(f"a review's {field} must include a time zone")
    return parsed.astimezone(UTC)


def _reviewer_id(location: str, display: str | None, anonymous: bool) -> str:
    """Reviewers have no id in the API: name them per business account by what Google shows."""
    account = location.split("/")[1]
    who = "anonymous" if anonymous or not display else display.casefold()
    return f"google:{account}:{who}"[:255]
