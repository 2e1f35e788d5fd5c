"""Password hashing with Argon2id (argon2-cffi's defaults, RFC 9106 "low memory" profile).

Only the encoded hash is ever stored; it carries its own salt and parameters, so raising the cost
later needs no migration: :func:`needs_rehash` tells the login flow to upgrade a hash in place the
next time its owner proves the password.

Nothing here logs, and no error message ever contains the password.
"""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from webcare.kit.errors import Invalid

MIN_LENGTH = 8
#: Hashing is deliberately slow; an unbounded password would let one request burn CPU.
MAX_LENGTH = 1024

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """Hash a new password after checking the length policy (raises :class:`Invalid`)."""
    check_policy(password)
    return _hasher.hash(password)


def check_policy(password: str) -> None:
    """Refuse passwords that are too short to resist guessing or too long to hash cheaply."""
    if len(password) < MIN_LENGTH:
        raise Invalid(f"the password must be at least {MIN_LENGTH} characters long")
    if len(password) > MAX_LENGTH:
        raise Invalid(f"the password must be at most {MAX_LENGTH} characters long")


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; False on a mismatch or a malformed hash, never raises.

    A malformed hash counts as a mismatch so a damaged row can lock an account but never
    turn a login into a 500.
    """
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than the current ones."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False


def rehash(password: str) -> str:
    """Hash an already-accepted password with the current parameters, skipping the policy.

    Used only to upgrade a stored hash at login: a password accepted under an older policy
    must keep working rather than lock its owner out.
    """
    return _hasher.hash(password)


def dummy_verify(password: str) -> None:
    """Spend the time of one verification, so an unknown username answers as slowly as a
    known one and response times do not reveal which usernames exist."""
    verify_password(_dummy_hash(_hasher), password)


@functools.cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    # Keyed by the hasher so the dummy always costs what a real verification costs.
    return hasher.hash("webcare-dummy-password")
