"""Keep secrets that travel in URLs out of the logs.

Platform webhooks and the chat widget carry a random token in their path (it names the
account), and a widget's live stream carries the visitor token in its query string. Access
logs and HTTP client logs print URLs, so this filter masks those parts before a record is
written.
"""

from __future__ import annotations

import logging
import re

_SECRETS = re.compile(
    r"(?P<keep>/webhooks/[a-z_]+/|/widget/)(?P<secret>[A-Za-z0-9_\-]{8,})"
    r"|(?P<param>[?&](?:token|access_token|hub\.verify_token)=)(?P<value>[^&\s\"']+)"
)


def redact(text: str) -> str:
    def mask(match: re.Match[str]) -> str:
        if match.group("keep"):
            return match.group("keep") + "…"
        return match.group("param") + "…"

    return _SECRETS.sub(mask, text)


class RedactUrls(logging.Filter):
    """Masks secrets in a record's message and arguments; never drops a record.

    The arguments stay a tuple of the same length: uvicorn's access formatter unpacks them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


def install(*logger_names: str) -> None:
    """Add the filter to the named loggers' handlers-to-be (filters on loggers apply to records
    those loggers create)."""
    for name in logger_names:
        logging.getLogger(name).addFilter(RedactUrls())
