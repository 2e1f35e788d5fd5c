"""The demo's channel accounts, pointed at the platform simulator instead of the platforms.

Only ``webcare demo`` (and tests of it) call :func:`point_cast_at_simulator`; the cast itself
stays platform-free so other tests can connect accounts their own way. The ids and secrets
below are the simulator's: the simulator side (``simulator/traffic.py``) configures its state
from the same constants, so the two never disagree, and the secrets are stored through
``channel.connecting`` like an admin's, hence encrypted.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from webcare.auth.principal import Principal
from webcare.channel import connecting
from webcare.channel import service as channels
from webcare.channel.models import ChannelAccount
from webcare.kit.crypto import SecretBox

#: Who Glasnet is on each simulated platform.
X_USER_ID = "1234567890"
X_USERNAME = "GlasnetHelpt"
PAGE_ID = "104839221234567"
IG_USER_ID = "17841401234567890"
IG_USERNAME = "glasnet.nl"
WA_PHONE_NUMBER_ID = "106540352242922"
GOOGLE_ACCOUNT = "accounts/112233445566778899"
GOOGLE_LOCATION = f"{GOOGLE_ACCOUNT}/locations/4455667788990011223"

# The simulator's well-known credentials (not secrets: the demo prints nothing else).
X_ACCESS_TOKEN = "sim-x-token"  # noqa: S105
X_CONSUMER_SECRET = "sim-x-consumer-secret"  # noqa: S105
META_PAGE_TOKEN = "sim-page-token"  # noqa: S105
META_APP_SECRET = "sim-meta-app-secret"  # noqa: S105
WA_ACCESS_TOKEN = "sim-wa-token"  # noqa: S105
WA_APP_SECRET = "sim-wa-app-secret"  # noqa: S105
GOOGLE_ACCESS_TOKEN = "sim-google-token"  # noqa: S105
VERIFY_TOKEN = "sim-verify-token"  # noqa: S105

#: Google reviews arrive by polling; the demo polls often so new ones show up quickly.
DEMO_POLL_SECONDS = 15

#: The secret each platform signs its webhooks with, per cast account key.
WEBHOOK_SECRETS = {
    "x": X_CONSUMER_SECRET,
    "facebook": META_APP_SECRET,
    "instagram": META_APP_SECRET,
    "whatsapp": WA_APP_SECRET,
}
SIMULATED_KEYS = ("x", "facebook", "instagram", "whatsapp", "google_reviews")


def connect_values(key: str, simulator_url: str) -> dict[str, Any]:
    """The connect-form values (see ``channel.connect_forms``) of cast account ``key``."""
    base = simulator_url.rstrip("/")
    values: dict[str, dict[str, Any]] = {
        "x": {
            "user_id": X_USER_ID,
            "consumer_secret": X_CONSUMER_SECRET,
            "access_token": X_ACCESS_TOKEN,
            "api_base": f"{base}/x",
        },
        "facebook": {
            "page_id": PAGE_ID,
            "page_access_token": META_PAGE_TOKEN,
            "app_secret": META_APP_SECRET,
            "verify_token": VERIFY_TOKEN,
            "api_base": f"{base}/meta",
        },
        "instagram": {
            "ig_user_id": IG_USER_ID,
            "page_id": PAGE_ID,
            "page_access_token": META_PAGE_TOKEN,
            "app_secret": META_APP_SECRET,
            "verify_token": VERIFY_TOKEN,
            "api_base": f"{base}/meta",
        },
        "whatsapp": {
            "phone_number_id": WA_PHONE_NUMBER_ID,
            "access_token": WA_ACCESS_TOKEN,
            "app_secret": WA_APP_SECRET,
            "verify_token": VERIFY_TOKEN,
            "api_base": f"{base}/whatsapp",
        },
        "google_reviews": {
            "locations": [GOOGLE_LOCATION],
            "access_token": GOOGLE_ACCESS_TOKEN,
            "api_base": f"{base}/google",
        },
    }
    return values[key]


def point_cast_at_simulator(
    session: Session,
    box: SecretBox,
    workspace_id: int,
    accounts: dict[str, int],
    simulator_url: str,
) -> dict[str, ChannelAccount]:
    """Give the cast's platform accounts the simulator's address and credentials.

    ``accounts`` maps cast keys (``"x"``, ``"facebook"`` …) to account ids; keys without a
    simulated platform are left alone. Safe to run on every start (the simulator's port may
    differ): values are replaced, not added. Returns the updated accounts by key.
    """
    actor = Principal.system(workspace_id)
    updated: dict[str, ChannelAccount] = {}
    for key in SIMULATED_KEYS:
        if key not in accounts:
            continue
        account = connecting.update_credentials(
            session, actor, box, accounts[key], connect_values(key, simulator_url)
        )
        if key == "google_reviews":
            account.settings = {**account.settings, "poll_interval_seconds": DEMO_POLL_SECONDS}
            session.flush()
        updated[key] = account
    return updated


def demo_accounts(session: Session, workspace_id: int) -> dict[str, int]:
    """The ids of the demo workspace's simulated accounts, by cast key (its platform)."""
    return {
        account.platform: account.id
        for account in channels.list_accounts(session, workspace_id)
        if account.platform in SIMULATED_KEYS
    }
