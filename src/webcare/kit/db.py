"""Database plumbing shared by every domain: engine, Base, column types, unit of work, locks.

Decisions: docs/decisions/0001-unit-of-work.md (one transaction per request/job/command,
committed at the edge) and 0005-sync-database-access.md (synchronous SQLAlchemy sessions).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Session, SessionTransaction, sessionmaker

from webcare.kit.time import ensure_utc

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: A 64-bit key on PostgreSQL and SQLite's rowid alias on SQLite (only INTEGER PRIMARY KEY is).
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

#: JSON everywhere, JSONB on PostgreSQL.
JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite stores them naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        aware = ensure_utc(value)
        return aware.replace(tzinfo=None) if dialect.name == "sqlite" else aware

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else ensure_utc(value)


class Base(DeclarativeBase):
    """Declarative base for all webcare models."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def create_db_engine(url: str, *, echo: bool = False) -> Engine:
    """Engine with the settings each backend needs to serve several threads and processes."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=8,
            max_overflow=16,
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return sa.create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take over transaction control from the driver so BEGIN IMMEDIATE below is honoured.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_on_begin(connection: sa.Connection) -> None:
    # IMMEDIATE takes the write lock up front: two writers then queue on busy_timeout instead of
    # failing with "database is locked" when a read transaction tries to upgrade.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (responses are built after it)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


AfterCommit = Callable[[], None]
_PENDING = "after_commit"


def after_commit(session: Session, callback: AfterCommit) -> None:
    """Run ``callback`` once the outermost transaction commits; drop it on rollback.

    Used to wake workers, push live events and stamp usage: work that must never happen for
    a change that did not land. A callback registered inside a savepoint is dropped when that
    savepoint (or any enclosing one) rolls back, and waits for the real commit when it is
    released.
    """
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((transaction, callback))


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released; the real commit is still to come
    pending: list[tuple[SessionTransaction | None, AfterCommit]] = session.info.pop(_PENDING, [])
    for _transaction, callback in pending:
        try:
            callback()
        except Exception:
            # The transaction is already committed; a follow-up that fails (a wake-up, a live
            # push, a usage stamp) must not turn the caller's success into an error.
            log.exception("after-commit callback failed")


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session: Session, previous: SessionTransaction) -> None:
    pending: list[tuple[SessionTransaction | None, AfterCommit]] = session.info.get(_PENDING, [])
    kept = [(tx, cb) for tx, cb in pending if not _within(tx, previous)]
    if kept:
        session.info[_PENDING] = kept
    else:
        session.info.pop(_PENDING, None)


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit when the block succeeds, roll back when it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


T = TypeVar("T")


def lock_row(session: Session, model: type[T], pk: Any) -> T | None:
    """Load a row and hold its write lock until the transaction ends.

    PostgreSQL takes ``SELECT ... FOR UPDATE``; SQLite already holds the database write lock
    from ``BEGIN IMMEDIATE``. Never do network I/O while holding it.
    """
    return session.get(model, pk, with_for_update=True)


def warn_about_settings(engine: Engine) -> None:
    """Log settings of the database server that make webcare slow without failing anything.

    With autovacuum off, PostgreSQL never refreshes planner statistics and plans ingestion's
    lookups as if the tables were empty (bench/ingest.py measured 7x slower at 200,000 messages).
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        autovacuum = conn.exec_driver_sql("SHOW autovacuum").scalar()
    if autovacuum != "on":
        log.warning(
            "PostgreSQL autovacuum is off: run ANALYZE regularly (e.g. hourly), or lookups get"
            " slower as the tables grow"
        )
