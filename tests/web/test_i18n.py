"""The UI in Dutch and English: a complete catalogue, per-user choice, the user's time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from tests.web.conftest import OpenAs
from tests.web.ui import ingest
from webcare.channel.connect_forms import FIELDS
from webcare.demo.cast import Cast
from webcare.triage.service import TASK_LABELS
from webcare.web import i18n, terms
from webcare.web.formatting import Formatter

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


def _extracted() -> set[str | tuple[str, ...]]:
    """Every string the UI marks for translation, found the way `make messages` finds them."""
    method_map = [
        ("src/webcare/web/**.py", "python"),
        ("src/webcare/web/templates/**.html", "jinja2"),
    ]
    options = {"src/webcare/web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found: set[str | tuple[str, ...]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options, keywords=keywords
    ):
        found.add(message)
    return found


def test_every_ui_string_has_a_dutch_translation_with_the_same_placeholders() -> None:
    catalogue_path = i18n.CATALOGUE_DIR / "nl" / "LC_MESSAGES" / "messages.po"
    with catalogue_path.open("rb") as handle:
        catalogue = {m.id: m.string for m in read_po(handle) if m.id}
    extracted = _extracted()

    assert len(extracted) > 200
    missing = [m for m in extracted if not catalogue.get(m)]
    assert missing == [], "run `make messages` and translate these in locale/nl"
    for message in extracted:
        source = " ".join(message) if isinstance(message, tuple) else message
        translated = catalogue[message]
        target = " ".join(translated) if isinstance(translated, tuple) else translated
        assert sorted(set(PLACEHOLDER.findall(source))) == sorted(
            set(PLACEHOLDER.findall(target))
        ), message


def test_each_agent_gets_their_own_language(agent: OpenAs, api: TestClient, cast: Cast) -> None:
    conversation = ingest(api, cast, "m1", "Mijn modem knippert")
    anna, _ = agent("anna", locale="nl")
    lars, _ = agent("lars", locale="en")

    dutch = anna.get(f"/inbox/c/{conversation}").text
    english = lars.get(f"/inbox/c/{conversation}").text

    assert '<html lang="nl">' in dutch
    for word in ("Van mij", "Alle open", "Afhandelen", "Interne notitie", "Versturen"):
        assert word in dutch
    assert "Resolve" not in dutch
    for word in ("Mine", "All open", "Resolve", "Internal note", "Send"):
        assert word in english


def test_errors_are_shown_in_the_agents_language(
    agent: OpenAs, api: TestClient, cast: Cast
) -> None:
    conversation = ingest(api, cast, "m1", "Hallo")
    anna, csrf = agent("anna", locale="nl")

    response = anna.post(
        f"/inbox/c/{conversation}/note",
        data={"text": "   "},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf},
    )

    assert response.status_code == 422
    assert "een notitie heeft tekst nodig" in response.text


def test_dates_follow_the_users_time_zone_and_language() -> None:
    moment = datetime(2026, 11, 23, 8, 5, tzinfo=UTC)

    amsterdam = Formatter("nl", ZoneInfo("Europe/Amsterdam")).datetime(moment)
    new_york = Formatter("en", ZoneInfo("America/New_York")).datetime(moment)

    assert "09:05" in amsterdam
    assert "nov" in amsterdam
    assert "3:05" in new_york
    assert "Nov" in new_york


def test_settings_change_language_time_zone_and_signature(agent: OpenAs) -> None:
    anna, csrf = agent("anna", locale="nl")

    saved = anna.post(
        "/settings",
        data={"locale": "en", "timezone": "Europe/London", "signature": "^AdV", "csrf_token": csrf},
    )
    bad = anna.post(
        "/settings",
        data={"locale": "nl", "timezone": "Mars/Olympus", "signature": "", "csrf_token": csrf},
    )

    assert saved.status_code == 200
    assert "Saved." in saved.text
    assert 'value="^AdV"' in saved.text
    assert '<option value="Europe/London" selected>' in saved.text
    assert bad.status_code == 422
    assert "choose a time zone from the list" in bad.text
    assert "Resolve" in anna.get("/inbox").text  # still English: nothing of the bad form stuck


def test_connect_form_and_triage_words_are_in_the_catalogue() -> None:
    """Labels from domain tables reach templates as values; each must be translatable."""
    listed = set(terms.CONNECT_FIELD_TEXTS) | set(terms.TRIAGE_LABELS)
    needed = {text for fields in FIELDS.values() for f in fields for text in (f.label, f.help)}
    needed |= {label.capitalize() for labels in TASK_LABELS.values() for label in labels}
    assert needed - {""} <= listed
