"""Tokens in webhook and widget URLs never reach the logs."""

from __future__ import annotations

import logging

import pytest

from webcare.kit.log_redaction import RedactUrls, redact


def test_webhook_and_widget_tokens_and_token_parameters_are_masked() -> None:
    line = (
        '127.0.0.1:5000 - "POST /webhooks/facebook/Zx9_abcdefghijklmnop HTTP/1.1" 200; '
        "GET /widget/k3yk3yk3yk3y/stream?token=v_secret.signature&after=4; "
        "GET /webhooks/whatsapp/abcdefgh12345678?hub.verify_token=meatyhamhock&hub.challenge=1"
    )
    cleaned = redact(line)
    for secret in ("Zx9_abcdefghijklmnop", "k3yk3yk3yk3y", "v_secret.signature", "meatyhamhock"):
        assert secret not in cleaned
    assert "/webhooks/facebook/…" in cleaned
    assert "after=4" in cleaned
    assert "hub.challenge=1" in cleaned
    assert redact("GET /inbox/c/42 HTTP/1.1") == "GET /inbox/c/42 HTTP/1.1"


def test_the_filter_rewrites_access_log_records(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.access")
    logger.addFilter(RedactUrls())
    with caplog.at_level(logging.INFO, logger="test.access"):
        logger.info('%s - "%s %s"', "127.0.0.1", "POST", "/webhooks/x/secret-token-123")
    assert "secret-token-123" not in caplog.text
    assert "/webhooks/x/…" in caplog.text


def test_uvicorn_access_records_keep_their_argument_tuple() -> None:
    """uvicorn's access formatter unpacks the five arguments; redaction must keep them."""
    from uvicorn.logging import AccessFormatter

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "POST", "/webhooks/meta/abcdefgh12345678", "1.1", 200),
        None,
    )
    assert RedactUrls().filter(record)
    line = AccessFormatter("%(client_addr)s - %(request_line)s %(status_code)s").format(record)
    assert "abcdefgh12345678" not in line
    assert "/webhooks/meta/…" in line
