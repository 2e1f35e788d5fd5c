"""Strangers' text to markup: only our own links and line breaks, never theirs."""

from __future__ import annotations

import pytest

from webcare.web.filters import attachment_kind, initials, rich_text, safe_url


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<b>hi</b>", "&lt;b&gt;hi&lt;/b&gt;"),
        ("line1\nline2", "line1<br>\nline2"),
        (
            "zie https://a.example/x?y=1&z=2.",
            'zie <a href="https://a.example/x?y=1&amp;z=2" rel="noopener noreferrer nofollow ugc"'
            ' target="_blank">https://a.example/x?y=1&amp;z=2</a>.',
        ),
        (
            '"https://a.example/"',
            '&#34;<a href="https://a.example/" rel="noopener noreferrer'
            ' nofollow ugc" target="_blank">https://a.example/</a>&#34;',
        ),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("data:text/html,<script>", "data:text/html,&lt;script&gt;"),
    ],
)
def test_rich_text_escapes_and_links_only_http(text: str, expected: str) -> None:
    assert str(rich_text(text)) == expected


def test_safe_url_allows_only_absolute_http() -> None:
    assert safe_url("https://cdn.example/a.png") == "https://cdn.example/a.png"
    for bad in (
        "javascript:alert(1)",
        "data:image/png;base64,AAA",
        "//evil.example",
        "/x",
        3,
        None,
    ):
        assert safe_url(bad) is None


def test_attachment_kind_and_initials() -> None:
    assert attachment_kind({"kind": "audio", "url": "https://x"}) == "audio"
    assert attachment_kind({"kind": "file", "mime_type": "image/jpeg"}) == "image"
    assert attachment_kind({"kind": "sticker"}) == "file"
    assert initials("Anna de Vries") == "AV"
    assert initials("") == "?"
