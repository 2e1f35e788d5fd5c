"""Password hashing: pure functions, no database."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from webcare.auth import passwords
from webcare.kit.errors import Invalid


def test_hash_is_argon2id_and_verifies() -> None:
    hashed = passwords.hash_password("s3cret-passw0rd")

    assert hashed.startswith("$argon2id$")
    assert "s3cret-passw0rd" not in hashed
    assert passwords.verify_password(hashed, "s3cret-passw0rd")


@pytest.mark.parametrize(
    ("stored", "attempt"),
    [
        (None, "wrong-password"),
        (None, ""),
        ("not-a-hash", "whatever1"),
        ("$argon2id$v=19$m=8,t=1,p=1$broken", "whatever1"),
    ],
)
def test_mismatch_or_garbage_hash_returns_false_without_raising(
    stored: str | None, attempt: str
) -> None:
    hashed = stored or passwords.hash_password("the-right-one")

    assert passwords.verify_password(hashed, attempt) is False


@pytest.mark.parametrize("short", ["", "a", "1234567"])
def test_short_password_is_refused_with_a_clear_message(short: str) -> None:
    with pytest.raises(Invalid, match="at least 8 characters"):
        passwords.hash_password(short)


def test_very_long_password_is_refused() -> None:
    with pytest.raises(Invalid, match="at most"):
        passwords.hash_password("x" * (passwords.MAX_LENGTH + 1))


def test_hash_made_with_weaker_parameters_needs_rehash(monkeypatch: pytest.MonkeyPatch) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash("password123")
    current = passwords.hash_password("password123")

    assert passwords.needs_rehash(weak)
    assert not passwords.needs_rehash(current)
    assert not passwords.needs_rehash("garbage")
