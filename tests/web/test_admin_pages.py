"""The workspace admin pages: members, teams, labels and channels, for admins only.

Each change goes through the real form (CSRF field, 303 back to the page) and is checked on
the page afterwards; each refusal is a readable 4xx that stored nothing; ids of another
workspace are 404 like ids that do not exist.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from httpx2 import Response

from tests.web.conftest import Agent, OpenAs
from tests.web.ui import ingest
from webcare.audit.models import AuditEvent
from webcare.auth.models import User
from webcare.auth.principal import Principal
from webcare.channel import composing
from webcare.channel.models import ChannelAccount
from webcare.conversation.models import ConversationLabel, Label
from webcare.demo.cast import DEMO_PASSWORD, Cast
from webcare.kit.db import unit_of_work
from webcare.kit.errors import Conflict
from webcare.runtime import Runtime
from webcare.workspace import service as workspaces
from webcare.workspace.models import Membership, Role, Team, TeamMember

HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
NEW_PASSWORD = "lang-genoeg-wachtwoord"


@pytest.fixture
def admin(agent: OpenAs) -> Agent:
    """Glasnet's admin, logged in (English pages, so messages read as in the code)."""
    return agent("beheer")


def _post(client: TestClient, csrf: str, url: str, **data: str) -> Response:
    return client.post(url, data={"csrf_token": csrf, **data}, follow_redirects=False)


def _scalar(runtime: Runtime, query: sa.Select[Any]) -> object:
    with unit_of_work(runtime.session_factory) as db:
        return db.scalar(query)


def _count(runtime: Runtime, query: sa.Select[Any]) -> int:
    with unit_of_work(runtime.session_factory) as db:
        return int(db.scalar(query) or 0)


def _assert_redirected(response: Response, page: str, notice: str) -> None:
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{page}?saved={notice}"


def _assert_refused(response: Response, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    assert message in response.text
    assert 'role="alert"' in response.text


# Access -----------------------------------------------------------------------------------


PAGES = ("/admin/users", "/admin/teams", "/admin/labels", "/admin/channels")


@pytest.mark.parametrize("username", ["anna", "lars"])
def test_members_who_are_not_admins_get_a_readable_403(
    agent: OpenAs, cast: Cast, username: str
) -> None:
    client, csrf = agent(username)

    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 403
        assert "only workspace admins" in response.text
    write = _post(client, csrf, "/admin/teams", name="Stiekem")
    assert write.status_code == 403
    home = client.get("/inbox")
    assert 'href="/admin/users"' not in home.text


def test_a_logged_out_visitor_is_sent_to_login(app_client: TestClient) -> None:
    response = app_client.get("/admin/labels", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/admin/labels"


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    admin: Agent, runtime: Runtime
) -> None:
    client, _ = admin

    response = client.post("/admin/teams", data={"name": "Zonder token"}, follow_redirects=False)
    forged = client.post("/admin/teams", data={"name": "Zonder token", "csrf_token": "forged"})

    assert response.status_code == 403
    assert forged.status_code == 403
    assert _count(runtime, sa.select(sa.func.count()).where(Team.name == "Zonder token")) == 0


def test_admin_pages_render_in_the_admins_own_language(agent: OpenAs) -> None:
    client, _ = agent("beheer", locale="nl")

    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 200, page
        assert '<html lang="nl">' in response.text


def test_every_page_has_the_admin_sub_navigation(admin: Agent) -> None:
    client, _ = admin

    assert client.get("/admin", follow_redirects=False).headers["location"] == "/admin/users"
    for page in PAGES:
        html = client.get(page).text
        for link in PAGES:
            assert f'href="{link}"' in html
        assert f'href="{page}" aria-current="page"' in html


# Users ------------------------------------------------------------------------------------


def test_users_page_lists_the_members_without_password_hashes(admin: Agent, cast: Cast) -> None:
    client, _ = admin

    html = client.get("/admin/users").text

    for name in ("Anna de Vries", "Lars Bakker", "Beheerder Glasnet"):
        assert name in html
    assert "<code>anna</code>" in html
    assert 'value="^AV"' in html
    assert "$argon2" not in html
    assert "password_hash" not in html
    assert f'action="/admin/users/{cast.users["beheer"]}/deactivate"' not in html


def test_admin_adds_a_member_who_can_then_log_in(
    admin: Agent, runtime: Runtime, app_client: TestClient
) -> None:
    client, csrf = admin

    response = _post(
        client,
        csrf,
        "/admin/users",
        username="femke",
        display_name="Femke de Boer",
        email="femke@glasnet.example",
        password=NEW_PASSWORD,
        role="lead",
    )

    _assert_redirected(response, "/admin/users", "added")
    page = client.get(response.headers["location"])
    assert "Member added." in page.text
    assert "Femke de Boer" in page.text
    login = app_client.post("/login", data={"username": "femke", "password": NEW_PASSWORD})
    assert login.status_code == 200
    assert "Femke de Boer" in login.text
    user_id = _scalar(runtime, sa.select(User.id).where(User.username == "femke"))
    role = _scalar(runtime, sa.select(Membership.role).where(Membership.user_id == user_id))
    assert role == "lead"
    actions = _scalar(
        runtime, sa.select(sa.func.count()).where(AuditEvent.action == "member.added")
    )
    assert actions == 1


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"password": "kort-11-tkn"}, 422, "at least 12 characters"),
        ({"role": "superuser"}, 422, "unknown role"),
        ({"display_name": "   "}, 422, "display name"),
        ({"username": "a b"}, 422, "a username is 2-64 characters"),
        ({"email": "geen-adres"}, 422, "e-mail address is not valid"),
        ({"username": "Anna"}, 409, "already a member of this workspace"),
    ],
)
def test_adding_a_member_with_bad_input_is_refused_and_stores_nothing(
    admin: Agent, runtime: Runtime, fields: dict[str, str], status: int, message: str
) -> None:
    client, csrf = admin
    users_before = _count(runtime, sa.select(sa.func.count()).select_from(User))
    form = {
        "username": "femke",
        "display_name": "Femke de Boer",
        "password": NEW_PASSWORD,
        "role": "agent",
        **fields,
    }

    response = _post(client, csrf, "/admin/users", **form)

    _assert_refused(response, status, message)
    assert _count(runtime, sa.select(sa.func.count()).select_from(User)) == users_before


