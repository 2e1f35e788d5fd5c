"""CRC answers and signature checks for X's Account Activity webhook."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from tests.connectors.x.helpers import FIXTURES, load
from webcare.connectors.x.webhook import (
    SignatureInvalid,
    crc_response,
    verify_signature,
)
from webcare.kit.errors import Invalid, Unauthorized

SECRET = "test_consumer_secret_not_real"
BODY = (FIXTURES / "aaa_tweet_create_events.json").read_bytes()


def _header(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def test_crc_response_matches_the_documented_vector() -> None:
    challenge = load("aaa_crc_challenge")

    answer = crc_response(challenge["consumer_secret"], challenge["request"]["query"]["crc_token"])

    assert answer == challenge["expected_response"]["body"]
    assert answer == {"response_token": "sha256=6sWdK0xhshRR8jVQ8qyuiAHgPZ+elPk1N7NTjKmGyPo="}


@pytest.mark.parametrize(("secret", "token"), [("", "abc"), (SECRET, "")])
def test_crc_response_refuses_empty_inputs(secret: str, token: str) -> None:
    with pytest.raises(Invalid):
        crc_response(secret, token)


def test_correctly_signed_delivery_is_accepted() -> None:
    verify_signature(SECRET, BODY, _header(SECRET, BODY))


@pytest.mark.parametrize(
    ("header", "why"),
    [
        (None, "missing"),
        ("", "missing"),
        ("sha256=", "sha256=<base64>"),
        ("md5=abc", "sha256=<base64>"),
        (_header(SECRET, BODY).removeprefix("sha256="), "sha256=<base64>"),
        (_header("another_secret", BODY), "does not match"),
        (_header(SECRET, BODY + b" "), "does not match"),
        (_header(SECRET, BODY)[:-4] + "AAA=", "does not match"),
        ("sha256=ünïcode", "does not match"),
    ],
)
def test_bad_or_missing_signature_is_refused(header: str | None, why: str) -> None:
    with pytest.raises(SignatureInvalid, match=why) as caught:
        verify_signature(SECRET, BODY, header)

    assert isinstance(caught.value, Unauthorized)
    assert caught.value.code == "invalid_signature"
    assert caught.value.status_code == 401


def test_channel_without_secret_accepts_nothing() -> None:
    with pytest.raises(SignatureInvalid, match="no consumer secret"):
        verify_signature("", BODY, _header("", BODY))
