"""The readable text of an e-mail: HTML made into plain text, quoted history trimmed.

HTML from strangers is never rendered: ``nh3`` (the ammonia sanitizer) first reduces it to a
handful of bare block tags, dropping ``<script>``, ``<style>``, ``<head>`` and ``<title>``
together with their content and every attribute (so no tracking pixel or link survives as
markup); those block tags then become line breaks and entities are decoded. What comes out is
text, which the inbox escapes like any other customer text.

Trimming quoted history is deliberately simple: the text is cut at the first attribution line
("On … wrote:", "Op … schreef …:", an Outlook "-----Original Message-----" separator), or a
trailing block of ``>`` lines is dropped. Inline answers between quotes are kept, and a
message that would become empty is left whole.
"""

from __future__ import annotations

import html
import re

import nh3

#: Block tags kept through sanitising only to become line breaks afterwards.
_BLOCK_TAGS = frozenset(
    {
        "br",
        "p",
        "div",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "table",
        "ul",
        "ol",
    }
)
_DROP_WITH_CONTENT = frozenset({"script", "style", "head", "title", "template", "noscript"})
_WHITESPACE = re.compile(r"\s+")
_BREAK = re.compile(r"<br\s*/?>|</?(?:div|tr)>")
_PARAGRAPH = re.compile(r"</?(?:p|h[1-6]|blockquote|table|ul|ol)>")
_ITEM = re.compile(r"<li>")
_ANY_TAG = re.compile(r"</?[a-z0-9]+\s*/?>")
_BLANK_RUN = re.compile(r"\n{3,}")

_ATTRIBUTION = re.compile(
    r"^\s*(?:"
    r"on\b.{0,200}\bwrote:"
    r"|op\b.{0,200}\bschreef\b.{0,200}:"
    r"|am\b.{0,200}\bschrieb\b.{0,200}:"
    r"|-{2,}\s*(?:original message|oorspronkelijk bericht|origineel bericht)\s*-{2,}"
    r")\s*$",
    re.IGNORECASE,
)


def html_to_text(markup: str) -> str:
    """Plain text from an HTML body: no tags, no script or style content, line breaks kept."""
    collapsed = _WHITESPACE.sub(" ", markup)
    cleaned = nh3.clean(
        collapsed,
        tags=set(_BLOCK_TAGS),
        clean_content_tags=set(_DROP_WITH_CONTENT),
        attributes={},
        strip_comments=True,
        link_rel=None,
    )
    with_breaks = _ITEM.sub("\n- ", _BREAK.sub("\n", _PARAGRAPH.sub("\n\n", cleaned)))
    # Only the bare block tags above can remain; anything else is escaped text by now.
    text = html.unescape(_ANY_TAG.sub("", with_breaks))
    return tidy("\n".join(line.strip() for line in text.split("\n")))


def tidy(text: str) -> str:
    """Unix line ends, no trailing spaces, at most one blank line in a row, no outer blanks."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip("\n").rstrip()


def trim_quoted(text: str) -> str:
    """``text`` without the quoted history a mail client appended below the answer."""
    lines = text.split("\n")
    cut = _attribution_index(lines)
    if cut is None:
        cut = _trailing_quote_index(lines)
    if cut is None:
        return text
    kept = tidy("\n".join(lines[:cut]))
    return kept or text


def _attribution_index(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        # Clients wrap long attributions: "On Mon, 3 Feb 2025, Anna <a@b.nl>\nwrote:".
        joined = f"{line} {lines[i + 1]}" if i + 1 < len(lines) else line
        if _ATTRIBUTION.match(line) or (line.strip() and _ATTRIBUTION.match(joined)):
            return i
    return None


def _trailing_quote_index(lines: list[str]) -> int | None:
    end = len(lines)
    while end > 0 and not lines[end - 1].strip():
        end -= 1
    start = end
    while start > 0 and (lines[start - 1].startswith(">") or not lines[start - 1].strip()):
        start -= 1
    quoted = any(line.startswith(">") for line in lines[start:end])
    return start if quoted and start > 0 else None
