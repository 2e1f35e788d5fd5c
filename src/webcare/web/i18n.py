"""Translations of the UI: English source strings, Dutch catalogue in ``locale/nl``.

The ``.po`` file is the only artefact kept in the repository; it is compiled in memory when
first used, so there is no build step and no generated ``.mo`` file to forget. Add strings
with ``_()`` in templates and Python, then run ``make messages`` to extract them into the
catalogue and translate the new entries.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES: tuple[str, ...] = ("nl", "en")
LOCALE_NAMES = {"nl": "Nederlands", "en": "English"}
DEFAULT_LOCALE = "nl"
DEFAULT_TIMEZONE = "Europe/Amsterdam"
CATALOGUE_DIR = Path(__file__).parent / "locale"


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a string for extraction where it is defined; it is translated where it is shown."""
    return message


def normalise_locale(value: str | None) -> str:
    if value in LOCALES:
        return value
    return DEFAULT_LOCALE


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> gettext.NullTranslations:
    """The catalogue of ``locale`` (English is the source language: no catalogue)."""
    path = CATALOGUE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if locale == "en" or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


@lru_cache(maxsize=1)
def timezones() -> list[str]:
    return sorted(available_timezones())


def zone(name: str | None) -> ZoneInfo:
    """The user's time zone, falling back to Amsterdam for an unknown name."""
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (KeyError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)
