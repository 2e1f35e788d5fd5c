"""Shared fixtures: a real database per backend (SQLite always, PostgreSQL when configured).

Each test gets a clean database: the schema is migrated once per backend and worker process,
and every table is emptied after each test. Tests may therefore commit, run jobs and spawn
processes like production does; no test mocks the database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from webcare.app import create_app
from webcare.auth import passwords
from webcare.auth import service as auth_service
from webcare.auth.principal import Scope
from webcare.config import Settings
from webcare.demo.cast import Cast, create_cast
from webcare.kit.db import create_db_engine, unit_of_work
from webcare.migrations.runner import upgrade
from webcare.models import metadata
from webcare.runtime import Runtime, build_runtime

POSTGRES_URL = os.environ.get("WEBCARE_TEST_POSTGRES_URL")


def _backends() -> list[object]:
    postgres = pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not POSTGRES_URL, reason="WEBCARE_TEST_POSTGRES_URL not set: PostgreSQL skipped"
        ),
    )
    return ["sqlite", postgres]


#: Still Argon2id, but ~1 ms instead of ~150 ms: the tests hash and verify hundreds of times.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_hasher", FAST_HASHER)


@pytest.fixture(scope="session", params=_backends())
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database for this backend, private to this pytest process."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "webcare.sqlite3"
        url = f"sqlite:///{path}"
        engine = create_db_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    assert POSTGRES_URL
    admin_url = Settings(database_url=POSTGRES_URL).resolved_database_url
    name = f"webcare_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    engine = create_db_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def backend(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        secret_key="test-secret-key-not-for-production",
        embedded_worker=False,
        base_url="http://testserver",
    )


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = build_runtime(settings)
    try:
        yield rt
    finally:
        _empty_all_tables(rt)
        rt.dispose()


def _empty_all_tables(rt: Runtime) -> None:
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    # DELETE beats TRUNCATE on a handful of rows (TRUNCATE pays a fixed cost per table).
    with rt.engine.begin() as conn:
        for table in tables:
            conn.exec_driver_sql(f"DELETE FROM {table}")  # noqa: S608 - our own table names


@pytest.fixture
def app_client(runtime: Runtime) -> Iterator[TestClient]:
    """An HTTP client against the real app, without a logged-in user."""
    with TestClient(create_app(runtime=runtime)) as client:
        yield client


# The cast ---------------------------------------------------------------------------------


@pytest.fixture
def cast(runtime: Runtime) -> Cast:
    """The Glasnet workspace, committed: Anna, Lars, teams, labels and one account per channel."""
    with unit_of_work(runtime.session_factory) as session:
        return create_cast(session, runtime.secret_box)


@pytest.fixture
def other_cast(runtime: Runtime, cast: Cast) -> Cast:
    """A second workspace ("Spoorweg") to prove isolation."""
    with unit_of_work(runtime.session_factory) as session:
        return create_cast(session, runtime.secret_box, slug="spoorweg", name="Spoorweg")


def token_for(
    runtime: Runtime, cast: Cast, scopes: list[str] | None = None, user: str = "beheer"
) -> str:
    with unit_of_work(runtime.session_factory) as session:
        raw, _ = auth_service.create_api_token(
            session,
            cast.workspace.id,
            "test",
            scopes or sorted(Scope.ALL),
            user_id=cast.users[user],
        )
        return raw


@pytest.fixture
def api(app_client: TestClient, runtime: Runtime, cast: Cast) -> TestClient:
    """The app, authenticated with an all-scopes token of Glasnet's admin."""
    app_client.headers["Authorization"] = f"Bearer {token_for(runtime, cast)}"
    return app_client


def drain_jobs(runtime: Runtime) -> int:
    """Run every due job inline, as a worker would."""
    from webcare.worker.registry import import_task_modules
    from webcare.worker.runner import Worker

    import_task_modules()
    return Worker(runtime).drain()