def test_a_username_of_another_workspace_is_refused_with_a_clear_message(
    admin: Agent, other_cast: Cast, runtime: Runtime
) -> None:
    client, csrf = admin

    response = _post(
        client,
        csrf,
        "/admin/users",
        username="anna-spoorweg",
        display_name="Anna",
        password=NEW_PASSWORD,
        role="agent",
    )

    _assert_refused(response, 409, "already used in another workspace")
    other_anna = other_cast.users["anna"]
    assert _count(runtime, sa.select(sa.func.count()).where(Membership.user_id == other_anna)) == 1


def test_admin_changes_a_role_and_sets_a_signature(
    admin: Agent, cast: Cast, runtime: Runtime
) -> None:
    client, csrf = admin
    anna = cast.users["anna"]

    role = _post(client, csrf, f"/admin/users/{anna}/role", role="viewer")
    signature = _post(client, csrf, f"/admin/users/{anna}/signature", signature=" ^AdV ")

    _assert_redirected(role, "/admin/users", "role")
    _assert_redirected(signature, "/admin/users", "signature")
    html = client.get("/admin/users?saved=signature").text
    assert "Signature saved." in html
    assert 'value="^AdV"' in html
    assert 'value="viewer" selected' in html
    membership = _scalar(runtime, sa.select(Membership.role).where(Membership.user_id == anna))
    assert membership == "viewer"


def test_unknown_roles_and_long_signatures_are_refused(
    admin: Agent, cast: Cast, runtime: Runtime
) -> None:
    client, csrf = admin
    anna = cast.users["anna"]

    role = _post(client, csrf, f"/admin/users/{anna}/role", role="owner")
    signature = _post(client, csrf, f"/admin/users/{anna}/signature", signature="x" * 101)

    _assert_refused(role, 422, "unknown role")
    _assert_refused(signature, 422, "at most 100 characters")
    row = _scalar(runtime, sa.select(Membership).where(Membership.user_id == anna))
    assert isinstance(row, Membership)
    assert (row.role, row.signature) == ("agent", "^AV")


