"""Saved listening queries over the API: validated by the parser, scoped to the workspace."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.conftest import token_for
from tests.listening.helpers import percolate, post
from webcare.channel.ports import ConversationKind
from webcare.demo.cast import Cast
from webcare.kit.time import utc_now
from webcare.runtime import Runtime

URL = "/api/v1/listening/queries"


def _create(api: TestClient, name: str, query: str, **extra: object) -> dict[str, object]:
    response = api.post(URL, json={"name": name, "query": query, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_saved_query_is_listed_with_its_warnings(api: TestClient) -> None:
    saved = _create(api, "NS storingen", "ns OR trein AND storing")
    assert saved["query"] == "ns OR trein AND storing"
    warnings = saved["warnings"]
    assert isinstance(warnings, list)
    assert warnings, "mixing AND and OR deserves a warning"
    assert all("position" in w and "message" in w for w in warnings)

    listed = api.get(URL).json()
    assert [q["name"] for q in listed] == ["NS storingen"]
    assert listed[0]["warnings"] == warnings
    assert api.get(f"{URL}/{saved['id']}").json()["name"] == "NS storingen"


def test_bad_query_is_a_422_naming_position_and_problem_and_nothing_is_saved(
    api: TestClient,
) -> None:
    response = api.post(URL, json={"name": "kapot", "query": "storing AND (ns OR"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid"
    assert isinstance(body["position"], int)
    assert body["position"] >= 0
    assert body["problem"]
    assert "^" in body["caret"]
    assert str(body["position"] + 1) in body["detail"]
    assert api.get(URL).json() == []


def test_check_endpoint_previews_without_saving(api: TestClient) -> None:
    ok = api.post(f"{URL}/check", json={"query": "NOT storing"})
    assert ok.status_code == 200
    assert ok.json()["warnings"], "a query matching almost everything is warned about"
    bad = api.post(f"{URL}/check", json={"query": "*ing"})
    assert bad.status_code == 422
    assert bad.json()["position"] == 0
    assert api.get(URL).json() == []


def test_name_is_unique_per_workspace(
    api: TestClient, app_client: TestClient, runtime: Runtime, other_cast: Cast
) -> None:
    _create(api, "Merk", "glasnet")
    duplicate = api.post(URL, json={"name": "Merk", "query": "glasnet OR glas"})
    assert duplicate.status_code == 409

    other = TestClient(app_client.app)
    other.headers["Authorization"] = f"Bearer {token_for(runtime, other_cast)}"
    assert other.post(URL, json={"name": "Merk", "query": "spoor"}).status_code == 201


def test_another_workspaces_query_is_not_found(
    api: TestClient, app_client: TestClient, runtime: Runtime, other_cast: Cast
) -> None:
    saved = _create(api, "Merk", "glasnet")
    other = TestClient(app_client.app)
    other.headers["Authorization"] = f"Bearer {token_for(runtime, other_cast)}"
    assert other.get(f"{URL}/{saved['id']}").status_code == 404
    assert other.patch(f"{URL}/{saved['id']}", json={"enabled": False}).status_code == 404
    assert other.delete(f"{URL}/{saved['id']}").status_code == 404
    assert other.get(f"{URL}/{saved['id']}/hits").status_code == 404
    assert other.get(URL).json() == []


def test_update_changes_only_what_is_sent_and_validates(api: TestClient, cast: Cast) -> None:
    saved = _create(api, "Merk", "glasnet", priority="high")
    changed = api.patch(
        f"{URL}/{saved['id']}", json={"query": "glasnet OR @GlasnetHelpt", "team_id": None}
    )
    assert changed.status_code == 200
    assert changed.json()["query"] == "glasnet OR @GlasnetHelpt"
    assert changed.json()["priority"] == "high"
    bad = api.patch(f"{URL}/{saved['id']}", json={"query": '"open phrase'})
    assert bad.status_code == 422
    assert "position" in bad.json()
    assert api.get(f"{URL}/{saved['id']}").json()["query"] == "glasnet OR @GlasnetHelpt"
    assert api.patch(f"{URL}/{saved['id']}", json={"team_id": 999999}).status_code == 404
    assert api.patch(f"{URL}/{saved['id']}", json={"priority": "asap"}).status_code == 422
    assert api.patch(f"{URL}/{saved['id']}", json={"name": None}).status_code == 422
    team = cast.teams["Webcare"]
    assert api.patch(f"{URL}/{saved['id']}", json={"team_id": team}).json()["team_id"] == team


def test_delete_removes_the_query(api: TestClient) -> None:
    saved = _create(api, "Merk", "glasnet")
    assert api.delete(f"{URL}/{saved['id']}").status_code == 204
    assert api.get(f"{URL}/{saved['id']}").status_code == 404


def test_webhook_secret_is_shown_once(api: TestClient) -> None:
    saved = _create(api, "Merk", "glasnet", alert_webhook_url="https://hooks.example/x")
    secret = saved["alert_webhook_secret"]
    assert isinstance(secret, str)
    assert secret.startswith("whsec_")
    assert api.get(f"{URL}/{saved['id']}").json()["alert_webhook_secret"] is None
    bad = api.post(URL, json={"name": "x", "query": "x", "alert_webhook_url": "ftp://x"})
    assert bad.status_code == 422


def test_agents_read_but_only_leads_and_admins_write(
    app_client: TestClient, runtime: Runtime, cast: Cast
) -> None:
    agent = TestClient(app_client.app)
    agent.headers["Authorization"] = "Bearer " + token_for(
        runtime, cast, ["listening:read"], user="anna"
    )
    assert agent.get(URL).status_code == 200
    assert agent.post(URL, json={"name": "x", "query": "x"}).status_code == 403


#: The examples of QUERY_LANGUAGE.md that match messages (``language:`` needs a mention: see
#: the next test), with a post each should find and one it should not.
EXAMPLES = [
    (
        '(ns OR "nederlandse spoorwegen" OR @NS_online) AND (storing OR vertraging OR '
        '"rijdt niet") NOT site:ns.nl',
        {"text": "Weer een storing bij de NS vanochtend, trein rijdt niet"},
        {"text": "De NS heeft een mooie nieuwe app"},
    ),
    (
        '"ziggo"~3 "internet" NOT author:ZiggoWebcare',
        {"text": "Ziggo heeft mijn internet weer eens platgelegd", "author": "boze_klant"},
        {"text": "Ziggo heeft mijn internet hersteld, sorry!", "author": "ZiggoWebcare"},
    ),
    (
        '{KPN} AND (opzeggen OR "klantenservice") authorFollowers:[1000 TO 10000000]',
        {"text": "KPN ik ga opzeggen", "author": "influencer", "followers": 25000},
        {"text": "KPN ik ga opzeggen", "author": "stil", "followers": 12},
    ),
    (
        "coolblue AND rating:[1 TO 2]",
        {"text": "Coolblue bezorging was een ramp", "rating": 1, "kind": ConversationKind.REVIEW},
        {"text": "Coolblue bezorging was top", "rating": 5, "kind": ConversationKind.REVIEW},
    ),
]


def test_query_language_examples_find_the_posts_they_describe(
    api: TestClient, runtime: Runtime, cast: Cast
) -> None:
    ids = []
    for n, (query, _match, _miss) in enumerate(EXAMPLES):
        ids.append(_create(api, f"voorbeeld {n}", query)["id"])
    expected = {}
    for query_id, (_query, match, miss) in zip(ids, EXAMPLES, strict=True):
        account = cast.accounts["google_reviews" if "rating" in match else "x"]
        expected[query_id] = post(runtime, account, **match).message_id  # type: ignore[arg-type]
        post(runtime, account, **miss)  # type: ignore[arg-type]
    percolate(runtime)
    for query_id in ids:
        hits = api.get(f"{URL}/{query_id}/hits").json()["items"]
        assert [h["message_id"] for h in hits] == [expected[query_id]], query_id


def test_the_language_example_finds_dutch_mentions(api: TestClient, runtime: Runtime) -> None:
    """The second example of QUERY_LANGUAGE.md: messages carry no language, mentions do."""
    query_id = _create(
        api, "KLM bagage", "(klm OR @KLM) NEAR/5 (koffer* OR bagage OR baggage) language:nl"
    )["id"]
    published = (utc_now() - timedelta(hours=1)).isoformat()
    items = [
        {"external_id": "nl", "text": "@KLM waar is mijn koffer?", "lang": "nl"},
        {"external_id": "en", "text": "KLM lost my baggage", "lang": "en"},
        {"external_id": "ver", "text": "KLM, een lange vlucht, en toen de bagage", "lang": "nl"},
    ]
    sent = api.post(
        "/api/v1/listening/mentions",
        json={"source": "Forum", "items": [{**i, "published_at": published} for i in items]},
    ).json()
    percolate(runtime)
    hits = api.get(f"{URL}/{query_id}/hits").json()["items"]
    assert [h["mention_id"] for h in hits] == [sent["mention_ids"][0]]


def test_preview_shows_recent_hits_and_counts_per_clause(
    api: TestClient, runtime: Runtime, cast: Cast
) -> None:
    x = cast.accounts["x"]
    post(runtime, x, "Glasnet storing in Utrecht")
    post(runtime, x, "Glasnet is snel")
    post(runtime, x, "Ziggo storing")
    post(runtime, x, "storing van vorige maand", at=utc_now() - timedelta(days=20))
    response = api.post(f"{URL}/preview", json={"query": "glasnet AND storing", "days": 7})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scanned"] == 3
    assert body["hits"] == 1
    assert [e["text"] for e in body["examples"]] == ["Glasnet storing in Utrecht"]
    assert body["clauses"] == [
        {"clause": "glasnet", "hits": 2},
        {"clause": "storing", "hits": 2},
    ]
    assert api.get(URL).json() == [], "a preview saves nothing"
    bad = api.post(f"{URL}/preview", json={"query": "glasnet AND"})
    assert bad.status_code == 422
    assert "position" in bad.json()
