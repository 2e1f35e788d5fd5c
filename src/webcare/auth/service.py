"""Users, logins, browser sessions and API tokens.

Invariants:

* A password is stored only as an Argon2id hash; a session or API token only as its SHA-256.
  The raw secret is returned once, to the caller that created it, and never logged.
* Every token and session belongs to one workspace; lookups that take a ``workspace_id``
  filter by it, so another workspace's token is simply not found.
* Functions flush, never commit: the request or command that calls them owns the transaction.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webcare.audit import service as audit
from webcare.auth import passwords
from webcare.auth.models import ApiToken, User, UserSession
from webcare.auth.principal import Principal, Scope
from webcare.kit.crypto import new_token, sha256_hex
from webcare.kit.db import after_commit
from webcare.kit.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from webcare.kit.time import utc_now
from webcare.workspace import service as workspace_service
from webcare.workspace.models import Membership, Role

log = logging.getLogger(__name__)

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9._-]{2,64}$")
SUPPORTED_LOCALES = ("nl", "en")
WRONG_CREDENTIALS = "wrong username or password"
API_TOKEN_PREFIX = "wc_"  # noqa: S105 (a public prefix, not a secret)
#: Characters of a raw token kept for display ("wc_Ab3xY"): enough to tell tokens apart.
DISPLAY_PREFIX_LENGTH = 8
#: Writing last_used_at on every request would turn every API read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


# Users ------------------------------------------------------------------------------------


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    display_name: str,
    email: str | None = None,
    locale: str = "nl",
) -> User:
    """Create a user. Usernames are unique regardless of case ("Anna" and "anna" clash),
    so two people can never be told apart by capitalisation alone."""
    check_username(username)
    display_name = _required_text(display_name, "display name", 200)
    email = _check_email(email)
    if locale not in SUPPORTED_LOCALES:
        raise Invalid(f"unsupported locale '{locale}'; use one of: {', '.join(SUPPORTED_LOCALES)}")
    if get_user_by_username(session, username) is not None:
        raise Conflict(f"the username '{username}' is already taken")
    user = User(
        username=username,
        display_name=display_name,
        email=email,
        password_hash=passwords.hash_password(password),
        locale=locale,
        is_active=True,
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user_by_username(session: Session, username: str) -> User | None:
    """Case-insensitive, like login: "Anna" finds the user created as "anna"."""
    query = sa.select(User).where(sa.func.lower(User.username) == username.lower())
    return session.scalars(query.order_by(User.id).limit(1)).first()


def set_password(session: Session, user: User, password: str) -> None:
    """Replace a user's password and end all their sessions (a changed password must log
    out whoever might have stolen the old one)."""
    user.password_hash = passwords.hash_password(password)
    session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id))
    session.flush()


def authenticate(session: Session, username: str, password: str) -> User:
    """The user with these credentials, or :class:`Unauthorized`.

    An unknown username and a wrong password give the same message and take the same time,
    so the login form does not reveal which usernames exist. A hash made with older Argon2
    parameters is upgraded in place.
    """
    user = get_user_by_username(session, username)
    if user is None:
        passwords.dummy_verify(password)
        raise Unauthorized(WRONG_CREDENTIALS)
    if not passwords.verify_password(user.password_hash, password):
        raise Unauthorized(WRONG_CREDENTIALS)
    if not user.is_active:
        raise Unauthorized("this account has been deactivated")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.rehash(password)
        session.flush()
    return user


def log_in(
    session: Session,
    *,
    username: str,
    password: str,
    workspace_slug: str | None,
    ttl_seconds: int,
) -> tuple[str, UserSession]:
    """Check the credentials and start a session in the asked workspace, or the user's
    first one when none is asked for. Returns the raw session token once."""
    user = authenticate(session, username, password)
    workspace_id = _login_workspace_id(session, user, workspace_slug)
    return start_session(session, user, workspace_id, ttl_seconds)


def _login_workspace_id(session: Session, user: User, workspace_slug: str | None) -> int:
    # Asked only after the password was right, so it reveals nothing to a stranger; an
    # unknown workspace and one the user is not in read the same.
    if workspace_slug:
        workspace = workspace_service.get_workspace_by_slug(session, workspace_slug)
        if workspace is not None and workspace_service.get_membership(
            session, workspace.id, user.id
        ):
            return workspace.id
        raise Forbidden(f"you have no access to workspace '{workspace_slug}'")
    membership = first_membership(session, user.id)
    if membership is None:
        raise Forbidden("your account is not a member of any workspace yet")
    return membership.workspace_id


def first_membership(session: Session, user_id: int) -> Membership | None:
    """The workspace a login lands in when none was asked for: the oldest membership."""
    query = sa.select(Membership).where(Membership.user_id == user_id).order_by(Membership.id)
    return session.scalars(query.limit(1)).first()


def check_username(username: str) -> None:
    """Raise :class:`Invalid` unless the username is 2-64 letters, digits, '.', '_' or '-':
    characters that survive URLs, mentions and log lines without escaping."""
    if not USERNAME_PATTERN.fullmatch(username):
        raise Invalid("a username is 2-64 characters: letters, digits, '.', '_' or '-'")


def _check_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    email = email.strip()
    if "@" not in email or len(email) > 320:
        raise Invalid("the e-mail address is not valid")
    return email


def _required_text(value: str, what: str, max_length: int) -> str:
    value = value.strip()
    if not value or len(value) > max_length:
        raise Invalid(f"the {what} must be 1-{max_length} characters")
    return value


# Browser sessions -------------------------------------------------------------------------


def start_session(
    session: Session, user: User, workspace_id: int, ttl_seconds: int
) -> tuple[str, UserSession]:
    """Log ``user`` in to a workspace they belong to; returns the raw cookie value once.

    Only the token's SHA-256 is stored, so a database leak does not leak live sessions. The
    CSRF token is stored as is: it is not a credential on its own, and the UI must read it.
    """
    if ttl_seconds <= 0:
        raise Invalid("a session must last at least one second")
    if workspace_service.get_membership(session, workspace_id, user.id) is None:
        raise Forbidden("you are not a member of this workspace")
    raw = new_token()
    now = utc_now()
    user_session = UserSession(
        token_hash=sha256_hex(raw),
        user_id=user.id,
        workspace_id=workspace_id,
        csrf_token=new_token(),
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
    )
    session.add(user_session)
    session.flush()
    log.info("user %s logged in to workspace %s", user.id, workspace_id)
    return raw, user_session


def resolve_session(session: Session, raw_token: str) -> tuple[UserSession, Membership] | None:
    """The live session for a cookie value and the user's membership in its workspace.

    None when the session is unknown, expired, its user deactivated or no longer a member:
    removing someone from a workspace logs them out of it at once.
    """
    query = (
        sa.select(UserSession, Membership)
        .join(
            Membership,
            sa.and_(
                Membership.workspace_id == UserSession.workspace_id,
                Membership.user_id == UserSession.user_id,
            ),
        )
        .join(User, User.id == UserSession.user_id)
        .where(
            UserSession.token_hash == sha256_hex(raw_token),
            UserSession.expires_at > utc_now(),
            User.is_active.is_(True),
        )
    )
    row = session.execute(query).first()
    return None if row is None else (row[0], row[1])


def end_session(session: Session, raw_token: str) -> None:
    """Log out: delete the session so the cookie is worthless even if it was copied."""
    session.execute(sa.delete(UserSession).where(UserSession.token_hash == sha256_hex(raw_token)))
    session.flush()


def delete_expired_sessions(session: Session) -> int:
    """Remove expired sessions (for a periodic job); returns how many were removed."""
    result = session.execute(sa.delete(UserSession).where(UserSession.expires_at <= utc_now()))
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


# API tokens -------------------------------------------------------------------------------


def create_api_token(
    session: Session,
    workspace_id: int,
    name: str,
    scopes: list[str],
    user_id: int | None = None,
) -> tuple[str, ApiToken]:
    """Create a token for programs; returns the raw token, which is shown only this once.

    A token with a ``user_id`` acts for that member (and can never do more than their role
    allows); without one it acts for the workspace itself.
    """
    name = _required_text(name, "token name", 200)
    scopes = _check_scopes(scopes)
    if user_id is not None:
        workspace_service.get_membership_or_raise(session, workspace_id, user_id)
    raw = new_token(API_TOKEN_PREFIX)
    token = ApiToken(
        workspace_id=workspace_id,
        user_id=user_id,
        name=name,
        token_hash=sha256_hex(raw),
        prefix=raw[:DISPLAY_PREFIX_LENGTH],
        scopes=scopes,
        created_at=utc_now(),
    )
    session.add(token)
    session.flush()
    log.info("api token %s created in workspace %s", token.id, workspace_id)
    return raw, token


def resolve_api_token(session: Session, raw: str) -> ApiToken | None:
    """The live token for a raw value; None when unknown, revoked, or its user deactivated.

    ``last_used_at`` is refreshed at most once per :data:`LAST_USED_RESOLUTION`, so an
    integration polling every second does not write a row every second.
    """
    if not raw.startswith(API_TOKEN_PREFIX):
        return None
    token = session.scalar(
        sa.select(ApiToken).where(
            ApiToken.token_hash == sha256_hex(raw), ApiToken.revoked_at.is_(None)
        )
    )
    if token is None or not _token_user_is_active(session, token):
        return None
    _touch(session, token)
    return token


def revoke_api_token(session: Session, workspace_id: int, token_id: int) -> ApiToken:
    """Revoke a token of this workspace (idempotent); :class:`NotFound` for any other id."""
    token = session.scalar(
        sa.select(ApiToken).where(ApiToken.workspace_id == workspace_id, ApiToken.id == token_id)
    )
    if token is None:
        raise NotFound(f"api token {token_id} not found")
    if token.revoked_at is None:
        token.revoked_at = utc_now()
        session.flush()
        log.info("api token %s revoked in workspace %s", token.id, workspace_id)
    return token


def list_api_tokens(session: Session, workspace_id: int) -> list[ApiToken]:
    """All tokens of the workspace, revoked ones included (they explain past activity)."""
    query = sa.select(ApiToken).where(ApiToken.workspace_id == workspace_id)
    return list(session.scalars(query.order_by(ApiToken.id)))


def _check_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - Scope.ALL)
    if unknown:
        raise Invalid(
            f"unknown scope(s): {', '.join(unknown)}; "
            f"valid scopes are: {', '.join(sorted(Scope.ALL))}"
        )
    if not scopes:
        raise Invalid(f"give at least one scope; valid scopes are: {', '.join(sorted(Scope.ALL))}")
    return sorted(set(scopes))


def _token_user_is_active(session: Session, token: ApiToken) -> bool:
    if token.user_id is None:
        return True
    user = session.get(User, token.user_id)
    return user is not None and user.is_active


def _touch(session: Session, token: ApiToken) -> None:
    """Record use in its own tiny transaction after the request commits.

    Writing it inside the request would lock the token's row for the whole request and so
    serialise every concurrent request of one integration behind it.
    """
    now = utc_now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    engine = session.get_bind()
    assert isinstance(engine, sa.Engine)
    token_id = token.id
    stale = now - LAST_USED_RESOLUTION

    def write() -> None:
        with engine.begin() as connection:
            connection.execute(
                sa.update(ApiToken)
                .where(
                    ApiToken.id == token_id,
                    sa.or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < stale),
                )
                .values(last_used_at=now)
            )

    after_commit(session, write)


def update_preferences(session: Session, user: User, *, locale: str, timezone: str) -> User:
    """The user's UI language and time zone (validated by the caller against what it offers)."""
    user.locale = locale
    user.timezone = timezone
    session.flush()
    return user


