"""Preparing the demo: schema, the Glasnet workspace with its conversations, a fresh token."""

from __future__ import annotations

from dataclasses import dataclass

from webcare.auth import service as users
from webcare.demo.cast import ADMIN_USERNAME, DEMO_PASSWORD, MEMBERS, admin_token, create_cast
from webcare.demo.listening import add_demo_queries
from webcare.demo.seed import seed_conversations
from webcare.kit.db import unit_of_work
from webcare.migrations.runner import upgrade
from webcare.runtime import Runtime
from webcare.workspace import service as workspaces

DEMO_SLUG = "glasnet"


@dataclass(frozen=True)
class DemoInfo:
    token: str
    conversations_created: int

    def banner(self, host: str, port: int, customer_view: str | None = None) -> str:
        url = f"http://{host}:{port}"
        users = ", ".join(f"{m[0]} ({m[2].value})" for m in MEMBERS)
        seeded = (
            f"created {self.conversations_created} demo conversations"
            if self.conversations_created
            else "demo workspace already present"
        )
        lines = [
            f"webcare demo: {seeded}",
            f"  open        {url}/login   (password for every user: {DEMO_PASSWORD})",
            f"  users       {users}",
            f"  API docs    {url}/docs",
            f"  API token   {self.token}",
            f"  try         curl -H 'Authorization: Bearer {self.token}' \\",
            f"                   {url}/api/v1/conversations",
        ]
        if customer_view:
            lines.append(
                f"  customers   {customer_view}   (live traffic; what they see of replies)"
            )
        return "\n".join(lines)


def prepare_demo(runtime: Runtime) -> DemoInfo:
    """Idempotent: the workspace is seeded once; every run prints a new token."""
    upgrade(runtime.engine)
    created = 0
    with unit_of_work(runtime.session_factory) as session:
        workspace = workspaces.get_workspace_by_slug(session, DEMO_SLUG)
        if workspace is None:
            cast = create_cast(session, runtime.secret_box, slug=DEMO_SLUG)
            created = seed_conversations(session, cast)
            add_demo_queries(session, cast, runtime.secret_box)
            workspace = cast.workspace
        admin = users.get_user_by_username(session, ADMIN_USERNAME)
        if admin is None:
            raise RuntimeError("the demo workspace exists but its admin user is gone; reset var/")
        token = admin_token(session, workspace.id, admin.id)
    return DemoInfo(token=token, conversations_created=created)
