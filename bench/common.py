"""What every benchmark needs: a throwaway database per backend, the cast, option helpers."""

from __future__ import annotations

import argparse
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from webcare.config import normalise_database_url
from webcare.demo.cast import Cast, create_cast
from webcare.kit.crypto import SecretBox
from webcare.kit.db import create_db_engine, make_session_factory, unit_of_work
from webcare.migrations.runner import upgrade

POSTGRES_ENV = ("WEBCARE_BENCH_POSTGRES_URL", "WEBCARE_TEST_POSTGRES_URL")
SECRET_KEY = "bench-secret-key-not-for-production"  # noqa: S105 - throwaway databases only


def postgres_url_from(option: str | None) -> str | None:
    """The ``--postgres-url`` option, else the first configured environment variable."""
    return option or next((os.environ[n] for n in POSTGRES_ENV if os.environ.get(n)), None)


def add_postgres_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--postgres-url",
        help="server to create the throwaway databases on (default: $"
        + " or $".join(POSTGRES_ENV)
        + "; none: PostgreSQL is skipped)",
    )


def positive(text: str) -> int:
    """An argparse type: an integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


@contextmanager
def throwaway_database(backend: str, postgres_url: str | None) -> Iterator[Engine]:
    """A new, migrated, empty database; removed afterwards.

    On PostgreSQL a database with a random name is created on the given server and dropped at
    the end, so a run never touches an existing database.
    """
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="webcare-bench-") as folder:
            engine = create_db_engine(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
            try:
                upgrade(engine)
                yield engine
            finally:
                engine.dispose()
        return
    assert postgres_url is not None
    admin_url = normalise_database_url(postgres_url)
    name = f"webcare_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine = create_db_engine(sa.make_url(admin_url).set(database=name).render_as_string(False))
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def add_cast(engine: Engine) -> Cast:
    """The Glasnet workspace with its team, labels and channel accounts, committed."""
    with unit_of_work(make_session_factory(engine)) as session:
        return create_cast(session, SecretBox(SECRET_KEY))