def test_an_admin_cannot_demote_or_deactivate_themselves(
    admin: Agent, cast: Cast, runtime: Runtime
) -> None:
    client, csrf = admin
    me = cast.users["beheer"]

    demote = _post(client, csrf, f"/admin/users/{me}/role", role="agent")
    deactivate = _post(client, csrf, f"/admin/users/{me}/deactivate")

    _assert_refused(demote, 409, "your own admin rights")
    _assert_refused(deactivate, 409, "your own account")
    assert _scalar(runtime, sa.select(Membership.role).where(Membership.user_id == me)) == "admin"
    assert client.get("/admin/users").status_code == 200


def test_another_admin_can_be_demoted_but_never_the_last_one(
    admin: Agent, cast: Cast, runtime: Runtime
) -> None:
    client, csrf = admin
    lars = cast.users["lars"]

    promote = _post(client, csrf, f"/admin/users/{lars}/role", role="admin")
    demote = _post(client, csrf, f"/admin/users/{lars}/role", role="lead")

    _assert_redirected(promote, "/admin/users", "role")
    _assert_redirected(demote, "/admin/users", "role")
    # Outside the UI (a token not tied to a user) the last admin is still protected.
    with unit_of_work(runtime.session_factory) as db:
        system = Principal.system(cast.workspace.id)
        with pytest.raises(Conflict, match="at least one active admin"):
            workspaces.change_role(db, system, cast.users["beheer"], Role.AGENT)


def test_a_deactivated_member_cannot_log_in_until_reactivated(
    admin: Agent, cast: Cast, agent: OpenAs, app_client: TestClient
) -> None:
    client, csrf = admin
    anna = cast.users["anna"]
    anna_client, _ = agent("anna")

    off = _post(client, csrf, f"/admin/users/{anna}/deactivate")

    _assert_redirected(off, "/admin/users", "deactivated")
    html = client.get("/admin/users?saved=deactivated").text
    assert "Account deactivated." in html
    assert f'action="/admin/users/{anna}/reactivate"' in html
    login = app_client.post("/login", data={"username": "anna", "password": DEMO_PASSWORD})
    assert login.status_code == 401
    assert "deactivated" in login.text
    assert anna_client.get("/inbox", follow_redirects=False).status_code == 303
    on = _post(client, csrf, f"/admin/users/{anna}/reactivate")
    _assert_redirected(on, "/admin/users", "reactivated")
    again = app_client.post("/login", data={"username": "anna", "password": DEMO_PASSWORD})
    assert again.status_code == 200


def test_members_of_another_workspace_are_not_found(
    admin: Agent, other_cast: Cast, runtime: Runtime
) -> None:
    client, csrf = admin
    stranger = other_cast.users["anna"]

    responses = [
        _post(client, csrf, f"/admin/users/{stranger}/role", role="viewer"),
        _post(client, csrf, f"/admin/users/{stranger}/signature", signature="^XX"),
        _post(client, csrf, f"/admin/users/{stranger}/deactivate"),
        _post(client, csrf, f"/admin/users/{stranger}/reactivate"),
    ]

    assert [r.status_code for r in responses] == [404] * 4
    row = _scalar(runtime, sa.select(Membership).where(Membership.user_id == stranger))
    assert isinstance(row, Membership)
    assert (row.role, row.signature) == ("agent", "^AV")
    assert _scalar(runtime, sa.select(User.is_active).where(User.id == stranger)) is True


# Teams ------------------------------------------------------------------------------------


def test_teams_page_lists_teams_with_their_members(admin: Agent, cast: Cast) -> None:
    client, _ = admin

    html = client.get("/admin/teams").text

    storingen = html.split(f'id="team-{cast.teams["Storingen"]}"')[1].split("</section>")[0]
    assert "Storingen" in html
    assert "Lars Bakker" in storingen
    assert "Anna de Vries" not in storingen.split("<form")[0]


