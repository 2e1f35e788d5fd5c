"""The cast: Glasnet, a fictional Dutch fibre and mobile provider, and its webcare team.

Tests and the demo use the same people, so a failing test reads like a story from the demo:
Anna (agent) and Lars (team lead) answer customers on every channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from webcare.auth import service as users
from webcare.auth.principal import ROLE_SCOPES, Principal, Scope
from webcare.channel import service as channels
from webcare.channel.models import ChannelAccount, Platform
from webcare.conversation import service as conversations
from webcare.kit.crypto import SecretBox
from webcare.workspace import service as workspaces
from webcare.workspace.models import Role, Workspace

ADMIN_USERNAME = "beheer"
DEMO_PASSWORD = "webcare-demo"  # noqa: S105 - printed on start; the demo is local only

MEMBERS: tuple[tuple[str, str, Role, str], ...] = (
    ("anna", "Anna de Vries", Role.AGENT, "^AV"),
    ("lars", "Lars Bakker", Role.LEAD, "^LB"),
    ("sanne", "Sanne Jansen", Role.AGENT, "^SJ"),
    ("youssef", "Youssef El Amrani", Role.AGENT, "^YE"),
    ("beheer", "Beheerder Glasnet", Role.ADMIN, ""),
)
TEAMS = ("Webcare", "Storingen")
LABELS: tuple[tuple[str, str], ...] = (
    ("storing", "#dc2626"),
    ("factuur", "#2563eb"),
    ("verhuizing", "#7c3aed"),
    ("opzeggen", "#b91c1c"),
    ("installatie", "#0891b2"),
    ("modem", "#0d9488"),
    ("tv", "#ca8a04"),
    ("mobiel", "#4f46e5"),
    ("roaming", "#9333ea"),
    ("compliment", "#16a34a"),
    ("klacht", "#ea580c"),
    ("vraag", "#0284c7"),
    ("spam", "#6b7280"),
    ("privacy", "#be123c"),
    ("prijzen", "#65a30d"),
)
ACCOUNTS: tuple[tuple[str, Platform, str, str], ...] = (
    ("x", Platform.X, "GlasnetHelpt", "Glasnet op X"),
    ("facebook", Platform.FACEBOOK, "glasnet", "Glasnet (Facebook)"),
    ("instagram", Platform.INSTAGRAM, "glasnet.nl", "Glasnet (Instagram)"),
    ("whatsapp", Platform.WHATSAPP, "+31208081234", "Glasnet WhatsApp"),
    ("google_reviews", Platform.GOOGLE_REVIEWS, "glasnet-winkels", "Glasnet winkels (Google)"),
    ("email", Platform.EMAIL, "klantenservice@glasnet.nl", "Klantenservice e-mail"),
    ("webchat", Platform.WEBCHAT, "glasnet.nl", "Chat op glasnet.nl"),
    ("api", Platform.API, "glasnet-app", "Glasnet app (API)"),
)


@dataclass
class Cast:
    """Ids of everything the cast created, by name."""

    workspace: Workspace
    users: dict[str, int] = field(default_factory=dict)
    teams: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, ChannelAccount] = field(default_factory=dict)

    def actor(self, username: str) -> Principal:
        """The principal of a cast member, as the API would build it."""
        role = {m[0]: m[2] for m in MEMBERS}[username]
        return Principal(
            workspace_id=self.workspace.id,
            user_id=self.users[username],
            role=role,
            scopes=ROLE_SCOPES[role],
        )


def create_cast(
    session: Session, box: SecretBox, *, slug: str = "glasnet", name: str = "Glasnet"
) -> Cast:
    """Create the Glasnet workspace with its team, labels and channel accounts."""
    workspace = workspaces.create_workspace(session, slug, name)
    cast = Cast(workspace=workspace)
    system = Principal.system(workspace.id)
    for username, display_name, role, signature in MEMBERS:
        login = username if slug == "glasnet" else f"{username}-{slug}"
        user = users.create_user(
            session, username=login, password=DEMO_PASSWORD, display_name=display_name
        )
        workspaces.add_member(session, workspace.id, user.id, role, signature or None)
        cast.users[username] = user.id
    for team_name in TEAMS:
        team = workspaces.create_team(session, workspace.id, team_name)
        cast.teams[team_name] = team.id
    for username in ("anna", "sanne", "youssef"):
        workspaces.add_team_member(
            session, workspace.id, cast.teams["Webcare"], cast.users[username]
        )
    workspaces.add_team_member(session, workspace.id, cast.teams["Storingen"], cast.users["lars"])
    for label, color in LABELS:
        conversations.create_label(session, system, label, color)
    for key, platform, handle, display in ACCOUNTS:
        cast.accounts[key] = channels.create_account(
            session,
            system,
            box,
            platform=platform,
            handle=handle,
            display_name=display,
            credentials={"signing_secret": f"demo-secret-{key}"},
            settings={},
        )
    return cast


def admin_token(session: Session, workspace_id: int, admin_user_id: int, name: str = "demo") -> str:
    """A raw API token with every scope, acting for the admin member."""
    raw, _token = users.create_api_token(
        session, workspace_id, name, sorted(Scope.ALL), user_id=admin_user_id
    )
    return raw
