"""Follow-up work (live pushes, worker wake-ups) happens only for changes that really landed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from webcare.kit.db import after_commit
from webcare.runtime import Runtime


def test_callbacks_wait_for_the_outer_commit_and_skip_rolled_back_savepoints(
    runtime: Runtime,
) -> None:
    ran: list[str] = []
    with runtime.session_factory() as session:
        session.execute(sa.text("SELECT 1"))
        after_commit(session, lambda: ran.append("outer"))
        with session.begin_nested():
            after_commit(session, lambda: ran.append("released savepoint"))

        def fail_in_savepoint() -> None:
            with session.begin_nested():
                after_commit(session, lambda: ran.append("rolled-back savepoint"))
                raise ValueError("boom")

        with pytest.raises(ValueError, match="boom"):
            fail_in_savepoint()
        assert ran == []  # releasing a savepoint is not a commit
        session.commit()
    assert ran == ["outer", "released savepoint"]


def test_rollback_drops_every_callback(runtime: Runtime) -> None:
    ran: list[str] = []
    with runtime.session_factory() as session:
        session.execute(sa.text("SELECT 1"))
        after_commit(session, lambda: ran.append("never"))
        session.rollback()
        session.execute(sa.text("SELECT 1"))
        session.commit()
    assert ran == []


def test_a_failing_callback_does_not_undo_or_hide_the_commit(runtime: Runtime) -> None:
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("push failed")

    with runtime.session_factory() as session:
        session.execute(sa.text("SELECT 1"))
        after_commit(session, broken)
        after_commit(session, lambda: ran.append("next"))
        session.commit()
    assert ran == ["next"]
