"""The migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from webcare.migrations.runner import downgrade, upgrade
from webcare.models import metadata
from webcare.runtime import Runtime


def _differences(runtime: Runtime) -> list[object]:
    with runtime.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    # The full-text objects (FTS5 table, tsvector column) live only in the migration.
    return [d for d in diff if "search_vector" not in str(d) and "message_fts" not in str(d)]


def test_migrated_schema_matches_the_models(runtime: Runtime) -> None:
    assert _differences(runtime) == []


def test_latest_migration_downgrades_and_upgrades_again(runtime: Runtime) -> None:
    downgrade(runtime.engine, "0001")
    assert _differences(runtime) != []
    upgrade(runtime.engine)
    assert _differences(runtime) == []
