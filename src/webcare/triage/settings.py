"""A workspace's triage settings: urgency keywords and customer-number patterns.

Kept in ``workspaces.settings["triage"]`` as plain JSON; parsed and validated here so a bad
pattern saved by an admin is refused when saved, never discovered by a job at 3 a.m.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from webcare.audit import service as audit
from webcare.auth.principal import Principal
from webcare.enrichment.pii import CustomerNumberPattern
from webcare.enrichment.urgency import DEFAULT_KEYWORDS, parse_keywords
from webcare.kit.errors import Invalid
from webcare.workspace.models import Workspace

KEY = "triage"
MAX_KEYWORDS = 200
MAX_PATTERNS = 20


@dataclass(frozen=True)
class TriageSettings:
    keywords: tuple[tuple[str, int], ...] = DEFAULT_KEYWORDS
    customer_patterns: tuple[CustomerNumberPattern, ...] = field(default_factory=tuple)


def load(session: Session, workspace_id: int) -> TriageSettings:
    workspace = session.get(Workspace, workspace_id)
    stored = ((workspace.settings or {}) if workspace else {}).get(KEY) or {}
    keywords = stored.get("keywords")
    patterns: list[CustomerNumberPattern] = []
    for name, regex in stored.get("customer_numbers", []):
        try:
            patterns.append(CustomerNumberPattern(name, regex))
        except ValueError:
            continue  # refused on save; skip rather than stop every analysis
    return TriageSettings(
        keywords=tuple((str(w), int(n)) for w, n in keywords)
        if keywords is not None
        else DEFAULT_KEYWORDS,
        customer_patterns=tuple(patterns),
    )


def save(session: Session, actor: Principal, *, keywords: str, customer_numbers: str) -> None:
    """Store the admin's lists: keywords one per line (``word = weight``), customer-number
    patterns one per line as ``name: regex``. Raises :class:`Invalid` naming the bad line."""
    try:
        parsed_keywords = parse_keywords(keywords)
    except ValueError as exc:
        raise Invalid(str(exc)) from exc
    if len(parsed_keywords) > MAX_KEYWORDS:
        raise Invalid(f"at most {MAX_KEYWORDS} keywords")
    patterns: list[list[str]] = []
    for number, raw in enumerate(customer_numbers.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        name, colon, regex = line.partition(":")
        if not colon or not regex.strip():
            raise Invalid(f"line {number}: write a pattern as 'name: regex'")
        try:
            CustomerNumberPattern(name.strip(), regex.strip())
        except ValueError as exc:
            raise Invalid(f"line {number}: {exc}") from exc
        patterns.append([name.strip(), regex.strip()])
    if len(patterns) > MAX_PATTERNS:
        raise Invalid(f"at most {MAX_PATTERNS} customer-number patterns")
    workspace = session.get(Workspace, actor.workspace_id)
    assert workspace is not None
    workspace.settings = {
        **(workspace.settings or {}),
        KEY: {"keywords": [list(k) for k in parsed_keywords], "customer_numbers": patterns},
    }
    session.flush()
    audit.record(
        session,
        actor,
        "triage.settings_changed",
        "workspace",
        workspace.id,
        {"keywords": len(parsed_keywords), "customer_numbers": len(patterns)},
    )


def as_text(settings: TriageSettings) -> tuple[str, str]:
    """The lists as the admin form shows them."""
    keywords = "\n".join(f"{word} = {weight}" for word, weight in settings.keywords)
    patterns = "\n".join(f"{p.name}: {p.regex}" for p in settings.customer_patterns)
    return keywords, patterns