# Members, as a workspace admin manages them ------------------------------------------------

#: Stricter than :data:`passwords.MIN_LENGTH`: an admin hands this password over, often in a
#: chat message, so it should survive being guessed until its owner changes it.
INITIAL_PASSWORD_MIN_LENGTH = 12


def create_member(
    session: Session,
    actor: Principal,
    *,
    username: str,
    display_name: str,
    email: str | None,
    password: str,
    role: Role,
) -> User:
    """Create a person and make them a member of the actor's workspace, audited.

    Usernames are unique across the instance; a taken one is refused rather than added, so
    an admin of one workspace can never pull in (or reset) someone else's account. Every
    check runs before the first write.
    """
    role = Role(role)
    username = username.strip()
    check_username(username)
    _required_text(display_name, "display name", 200)
    _check_email(email)
    if len(password) < INITIAL_PASSWORD_MIN_LENGTH:
        raise Invalid(
            f"the initial password must be at least {INITIAL_PASSWORD_MIN_LENGTH} characters long"
        )
    passwords.check_policy(password)
    existing = get_user_by_username(session, username)
    if existing is not None:
        if workspace_service.get_membership(session, actor.workspace_id, existing.id):
            raise Conflict(f"'{existing.username}' is already a member of this workspace")
        raise Conflict(
            f"the username '{username}' is already used in another workspace; choose another one"
        )
    user = create_user(
        session,
        username=username,
        password=password,
        display_name=display_name,
        email=email,
    )
    workspace_service.add_member(session, actor.workspace_id, user.id, role)
    audit.record(
        session,
        actor,
        "member.added",
        "user",
        user.id,
        {"username": user.username, "role": role.value},
    )
    return user


