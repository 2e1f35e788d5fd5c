"""Raw e-mails (fixtures/, see SOURCE.md) become the inbound messages an agent reads."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webcare.channel.ports import ConversationKind, InboundMessage, MessageVisibility
from webcare.connectors.email.parse import parse_message
from webcare.connectors.email.text import html_to_text, trim_quoted
from webcare.kit.errors import Invalid

FIXTURES = Path(__file__).parent / "fixtures"
OUR_ADDRESS = "klantenservice@glasnet.nl"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
_TAG = re.compile(r"<\s*/?\s*[a-z!][^>]*>", re.IGNORECASE)


def _parse(name: str) -> InboundMessage | None:
    raw = (FIXTURES / name).read_bytes()
    return parse_message(raw, account_id=7, own_addresses=frozenset({OUR_ADDRESS}), now=lambda: NOW)


def test_plain_mail_becomes_a_private_email_message_without_the_quoted_history() -> None:
    message = _parse("plain.eml")

    assert message is not None
    assert message.kind is ConversationKind.EMAIL
    assert message.visibility is MessageVisibility.PRIVATE
    assert message.external_id == "<CAF1x9a-storing-001@mail.example.nl>"
    assert message.author.platform_user_id == "anna.devries@example.nl"
    assert message.author.name == "Anna de Vries"
    assert message.subject == "Storing in Utrecht"
    assert message.platform_time == datetime(2026, 11, 23, 8, 15, tzinfo=UTC)
    assert message.text.startswith("Hallo,\n\nSinds vanochtend")
    assert message.text.endswith("Groet,\nAnna")
    assert "gepland onderhoud" not in message.text
    assert message.thread_external_id is None
    assert message.reply_to_external_id is None


def test_html_only_mail_is_read_as_safe_text_without_script_style_or_pixel() -> None:
    message = _parse("html_only.eml")

    assert message is not None
    assert message.text == (
        "Goedemorgen,\n\n"
        "Mijn factuur van november is \u20ac\u00a045,00 in plaats van \u20ac\u00a039,95.\n"
        "Klopt dat wel?\n\n"
        "- Klantnummer 123456\n"
        "- Factuur 2026-11\n\n"
        "klik\n\n"
        "Met vriendelijke groet,\nBram"
    )
    for gone in ("document", "alert", "tracker.example", "evil.example", "color", "Mail title"):
        assert gone not in message.text
    assert not _TAG.search(message.text)


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>hallo",
        "<img src=x onerror=alert(1)>hallo",
        "<svg><script>alert(1)</script></svg>hallo",
        "<scr<script>ipt>alert(1)</script>hallo",
        "<a href='javascript:alert(1)'>hallo</a>",
        "<style>@import 'https://evil.example/x.css';</style>hallo",
        "<![CDATA[<script>alert(1)</script>]]>hallo",
        "<div><p>hallo<b>",
        "<iframe srcdoc='<script>alert(1)</script>'></iframe>hallo",
        "hallo<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "hallo<!--><script>alert(1)</script>-->",
    ],
)
def test_hostile_html_never_yields_markup_or_script(hostile: str) -> None:
    text = html_to_text(hostile)

    assert "hallo" in text
    assert not _TAG.search(text)
    assert "javascript:" not in text
    assert "onerror" not in text


def test_attachments_are_kept_with_their_bytes_name_and_type() -> None:
    message = _parse("attachment.eml")

    assert message is not None
    assert message.text == "Hierbij een foto van de kabel in de meterkast en het contract."
    image, pdf = message.attachments
    assert (image.kind, image.mime_type, image.name) == ("image", "image/png", "kabel.png")
    assert image.content is not None
    assert image.content.startswith(b"\x89PNG")
    assert (pdf.kind, pdf.mime_type, pdf.name) == (
        "file",
        "application/pdf",
        "contract M\u00fcller.pdf",
    )
    assert pdf.content is not None
    assert pdf.content.startswith(b"%PDF")
    assert image.url.startswith("/attachments/")
    assert image.url != pdf.url
    # The bytes never go into the message's stored JSON.
    assert "content" not in image.as_json()


def test_attachment_urls_are_the_same_when_the_same_mail_is_fetched_again() -> None:
    first, second = _parse("attachment.eml"), _parse("attachment.eml")

    assert first is not None
    assert second is not None
    assert [a.url for a in first.attachments] == [a.url for a in second.attachments]


def test_latin1_quoted_printable_body_and_encoded_words_are_decoded() -> None:
    message = _parse("latin1_qp.eml")

    assert message is not None
    assert message.subject == "Re\u00e7u uw offerte \u00e0 moi \u2013 dank!"
    assert message.author.name == "Jos\u00e9 M\u00fcller"
    assert "voor mijn caf\u00e9 in Li\u00e8ge" in message.text
    assert "de \u00e9\u00e9nmalige kosten" in message.text
    assert message.text.endswith("Jos\u00e9")


def test_a_mail_without_message_id_gets_a_stable_one() -> None:
    first, second = _parse("no_message_id.eml"), _parse("no_message_id.eml")

    assert first is not None
    assert second is not None
    assert first.external_id == second.external_id
    assert re.fullmatch(r"<[0-9a-f]{40}@webcare\.invalid>", first.external_id)


def test_a_reply_names_its_thread_and_the_mail_it_answers() -> None:
    message = _parse("reply.eml")

    assert message is not None
    assert message.thread_external_id == "<CAF1x9a-storing-001@mail.example.nl>"
    assert message.reply_to_external_id == "<reply-002@glasnet.nl>"
    assert message.text == "Het werkt weer, dank jullie wel!"


def test_auto_replies_bulk_mail_bounces_and_our_own_mail_are_ignored() -> None:
    plain = (FIXTURES / "plain.eml").read_bytes()

    def parse(raw: bytes) -> object:
        return parse_message(raw, account_id=7, own_addresses=frozenset({OUR_ADDRESS}))

    assert _parse("auto_reply.eml") is None
    assert parse(b"Precedence: bulk\r\n" + plain) is None
    assert parse(b"X-Autoreply: yes\r\n" + plain) is None
    assert parse(b"Auto-Submitted: no\r\n" + plain) is not None
    own = plain.replace(
        b"Anna de Vries <Anna.deVries@Example.NL>", b"Glasnet <KlantenService@glasnet.nl>"
    )
    assert parse(own) is None
    bounce = plain.replace(
        b"Anna de Vries <Anna.deVries@Example.NL>", b"MAILER-DAEMON@mx.example.nl"
    )
    assert parse(bounce) is None


def test_a_mail_without_a_sender_address_is_refused_clearly() -> None:
    with pytest.raises(Invalid, match="From"):
        parse_message(b"Subject: hi\r\n\r\nbody\r\n", account_id=1)


def test_missing_or_broken_date_falls_back_to_now_and_offsets_become_utc() -> None:
    raw = b"From: a@example.nl\r\nDate: not a date\r\nMessage-ID: <d@x>\r\n\r\nhoi\r\n"
    message = parse_message(raw, account_id=1, now=lambda: NOW)

    assert message is not None
    assert message.platform_time == NOW


def test_an_empty_body_falls_back_to_the_subject() -> None:
    raw = b"From: a@example.nl\r\nSubject: Bel mij terug\r\nMessage-ID: <e@x>\r\n\r\n\r\n"
    message = parse_message(raw, account_id=1)

    assert message is not None
    assert message.text == "Bel mij terug"


def test_an_unknown_charset_does_not_lose_the_mail() -> None:
    raw = (
        b"From: a@example.nl\r\nMessage-ID: <c@x>\r\n"
        b"Content-Type: text/plain; charset=x-unknown-charset\r\n\r\ncaf\xc3\xa9\r\n"
    )
    message = parse_message(raw, account_id=1)

    assert message is not None
    assert message.text == "caf\u00e9"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Dank!\n\nOp ma 23 nov 2026 om 10:00 schreef Glasnet <k@g.nl>:\n> oud", "Dank!"),
        ("Thanks\n\nOn Mon, 23 Nov 2026, Anna <a@b.nl> wrote:\n> old", "Thanks"),
        ("Danke\n\nAm 23.11.2026 um 10:00 schrieb Glasnet:\n> alt", "Danke"),
        ("Ok\n\n-----Original Message-----\nFrom: x", "Ok"),
        ("Top\n\n> quoted\n> more\n", "Top"),
        ("> vraag\nantwoord\n> vraag 2\nantwoord 2", "> vraag\nantwoord\n> vraag 2\nantwoord 2"),
        ("> alleen een citaat", "> alleen een citaat"),
        ("Ik schreef: dit is geen citaat", "Ik schreef: dit is geen citaat"),
    ],
)
def test_quoted_history_is_trimmed_but_inline_answers_and_quote_only_mail_stay(
    text: str, kept: str
) -> None:
    assert trim_quoted(text) == kept


_HEADER_LINES = st.sampled_from(
    [
        b"From: Anna <anna@example.nl>",
        b"From: =?utf-8?q?broken",
        b"From: <>",
        b"Subject: =?x-unknown?B?AAAA?=",
        b"Subject: =?utf-8?B?not base64!?=",
        b"Date: Mon, 99 Foo 2026 99:99:99 +9999",
        b"Message-ID: <<<>>>",
        b"References: <a@b> junk <c@d",
        b"Content-Type: multipart/mixed; boundary=",
        b'Content-Type: text/plain; charset="\xff\xfe"',
        b"Content-Type: text/html",
        b"Content-Transfer-Encoding: base64",
        b"Content-Transfer-Encoding: quoted-printable",
        b"Content-Disposition: attachment; filename*=bogus''%ZZ",
        b"Auto-Submitted: auto-generated",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    headers=st.lists(_HEADER_LINES, max_size=8),
    body=st.binary(max_size=300),
)
def test_any_mail_is_parsed_or_refused_clearly_never_crashes(
    headers: list[bytes], body: bytes
) -> None:
    raw = b"\r\n".join(headers) + b"\r\n\r\n" + body
    try:
        message = parse_message(raw, account_id=1)
    except Invalid:
        return
    if message is not None:
        assert message.text.strip() or message.attachments
        assert not _TAG.search(message.text) or b"text/html" not in raw


def test_a_calendar_invite_is_an_attachment_not_part_of_the_text() -> None:
    raw = (
        b"From: a@example.nl\r\nMessage-ID: <cal@x>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nZie de afspraak.\r\n"
        b"--b\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\n"
        b"--b--\r\n"
    )
    message = parse_message(raw, account_id=1)

    assert message is not None
    assert message.text == "Zie de afspraak."
    (invite,) = message.attachments
    assert (invite.kind, invite.mime_type) == ("file", "text/calendar")
