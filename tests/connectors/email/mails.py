"""Customer mails for the tests, built the way a mail client writes them."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime


def customer_mail(
    message_id: str,
    text: str = "Mijn internet doet het niet.",
    *,
    sender: str = "Anna de Vries <anna@example.nl>",
    to: str = "klantenservice@glasnet.nl",
    subject: str = "Storing",
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    headers: dict[str, str] | None = None,
    attachment: tuple[str, str, bytes] | None = None,
    date: datetime | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(date or datetime.now(UTC))
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = " ".join(references)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if attachment is not None:
        name, mime, content = attachment
        major, minor = mime.split("/")
        message.add_attachment(content, maintype=major, subtype=minor, filename=name)
    return message.as_bytes()