def set_member_active(session: Session, actor: Principal, user_id: int, active: bool) -> User:
    """Deactivate (or reactivate) a member's account; a no-op when it already is.

    A deactivated user cannot log in (:func:`authenticate`), their sessions end now, and
    their API tokens stop resolving. ``is_active`` belongs to the account, not the
    membership, so an account that is also in another workspace is refused: one admin
    must not lock someone out of a workspace they do not run.
    """
    membership = workspace_service.get_membership_or_raise(session, actor.workspace_id, user_id)
    user = get_user(session, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    if user.is_active == active:
        return user
    if not active and user_id == actor.user_id:
        raise Conflict("you cannot deactivate your own account; ask another admin")
    if not active and membership.role == Role.ADMIN.value:
        workspace_service.check_keeps_an_admin(session, actor, user_id)
    elsewhere = session.scalar(
        sa.select(sa.func.count())
        .select_from(Membership)
        .where(Membership.user_id == user_id, Membership.workspace_id != actor.workspace_id)
    )
    if elsewhere:
        raise Conflict(
            "this account is also a member of another workspace; it cannot be changed here"
        )
    user.is_active = active
    if not active:
        session.execute(sa.delete(UserSession).where(UserSession.user_id == user_id))
    session.flush()
    action = "member.reactivated" if active else "member.deactivated"
    audit.record(session, actor, action, "user", user_id)
    return user