def test_admin_creates_a_team_and_moves_members_in_and_out(
    admin: Agent, cast: Cast, runtime: Runtime
) -> None:
    client, csrf = admin
    anna = cast.users["anna"]

    created = _post(client, csrf, "/admin/teams", name="  Facturen ")
    team_id = _scalar(runtime, sa.select(Team.id).where(Team.name == "Facturen"))
    added = _post(client, csrf, f"/admin/teams/{team_id}/members", user_id=str(anna))
    page = client.get("/admin/teams?saved=member-added").text
    removed = _post(client, csrf, f"/admin/teams/{team_id}/members/{anna}/remove")

    _assert_redirected(created, "/admin/teams", "created")
    _assert_redirected(added, "/admin/teams", "member-added")
    _assert_redirected(removed, "/admin/teams", "member-removed")
    assert "Member added." in page
    team_html = page.split(f'id="team-{team_id}"')[1].split("</section>")[0]
    assert f"/admin/teams/{team_id}/members/{anna}/remove" in team_html
    after = client.get("/admin/teams").text.split(f'id="team-{team_id}"')[1]
    assert f"/admin/teams/{team_id}/members/{anna}/remove" not in after.split("</section>")[0]
    assert _count(runtime, sa.select(sa.func.count()).where(TeamMember.team_id == team_id)) == 0


@pytest.mark.parametrize(
    ("name", "status", "message"),
    [("Webcare", 409, "already exists"), ("   ", 422, "must not be empty")],
)
def test_a_duplicate_or_empty_team_name_is_refused(
    admin: Agent, runtime: Runtime, name: str, status: int, message: str
) -> None:
    client, csrf = admin
    before = _count(runtime, sa.select(sa.func.count()).select_from(Team))

    response = _post(client, csrf, "/admin/teams", name=name)

    _assert_refused(response, status, message)
    assert _count(runtime, sa.select(sa.func.count()).select_from(Team)) == before


def test_teams_and_members_of_another_workspace_are_not_found(
    admin: Agent, cast: Cast, other_cast: Cast, runtime: Runtime
) -> None:
    client, csrf = admin
    foreign_team = other_cast.teams["Storingen"]
    own_team = cast.teams["Storingen"]
    stranger = other_cast.users["lars"]

    responses = [
        _post(
            client, csrf, f"/admin/teams/{foreign_team}/members", user_id=str(cast.users["anna"])
        ),
        _post(client, csrf, f"/admin/teams/{foreign_team}/members/{stranger}/remove"),
        _post(client, csrf, f"/admin/teams/{own_team}/members", user_id=str(stranger)),
        _post(client, csrf, f"/admin/teams/{own_team}/members/{stranger}/remove"),
    ]

    assert [r.status_code for r in responses] == [404] * 4
    assert (
        _count(runtime, sa.select(sa.func.count()).where(TeamMember.team_id == foreign_team)) == 1
    )


# Labels -----------------------------------------------------------------------------------


def _label_id(runtime: Runtime, cast: Cast, name: str) -> int:
    found = _scalar(
        runtime,
        sa.select(Label.id).where(Label.workspace_id == cast.workspace.id, Label.name == name),
    )
    assert isinstance(found, int)
    return found


def test_labels_page_shows_colour_and_how_many_conversations_carry_each(
    admin: Agent, api: TestClient, cast: Cast, runtime: Runtime
) -> None:
    client, _ = admin
    for n in range(2):
        conversation = ingest(api, cast, f"m{n}", f"Storing nummer {n}", author=f"klant{n}")
        api.post(f"/api/v1/conversations/{conversation}/labels", json={"name": "storing"})

    html = client.get("/admin/labels").text

    row = html.split(f'id="label-{_label_id(runtime, cast, "storing")}"')[1].split("</tr>")[0]
    assert "background: #dc2626" in row
    assert 'data-count="2"' in row
    factuur = html.split(f'id="label-{_label_id(runtime, cast, "factuur")}"')[1]
    assert 'data-count="0"' in factuur.split("</tr>")[0]


