"""Workspace-defined customer-number patterns, checked before they ever touch a message.

A workspace admin types these regexes, so they are untrusted input that runs on every public
message. Python's ``re`` has no timeout, so the guard is up front: a length limit, a refusal of
patterns that can match nothing at all (they would flag every message), and a refusal of nested
quantifiers such as ``(a+)+``, the usual cause of catastrophic backtracking. Matching then runs
on at most ``MAX_SCAN_CHARS`` characters, so even a slow pattern has a bounded input.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

MAX_PATTERN_LENGTH = 200
MAX_NAME_LENGTH = 60
MAX_SCAN_CHARS = 10_000

_BRACE_QUANTIFIER_RE = re.compile(r"\{(\d*)(,?)(\d*)\}")
# Zero-width matches are searched for in these texts: "" catches ``a*`` and ``^``, the other
# catches look-arounds and ``\b`` that match between characters of ordinary text.
_EMPTY_PROBES = ("", "Klant KL-123 / order 45 (x)")


@dataclass(frozen=True, slots=True)
class _Quantifier:
    """A quantifier found after an atom: how many characters it spans and how it repeats."""

    length: int
    variable: bool  # min != max, so the engine may backtrack over it
    repeats: bool  # max > 1


@dataclass(frozen=True)
class CustomerNumberPattern:
    """A named regex for a workspace's customer numbers, e.g. ``("klantnummer", r"KL-\\d{6}")``.

    Construction validates and compiles; an invalid pattern raises ``ValueError`` naming it, so
    a settings form can show the message as is.
    """

    name: str
    regex: str
    compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        name = self.name.strip()
        if not name or len(name) > MAX_NAME_LENGTH:
            raise ValueError(
                f"A customer-number pattern needs a name of 1-{MAX_NAME_LENGTH} chars."
            )
        object.__setattr__(self, "compiled", _compile_safely(name, self.regex))

    def find(self, text: str) -> Iterator[tuple[int, int]]:
        """Spans of non-empty matches in the first ``MAX_SCAN_CHARS`` characters of ``text``."""
        for match in self.compiled.finditer(text[:MAX_SCAN_CHARS]):
            if match.end() > match.start():
                yield match.start(), match.end()


def _compile_safely(name: str, regex: str) -> re.Pattern[str]:
    """Compile ``regex`` or raise a ``ValueError`` that says which pattern and why."""
    if not regex or len(regex) > MAX_PATTERN_LENGTH:
        raise ValueError(
            f"Customer-number pattern {name!r} must be 1-{MAX_PATTERN_LENGTH} characters long."
        )
    try:
        compiled = re.compile(regex)
    except re.error as exc:
        raise ValueError(f"Customer-number pattern {name!r} is not a valid regex: {exc}.") from exc
    if has_nested_quantifier(regex):
        raise ValueError(
            f"Customer-number pattern {name!r} repeats a group that itself repeats, like (a+)+; "
            "that can take forever on some texts. Write the repetition once."
        )
    if _matches_empty(compiled):
        raise ValueError(
            f"Customer-number pattern {name!r} can match an empty string, so it would flag "
            "every message. Make it require at least one character."
        )
    return compiled


def _matches_empty(compiled: re.Pattern[str]) -> bool:
    return any(m.end() == m.start() for probe in _EMPTY_PROBES for m in compiled.finditer(probe))


def has_nested_quantifier(regex: str) -> bool:
    """True when a repeated group contains a variable quantifier: ``(a+)+``, ``(?:\\d*-)*``.

    A deliberately simple scan, not a regex parser: it skips escapes and character classes and
    tracks, per open group, whether anything inside may backtrack. It errs on the side of
    refusing (``(-?\\d)+`` is refused too), which costs an admin a rewrite, not an outage.
    """
    open_groups: list[bool] = []  # per open group: does its content contain a variable quantifier
    i = 0
    while i < len(regex):
        atom_end, atom_risky = _atom(regex, i, open_groups)
        if atom_end is None:  # an opening parenthesis: content follows
            i = _skip_group_prefix(regex, i + 1)
            continue
        quantifier = _quantifier_at(regex, atom_end)
        if atom_risky and quantifier is not None and quantifier.repeats:
            return True
        if open_groups and (atom_risky or (quantifier is not None and quantifier.variable)):
            open_groups[-1] = True
        i = atom_end + (quantifier.length if quantifier else 0)
    return False


def _atom(regex: str, i: int, open_groups: list[bool]) -> tuple[int | None, bool]:
    """Read the atom at ``i``: its end and whether it is a group with a variable quantifier.

    Returns ``(None, False)`` for ``(``, after pushing a new group onto ``open_groups``.
    """
    ch = regex[i]
    if ch == "\\":
        return i + 2, False
    if ch == "[":
        return _class_end(regex, i), False
    if ch == "(":
        open_groups.append(False)
        return None, False
    if ch == ")":
        return i + 1, open_groups.pop() if open_groups else False
    return i + 1, False


def _skip_group_prefix(regex: str, i: int) -> int:
    """Skip ``?:``, ``?P<name>``, ``?=`` and friends so their ``?`` is not read as a quantifier."""
    if regex.startswith("?", i):
        i += 1
        if regex.startswith("P<", i) or (
            regex.startswith("<", i) and regex[i + 1 : i + 2] not in "=!"
        ):
            return regex.find(">", i) + 1 or len(regex)
        return i + 1 if i < len(regex) and regex[i] in ":=!<>" else i
    return i


def _class_end(regex: str, i: int) -> int:
    """Index after the character class starting at ``regex[i] == '['``."""
    j = i + 1
    if regex.startswith("^", j):
        j += 1
    if regex.startswith("]", j):  # a leading ']' is a literal
        j += 1
    while j < len(regex) and regex[j] != "]":
        j += 2 if regex[j] == "\\" else 1
    return j + 1


def _quantifier_at(regex: str, i: int) -> _Quantifier | None:
    """The quantifier starting at ``i`` (with its lazy/possessive suffix), if there is one."""
    ch = regex[i : i + 1]
    if ch in ("*", "+"):
        quantifier = _Quantifier(1, variable=True, repeats=True)
    elif ch == "?":
        quantifier = _Quantifier(1, variable=True, repeats=False)
    elif ch == "{" and (brace := _BRACE_QUANTIFIER_RE.match(regex, i)):
        low, comma, high = brace.groups()
        upper = int(high) if high else (None if comma else int(low or 0))
        quantifier = _Quantifier(
            brace.end() - i,
            variable=upper is None or upper != int(low or 0),
            repeats=upper is None or upper > 1,
        )
    else:
        return None
    if regex[i + quantifier.length : i + quantifier.length + 1] in ("?", "+"):
        quantifier = _Quantifier(quantifier.length + 1, quantifier.variable, quantifier.repeats)
    return quantifier
