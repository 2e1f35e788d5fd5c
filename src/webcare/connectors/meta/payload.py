"""Reading Meta webhook JSON defensively: typed getters that name the broken path.

Meta adds fields and event types without notice, so readers ignore what they do not know;
but a field we rely on that has the wrong type means the payload is not what we think it is,
and we refuse it with :class:`Invalid` naming the path rather than store half a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from webcare.channel.ports import Author
from webcare.kit.errors import Invalid

#: Unit of a Meta timestamp: Messenger/Instagram messaging use milliseconds, feed seconds.
MILLISECONDS = 1000
SECONDS = 1


def items(container: Mapping[str, Any], key: str, path: str) -> list[tuple[str, Mapping[str, Any]]]:
    """``container[key]`` as ``(path, object)`` pairs; absent means empty, not broken."""
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid(f"{path}.{key} must be a list")
    return [
        (f"{path}.{key}[{index}]", mapping(item, f"{path}.{key}[{index}]"))
        for index, item in enumerate(value)
    ]


def mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise Invalid(f"{path} must be an object")
    return value


def required_id(container: Mapping[str, Any], key: str, path: str) -> str:
    """A Graph id: a non-empty string, or an integer (some ids arrive unquoted)."""
    value = optional_id(container, key, path)
    if value is None:
        raise Invalid(f"{path}.{key} must be a non-empty id")
    return value


def optional_id(container: Mapping[str, Any], key: str, path: str) -> str | None:
    value = container.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Invalid(f"{path}.{key} must be an id")
    return str(value)


def text(container: Mapping[str, Any], key: str, path: str) -> str:
    """Optional text: absent is empty, anything but a string is broken."""
    value = container.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid(f"{path}.{key} must be a string")
    return value


def optional_str(value: Any) -> str | None:
    """Cosmetic fields (names, usernames): used when usable, never a reason to refuse."""
    return value if isinstance(value, str) and value else None


def author(sender: Mapping[str, Any], path: str) -> Author:
    """``from``/``sender``: an id plus ``name`` (Facebook) or ``username`` (Instagram)."""
    return Author(
        platform_user_id=required_id(sender, "id", path),
        handle=optional_str(sender.get("username")),
        name=optional_str(sender.get("name")),
    )


def epoch(value: Any, unit: int, path: str) -> datetime:
    """An aware UTC datetime from a Unix time in ``unit`` (:data:`SECONDS`/:data:`MILLISECONDS`)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise Invalid(f"{path} must be a Unix time")
    try:
        return datetime.fromtimestamp(value / unit, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise Invalid(f"{path} is out of range") from exc


def entry_time(value: Any, path: str) -> datetime:
    """``entry[].time``, whose unit Meta does not keep consistent.

    Feed and Instagram comment entries carry seconds, messaging entries milliseconds, and
    the docs disagree between versions; 10¹¹ seconds would be the year 5138, so anything
    larger is read as milliseconds.
    """
    big = isinstance(value, int | float) and not isinstance(value, bool) and value >= 10**11
    return epoch(value, MILLISECONDS if big else SECONDS, path)