def test_admin_creates_renames_recolours_and_deletes_a_label(
    admin: Agent, api: TestClient, cast: Cast, runtime: Runtime
) -> None:
    client, csrf = admin

    created = _post(client, csrf, "/admin/labels", name="glasvezel", color="#AABBCC")
    label_id = _label_id(runtime, cast, "glasvezel")
    conversation = ingest(api, cast, "m1", "Wanneer komt glasvezel?")
    api.post(f"/api/v1/conversations/{conversation}/labels", json={"name": "glasvezel"})
    changed = _post(client, csrf, f"/admin/labels/{label_id}", name="aanleg", color="#112233")
    page = client.get("/admin/labels?saved=changed").text

    _assert_redirected(created, "/admin/labels", "created")
    _assert_redirected(changed, "/admin/labels", "changed")
    assert "Label saved." in page
    row = page.split(f'id="label-{label_id}"')[1].split("</tr>")[0]
    assert "aanleg" in row
    assert "#112233" in row
    assert 'data-count="1"' in row
    assert api.get(f"/api/v1/conversations/{conversation}").json()["labels"] == ["aanleg"]

    deleted = _post(client, csrf, f"/admin/labels/{label_id}/delete")

    _assert_redirected(deleted, "/admin/labels", "deleted")
    assert f'id="label-{label_id}"' not in client.get("/admin/labels").text
    assert (
        _count(runtime, sa.select(sa.func.count()).where(ConversationLabel.label_id == label_id))
        == 0
    )
    assert api.get(f"/api/v1/conversations/{conversation}").json()["labels"] == []


@pytest.mark.parametrize(
    ("name", "color", "status", "message"),
    [
        ("nieuw", "red", 422, "is not a colour"),
        ("nieuw", "#12345", 422, "is not a colour"),
        ("nieuw", "#123456;x", 422, "is not a colour"),
        ("  ", "#123456", 422, "1 to 100 characters"),
        ("storing", "#123456", 409, "already exists"),
    ],
)
def test_bad_label_input_is_refused_and_stores_nothing(
    admin: Agent,
    cast: Cast,
    runtime: Runtime,
    name: str,
    color: str,
    status: int,
    message: str,
) -> None:
    client, csrf = admin
    factuur = _label_id(runtime, cast, "factuur")
    before = _count(runtime, sa.select(sa.func.count()).select_from(Label))

    create = _post(client, csrf, "/admin/labels", name=name, color=color)
    update = _post(client, csrf, f"/admin/labels/{factuur}", name=name, color=color)

    _assert_refused(create, status, message)
    _assert_refused(update, status, message)
    assert _count(runtime, sa.select(sa.func.count()).select_from(Label)) == before
    label = _scalar(runtime, sa.select(Label).where(Label.id == factuur))
    assert isinstance(label, Label)
    assert (label.name, label.color) == ("factuur", "#2563eb")


def test_labels_of_another_workspace_are_not_found(
    admin: Agent, other_cast: Cast, runtime: Runtime
) -> None:
    client, csrf = admin
    foreign = _label_id(runtime, other_cast, "storing")

    update = _post(client, csrf, f"/admin/labels/{foreign}", name="weg", color="#000000")
    delete = _post(client, csrf, f"/admin/labels/{foreign}/delete")

    assert (update.status_code, delete.status_code) == (404, 404)
    label = _scalar(runtime, sa.select(Label).where(Label.id == foreign))
    assert isinstance(label, Label)
    assert (label.name, label.color) == ("storing", "#dc2626")


# Channels ---------------------------------------------------------------------------------


def test_channels_page_shows_health_webhook_and_signature_but_no_credentials(
    admin: Agent, cast: Cast, runtime: Runtime
) -> None:
    client, _ = admin
    x = cast.accounts["x"]
    with unit_of_work(runtime.session_factory) as db:
        account = db.get(ChannelAccount, x.id)
        assert account is not None
        account.health = "needs_reauth"
        account.health_detail = "token expired"
        account.health_checked_at = account.created_at
        encrypted = account.credentials_encrypted

    html = client.get("/admin/channels").text

    section = html.split(f'id="channel-{x.id}"')[1].split("</section>")[0]
    assert "GlasnetHelpt" in section
    assert "Needs re-authorisation" in section
    assert "token expired" in section
    assert f'value="http://testserver/webhooks/x/{x.webhook_token}"' in section
    assert "{text} {signature}" in section
    assert "demo-secret" not in html
    assert encrypted
    assert encrypted not in html
    email = html.split(f'id="channel-{cast.accounts["email"].id}"')[1].split("</section>")[0]
    assert "{text}\n\n{name}" in email
    assert "Beheerder Glasnet" in email


