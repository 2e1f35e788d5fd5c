"""Whatever a client sends, the answer is a 2xx or a clear 4xx, never a 500."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ingestion.helpers import payload
from webcare.demo.cast import Cast

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
_fields = st.sampled_from(
    [
        "external_id",
        "author",
        "text",
        "sent_at",
        "kind",
        "visibility",
        "reply_to",
        "thread_id",
        "subject",
        "rating",
        "attachments",
    ]
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=st.dictionaries(_fields, _json, min_size=1, max_size=3))
def test_mangled_messages_never_cause_a_server_error(
    api: TestClient, cast: Cast, changes: dict[str, Any]
) -> None:
    body = payload("fuzz-1")
    body.update(changes)
    response = api.post(f"/api/v1/channel-accounts/{cast.accounts['api'].id}/messages", json=body)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert set(response.json()) >= {"error", "detail"}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.text(max_size=60),
    sort=st.sampled_from(["waiting", "newest", "priority", "x"]),
    cursor=st.text(max_size=30),
)
def test_odd_list_queries_never_cause_a_server_error(
    api: TestClient, query: str, sort: str, cursor: str
) -> None:
    response = api.get("/api/v1/conversations", params={"q": query, "sort": sort, "cursor": cursor})
    assert response.status_code < 500, response.text


def test_openapi_documents_the_api(api: TestClient) -> None:
    schema = api.get("/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/conversations",
        "/api/v1/conversations/{conversation_id}/replies",
        "/api/v1/contacts/{contact_id}",
        "/api/v1/channel-accounts/{account_id}/messages",
        "/api/v1/labels",
        "/api/v1/admin/jobs",
        "/webhooks/api/{webhook_token}",
    ):
        assert path in paths, path
