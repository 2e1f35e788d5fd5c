"""Google Business Profile reviews (API v4) as webcare uses them, for tests and the demo.

Answers with the shapes of developers.google.com/my-business/reference/rest/v4:

* ``GET /v4/accounts`` → ``{"accounts": [Account]}``;
* ``GET /v4/accounts/{a}/locations/{l}/reviews`` (``pageSize`` at most 50, ``pageToken``,
  ``orderBy``: ``updateTime desc`` by default, ``rating``, ``rating desc``) →
  ``{"reviews", "averageRating", "totalReviewCount", "nextPageToken"}`` from
  ``platform_data("google")["locations"][location name]`` (see :func:`add_location`,
  :func:`add_review`, :func:`update_review`); an unknown location is 404 ``NOT_FOUND``;
* ``PUT /v4/accounts/{a}/locations/{l}/reviews/{r}/reply`` with ``{"comment"}`` (at most 4096
  bytes) → ``ReviewReply`` ``{"comment", "updateTime"}``; a second PUT replaces the reply, as
  on Google. Recorded as ``Sent(platform="google_reviews", kind="reply" | "reply_updated")``.

Errors are Google's ``{"error": {"code", "message", "status"}}``. The bearer token must equal
``platform_data("google")["access_token"]`` (default ``sim-google-token``), else 401
``UNAUTHENTICATED``. Queued faults (``state.take_fault("google")``): 429
``RESOURCE_EXHAUSTED`` (with ``Retry-After`` when given), 401, 403 ``PERMISSION_DENIED``, 404,
5xx ``UNAVAILABLE``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from webcare.simulator.state import Fault, Sent, SimState

PREFIX = "/google"
DEFAULT_TOKEN = "sim-google-token"  # noqa: S105 - the simulator's own, well-known token
DEFAULT_ACCOUNT = "accounts/112233445566778899"
MAX_PAGE_SIZE = 50
MAX_REPLY_BYTES = 4096
_STARS = ("ONE", "TWO", "THREE", "FOUR", "FIVE")
_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
}


def build_router(state: SimState) -> APIRouter:
    router = APIRouter(tags=["simulator: Google Business Profile"])

    @router.get("/v4/accounts")
    def accounts(request: Request) -> JSONResponse:
        refused = _refusal(state, request)
        if refused is not None:
            return refused
        names = sorted({"/".join(n.split("/")[:2]) for n in _locations(state)} or {DEFAULT_ACCOUNT})
        return JSONResponse(
            {
                "accounts": [
                    {"name": n, "accountName": "Glasnet", "type": "LOCATION_GROUP"} for n in names
                ]
            }
        )

    @router.get("/v4/accounts/{account}/locations/{location}/reviews")
    def list_reviews(account: str, location: str, request: Request) -> JSONResponse:
        refused = _refusal(state, request)
        if refused is not None:
            return refused
        name = f"accounts/{account}/locations/{location}"
        if name not in _locations(state):
            return _error(404, f"Requested entity was not found: {name}")
        return _page(list(_locations(state)[name]), request)

    @router.put("/v4/accounts/{account}/locations/{location}/reviews/{review_id}/reply")
    async def reply(account: str, location: str, review_id: str, request: Request) -> JSONResponse:
        refused = _refusal(state, request)
        if refused is not None:
            return refused
        name = f"accounts/{account}/locations/{location}/reviews/{review_id}"
        review = find_review(state, name)
        if review is None:
            return _error(404, "Requested entity was not found.")
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return _error(400, "Invalid JSON payload received.")
        comment = body.get("comment") if isinstance(body, dict) else None
        if not isinstance(comment, str) or not comment.strip():
            return _error(400, "Request contains an invalid argument: comment is required.")
        if len(comment.encode("utf-8")) > MAX_REPLY_BYTES:
            return _error(400, "Request contains an invalid argument: comment is too long.")
        kind = "reply_updated" if "reviewReply" in review else "reply"
        answer = {"comment": comment, "updateTime": _now()}
        review["reviewReply"] = answer
        state.record(
            Sent(
                platform="google_reviews",
                kind=kind,
                external_id=name,
                text=comment,
                in_reply_to=name,
                request=body,
            )
        )
        return JSONResponse(answer)

    return router


# --- content --------------------------------------------------------------------------------


def add_location(state: SimState, location: str) -> None:
    """Make ``location`` (``accounts/…/locations/…``) exist, still without reviews."""
    _locations(state).setdefault(location, [])


def add_review(
    state: SimState,
    location: str,
    *,
    reviewer: str = "A Google User",
    stars: int = 5,
    comment: str | None = None,
    anonymous: bool = False,
    review_id: str | None = None,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    """Make a new review appear on ``location`` (``accounts/…/locations/…``); returns it."""
    if not 1 <= stars <= 5:
        raise ValueError("stars must be between 1 and 5")
    rid = review_id or f"AbFvOqSim{state.next_id()}"
    when = _now(created_at)
    review: dict[str, Any] = {
        "name": f"{location}/reviews/{rid}",
        "reviewId": rid,
        "reviewer": {"displayName": "A Google User" if anonymous else reviewer},
        "starRating": _STARS[stars - 1],
        "createTime": when,
        "updateTime": when,
    }
    review["reviewer"]["isAnonymous"] = anonymous
    if not anonymous:
        review["reviewer"]["profilePhotoUrl"] = f"https://lh3.googleusercontent.com/a-/SIM{rid}"
    if comment is not None:
        review["comment"] = comment
    _locations(state).setdefault(location, []).append(review)
    return review


def update_review(
    state: SimState,
    name: str,
    *,
    comment: str | None = None,
    stars: int | None = None,
    updated_at: datetime | None = None,
) -> dict[str, Any]:
    """The reviewer edits their review: new text and/or rating, a newer ``updateTime``."""
    review = find_review(state, name)
    if review is None:
        raise KeyError(name)
    if comment is not None:
        review["comment"] = comment
    if stars is not None:
        review["starRating"] = _STARS[stars - 1]
    review["updateTime"] = _now(updated_at)
    return review


def find_review(state: SimState, name: str) -> dict[str, Any] | None:
    location = name.rsplit("/reviews/", 1)[0]
    for review in _locations(state).get(location, []):
        if review["name"] == name:
            return review
    return None


def _locations(state: SimState) -> dict[str, list[dict[str, Any]]]:
    locations: dict[str, list[dict[str, Any]]] = state.platform_data("google").setdefault(
        "locations", {}
    )
    return locations


def _page(reviews: list[dict[str, Any]], request: Request) -> JSONResponse:
    params = request.query_params
    try:
        size = int(params.get("pageSize", str(MAX_PAGE_SIZE)))
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        return _error(
            400, f"Request contains an invalid argument: pageSize must be 1..{MAX_PAGE_SIZE}"
        )
    order = params.get("orderBy", "updateTime desc")
    if order == "updateTime desc":
        reviews.sort(key=lambda r: _parse(r["updateTime"]), reverse=True)
    elif order in ("rating", "rating desc"):
        reviews.sort(key=lambda r: _STARS.index(r["starRating"]), reverse=order == "rating desc")
    else:
        return _error(400, f"Request contains an invalid argument: orderBy {order!r}")
    token = params.get("pageToken", "")
    start = int(token[1:]) if token.startswith("p") and token[1:].isdigit() else 0
    page = reviews[start : start + size]
    body: dict[str, Any] = {"totalReviewCount": len(reviews)}
    if page:
        body["reviews"] = page
    if reviews:
        stars = [_STARS.index(r["starRating"]) + 1 for r in reviews]
        body["averageRating"] = round(sum(stars) / len(stars), 1)
    if start + size < len(reviews):
        body["nextPageToken"] = f"p{start + size}"
    return JSONResponse(body)


def _now(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _refusal(state: SimState, request: Request) -> JSONResponse | None:
    """Google's answer when the token is wrong or a fault is queued; None to go ahead."""
    expected = str(state.platform_data("google").get("access_token", DEFAULT_TOKEN))
    if request.headers.get("Authorization", "") != f"Bearer {expected}":
        return _error(
            401,
            "Request had invalid authentication credentials. Expected OAuth 2 access token, "
            "login cookie or other valid authentication credential.",
        )
    fault = state.take_fault("google")
    return None if fault is None else _fault_response(fault)


def _fault_response(fault: Fault) -> JSONResponse:
    headers = {}
    if fault.status == 429 and fault.retry_after is not None:
        headers["Retry-After"] = f"{fault.retry_after:g}"
    default = {
        429: "Quota exceeded for quota metric 'Requests' of service mybusiness.googleapis.com.",
        401: "Request had invalid authentication credentials.",
        403: "The caller does not have permission",
        404: "Requested entity was not found.",
    }.get(fault.status, "The service is currently unavailable.")
    return _error(fault.status, fault.message or default, headers)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    code = _STATUS.get(status, "UNAVAILABLE" if status >= 500 else "FAILED_PRECONDITION")
    body = {"error": {"code": status, "message": message, "status": code}}
    return JSONResponse(body, status_code=status, headers=headers)
