"""The demo's saved listening queries: the brand, its competitors, and proactive outage help.

Only ``webcare demo`` adds them (tests build their own queries), so the Listen pages show
hits and share of voice as soon as the demo traffic flows.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from webcare.auth.principal import Principal
from webcare.conversation import service as conversations
from webcare.demo.cast import Cast
from webcare.kit.crypto import SecretBox
from webcare.listening import service as listening

QUERIES: tuple[tuple[str, str], ...] = (
    ("Glasnet", "glasnet OR @GlasnetHelpt OR #glasnet"),
    ("Concurrent: Vodafone", "vodafone OR ziggo OR @ZiggoWebcare"),
    ("Concurrent: KPN", "kpn OR @KPNwebcare"),
)
#: Proactive webcare: people with an outage who did not tag the brand reach the inbox.
OUTAGE = (
    "Storing zonder tag",
    '(storing OR "geen internet" OR "internet ligt eruit" OR outage) AND (glasnet OR glasvezel)'
    " NOT @GlasnetHelpt",
)


def add_demo_queries(session: Session, cast: Cast, box: SecretBox) -> int:
    actor = Principal.system(cast.workspace.id)
    storing = next(
        (
            label.id
            for label in conversations.list_labels(session, cast.workspace.id)
            if label.name == "storing"
        ),
        None,
    )
    for name, text in QUERIES:
        listening.create(session, actor, box, {"name": name, "query": text})
    name, text = OUTAGE
    listening.create(
        session,
        actor,
        box,
        {
            "name": name,
            "query": text,
            "route_to_inbox": True,
            "team_id": cast.teams["Storingen"],
            "label_id": storing,
            "priority": "high",
        },
    )
    return len(QUERIES) + 1
