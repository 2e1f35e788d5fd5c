"""The verification handshake and X-Hub-Signature-256 checks for Meta webhooks."""

from __future__ import annotations

import pytest

from tests.connectors.meta.helpers import FIXTURES, load
from webcare.connectors.meta.webhook import (
    SignatureInvalid,
    VerificationFailed,
    sign,
    verify_signature,
    verify_subscription,
)
from webcare.kit.errors import Forbidden, Invalid, Unauthorized

VECTORS = load("x_hub_signature_256_vectors")
SECRET: str = VECTORS["app_secret"]
BODY = (FIXTURES / "messenger_message_text.json").read_bytes()
HANDSHAKE = load("webhook_verification_get")
QUERY: dict[str, str] = HANDSHAKE["request"]["query"]
TOKEN = "meatyhamhock"


# --- GET verification ---------------------------------------------------------------------


def test_handshake_with_our_token_returns_the_challenge() -> None:
    assert verify_subscription(QUERY, TOKEN) == HANDSHAKE["expected_response"]["body"]
    assert verify_subscription(QUERY, TOKEN) == "1158201444"


@pytest.mark.parametrize(
    ("params", "token"),
    [
        ({**QUERY, "hub.verify_token": "someone-elses"}, TOKEN),
        ({k: v for k, v in QUERY.items() if k != "hub.verify_token"}, TOKEN),
        ({**QUERY, "hub.mode": "unsubscribe"}, TOKEN),
        ({k: v for k, v in QUERY.items() if k != "hub.mode"}, TOKEN),
        (QUERY, ""),
    ],
    ids=["wrong-token", "no-token", "wrong-mode", "no-mode", "nothing-configured"],
)
def test_handshake_not_for_us_is_forbidden(params: dict[str, str], token: str) -> None:
    with pytest.raises(VerificationFailed) as caught:
        verify_subscription(params, token)

    assert isinstance(caught.value, Forbidden)
    assert caught.value.status_code == HANDSHAKE["on_token_mismatch"]["status"] == 403
    assert caught.value.code == "verification_failed"


def test_handshake_without_challenge_is_invalid() -> None:
    params = {k: v for k, v in QUERY.items() if k != "hub.challenge"}

    with pytest.raises(Invalid, match=r"hub\.challenge"):
        verify_subscription(params, TOKEN)


# --- X-Hub-Signature-256 ------------------------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["body_file"])
def test_recorded_vectors_verify_on_raw_bytes(vector: dict[str, str]) -> None:
    body = (FIXTURES / vector["body_file"]).read_bytes()

    verify_signature(SECRET, body, vector["value"])
    assert sign(SECRET, body) == vector["value"]


def test_uppercase_hex_digest_is_accepted() -> None:
    header = sign(SECRET, BODY)

    verify_signature(SECRET, BODY, "sha256=" + header.removeprefix("sha256=").upper())


def test_reserialised_json_does_not_verify() -> None:
    """Meta signs its own bytes (\\uXXXX escapes); re-encoding the JSON changes them."""
    vector = VECTORS["vectors"][1]
    raw = (FIXTURES / vector["body_file"]).read_bytes()
    reencoded = raw.decode("unicode_escape").encode("utf-8", "surrogatepass")

    with pytest.raises(SignatureInvalid, match="does not match"):
        verify_signature(SECRET, reencoded, vector["value"])


@pytest.mark.parametrize(
    ("header", "why"),
    [
        (None, "missing"),
        ("", "missing"),
        ("sha256=", "64 hex"),
        ("sha1=" + "a" * 40, "64 hex"),
        (sign(SECRET, BODY).removeprefix("sha256="), "64 hex"),
        (sign(SECRET, BODY)[:-1], "64 hex"),
        (sign(SECRET, BODY) + "00", "64 hex"),
        ("sha256=" + "zz" * 32, "64 hex"),
        ("sha256=" + "ü" * 64, "64 hex"),
        (sign("another_secret", BODY), "does not match"),
        (sign(SECRET, BODY + b" "), "does not match"),
        (sign(SECRET, BODY)[:-2] + "00", "does not match"),
    ],
)
def test_bad_or_missing_signature_is_unauthorized(header: str | None, why: str) -> None:
    with pytest.raises(SignatureInvalid, match=why) as caught:
        verify_signature(SECRET, BODY, header)

    assert isinstance(caught.value, Unauthorized)
    assert caught.value.code == "invalid_signature"
    assert caught.value.status_code == 401


def test_channel_without_app_secret_accepts_nothing() -> None:
    with pytest.raises(SignatureInvalid, match="no app secret"):
        verify_signature("", BODY, sign("", BODY))
