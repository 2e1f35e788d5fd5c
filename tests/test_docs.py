"""Keep the documentation true: every event, decision record and package is where docs say.

Like datasette's ``tests/test_docs.py``: the code is the source of truth, and these tests fail
when ARCHITECTURE.md, docs/events.md or docs/decisions/ fall behind it.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import tomllib
from pathlib import Path

import pytest

import webcare
from webcare.events.bus import DomainEvent, all_event_types

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(webcare.__file__).resolve().parent
ARCHITECTURE = ROOT / "ARCHITECTURE.md"
EVENTS_DOC = ROOT / "docs" / "events.md"
DECISIONS_DIR = ROOT / "docs" / "decisions"
BASE_EVENT_FIELDS = {f.name for f in dataclasses.fields(DomainEvent)}
RECORD_HEADINGS = ("Status", "Context", "Decision", "Consequences", "Alternatives considered")
#: A table row whose first cell is a backticked wire name: | `message.received` | ...
EVENT_ROW = re.compile(r"^\|\s*`(?P<name>[a-z_]+(?:\.[a-z_]+)+)`\s*\|(?P<rest>.*)$")
#: The cells after the wire name: class, published by, payload, when.
EVENT_CELLS = ("class", "published by", "payload", "when")


def _event_modules() -> list[str]:
    """Every ``webcare.**.events`` module (a domain's ``events.py``)."""
    return sorted(
        ".".join(("webcare", *path.relative_to(PACKAGE_DIR).with_suffix("").parts))
        for path in PACKAGE_DIR.rglob("events.py")
    )


def _event_classes() -> dict[str, type[DomainEvent]]:
    for module in _event_modules():
        importlib.import_module(module)
    return {cls.name: cls for cls in all_event_types()}


def _documented_events() -> dict[str, dict[str, str]]:
    """Wire name -> its table cells by column (see EVENT_CELLS), from docs/events.md."""
    rows: dict[str, dict[str, str]] = {}
    for line in EVENTS_DOC.read_text(encoding="utf-8").splitlines():
        match = EVENT_ROW.match(line.strip())
        if not match:
            continue
        name = match["name"]
        cells = [cell.strip() for cell in match["rest"].strip().strip("|").split("|")]
        assert name not in rows, f"{name} is listed twice in docs/events.md"
        assert len(cells) == len(EVENT_CELLS), f"{name}: expected columns {EVENT_CELLS}"
        rows[name] = dict(zip(EVENT_CELLS, cells, strict=True))
    return rows


def _architecture() -> str:
    return ARCHITECTURE.read_text(encoding="utf-8")


def _decision_records() -> list[Path]:
    return sorted(DECISIONS_DIR.glob("*.md"))


def _top_level_packages() -> list[str]:
    return sorted(p.parent.name for p in PACKAGE_DIR.glob("*/__init__.py"))


# Events -----------------------------------------------------------------------------------


def test_event_modules_are_found() -> None:
    assert "webcare.conversation.events" in _event_modules()
    assert _event_classes(), "no DomainEvent subclasses found"


def test_every_event_class_is_listed_in_events_doc() -> None:
    missing = sorted(set(_event_classes()) - set(_documented_events()))
    assert not missing, f"add these events to docs/events.md: {missing}"


def test_every_event_in_events_doc_exists() -> None:
    unknown = sorted(set(_documented_events()) - set(_event_classes()))
    assert not unknown, f"docs/events.md lists events no class publishes: {unknown}"


def test_events_doc_names_each_event_class_and_its_payload_fields() -> None:
    rows = _documented_events()
    problems = []
    for name, cls in _event_classes().items():
        row = rows.get(name, dict.fromkeys(EVENT_CELLS, ""))
        if f"`{cls.__module__.removeprefix('webcare.')}.{cls.__qualname__}`" != row["class"]:
            problems.append(f"{name}: the class column must be the class {cls.__qualname__}")
        fields = [f.name for f in dataclasses.fields(cls) if f.name not in BASE_EVENT_FIELDS]
        problems += [
            f"{name}: payload field {f} not listed"
            for f in fields
            if f"`{f}`" not in row["payload"]
        ]
    assert not problems, "docs/events.md is out of date:\n" + "\n".join(problems)


# Decision records ---------------------------------------------------------------------------


def test_decision_records_exist() -> None:
    assert _decision_records(), "docs/decisions/ is empty"


@pytest.mark.parametrize("record", _decision_records(), ids=lambda p: p.name)
def test_decision_record_is_linked_from_architecture(record: Path) -> None:
    assert f"docs/decisions/{record.name}" in _architecture(), "link it from ARCHITECTURE.md"


@pytest.mark.parametrize("record", _decision_records(), ids=lambda p: p.name)
def test_decision_record_has_number_title_and_sections(record: Path) -> None:
    number = record.name[:4]
    assert re.fullmatch(r"\d{4}-[a-z0-9-]+\.md", record.name), "name it NNNN-title.md"
    text = record.read_text(encoding="utf-8")
    assert text.startswith(f"# {number} "), f"the title must start with '# {number} '"
    headings = re.findall(r"^## (.+?)\s*$", text, flags=re.MULTILINE)
    present = [h for h in headings if h in RECORD_HEADINGS]
    assert present == list(RECORD_HEADINGS), f"use the sections {RECORD_HEADINGS}, in order"


def test_decision_links_in_architecture_point_to_files() -> None:
    linked = set(re.findall(r"docs/decisions/([\w.-]+\.md)", _architecture()))
    existing = {p.name for p in _decision_records()}
    assert not linked - existing, f"ARCHITECTURE.md links missing records: {linked - existing}"


# The map ------------------------------------------------------------------------------------


def test_every_top_level_package_is_on_the_map() -> None:
    packages = _top_level_packages()
    assert "kit" in packages
    text = _architecture()
    missing = [name for name in packages if f"`{name}/`" not in text]
    assert not missing, f"describe these packages in ARCHITECTURE.md's map: {missing}"


def test_every_import_linter_contract_is_described() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = [c["name"] for c in config["tool"]["importlinter"]["contracts"]]
    assert contracts
    missing = [name for name in contracts if f'"{name}"' not in _architecture()]
    assert not missing, f"ARCHITECTURE.md does not describe these contracts: {missing}"