def test_admin_edits_the_signature_template_and_sees_a_preview(
    admin: Agent, cast: Cast, runtime: Runtime
) -> None:
    client, csrf = admin
    x = cast.accounts["x"]
    with unit_of_work(runtime.session_factory) as db:
        workspaces.set_signature(db, cast.workspace.id, cast.users["beheer"], "^BG")
    url = f"/admin/channels/{x.id}/signature"

    saved = _post(client, csrf, url, template="{text} -{signature}")
    html = client.get("/admin/channels?saved=changed").text

    _assert_redirected(saved, "/admin/channels", "changed")
    assert "Signature template saved." in html
    section = html.split(f'id="channel-{x.id}"')[1].split("</section>")[0]
    assert "we are looking into it. -^BG" in section
    assert _settings(runtime, x.id) == {composing.SETTING: "{text} -{signature}"}

    _post(client, csrf, url, template="")
    assert _settings(runtime, x.id) == {composing.SETTING: ""}
    cleared = client.get("/admin/channels").text.split(f'id="channel-{x.id}"')[1]
    assert "Nothing is added to your replies here." in cleared.split("</section>")[0]

    _post(client, csrf, url, template="ignored", use_default="1")
    assert _settings(runtime, x.id) == {}


def _settings(runtime: Runtime, account_id: int) -> object:
    return _scalar(
        runtime, sa.select(ChannelAccount.settings).where(ChannelAccount.id == account_id)
    )


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("^{signature}", "must contain {text} exactly once"),
        ("{text} {text}", "must contain {text} exactly once"),
        ("{text} {signatuur}", "unknown placeholder {signatuur}"),
        ("{text} " + "x" * 200, "at most 200 characters"),
    ],
)
def test_a_bad_signature_template_is_refused(
    admin: Agent, cast: Cast, runtime: Runtime, template: str, message: str
) -> None:
    client, csrf = admin
    x = cast.accounts["x"]

    response = _post(client, csrf, f"/admin/channels/{x.id}/signature", template=template)

    _assert_refused(response, 422, message)
    assert _settings(runtime, x.id) == {}


def test_channel_accounts_of_another_workspace_are_not_found(
    admin: Agent, other_cast: Cast, runtime: Runtime
) -> None:
    client, csrf = admin
    foreign = other_cast.accounts["x"].id

    response = _post(client, csrf, f"/admin/channels/{foreign}/signature", template="{text}")

    assert response.status_code == 404
    assert _settings(runtime, foreign) == {}
    assert f'id="channel-{foreign}"' not in client.get("/admin/channels").text


# Hostile names ----------------------------------------------------------------------------


def test_hostile_team_label_and_member_names_are_shown_escaped(admin: Agent) -> None:
    client, csrf = admin

    _post(client, csrf, "/admin/teams", name=HOSTILE)
    _post(client, csrf, "/admin/labels", name=HOSTILE, color="#123456")
    _post(
        client,
        csrf,
        "/admin/users",
        username="kwaad",
        display_name=HOSTILE,
        password=NEW_PASSWORD,
        role="agent",
    )

    for page in ("/admin/teams", "/admin/labels", "/admin/users"):
        html = client.get(page).text
        assert ESCAPED in html, page
        assert HOSTILE not in html, page


def test_an_id_too_large_for_the_database_is_a_readable_422(admin: Agent, cast: Cast) -> None:
    client, csrf = admin
    team = cast.teams["Webcare"]

    response = _post(client, csrf, f"/admin/teams/{team}/members", user_id="9" * 30)

    _assert_refused(response, 422, "choose a member")
