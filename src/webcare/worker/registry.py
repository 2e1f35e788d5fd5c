"""The task registry: job names mapped to the functions that run them.

A job row stores only a name and a JSON payload, so any worker process can run any job as long
as the module defining the task has been imported there. ``import_task_modules`` imports every
``tasks`` module of the package, which is how the worker processes learn all task names.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from webcare.runtime import Runtime
from webcare.worker.errors import UnknownTaskError


@dataclass(frozen=True)
class JobContext:
    """What a task gets: the job's data and its own transaction.

    ``session`` is the job's unit of work. The task flushes, never commits: the worker commits
    the task's writes together with the job's "done" mark, or rolls both back on failure. On
    SQLite the session's first statement takes the database write lock until the job ends, so
    do slow network I/O before touching the database where you can.
    """

    session: Session
    runtime: Runtime
    job_id: int
    name: str
    payload: dict[str, Any]
    #: 1 for the first run, 2 for the first retry, ...
    attempt: int
    workspace_id: int | None


Task = Callable[[JobContext], None]

_tasks: dict[str, Task] = {}


def task(name: str) -> Callable[[Task], Task]:
    """Register the decorated function as the runner of jobs called ``name``.

    Names are ``domain.verb_noun`` (``channel.send_reply``) and stable: queued rows refer to
    them, so renaming a task strands its jobs (they go dead as unknown tasks).
    """

    def register(func: Task) -> Task:
        existing = _tasks.get(name)
        if existing is not None and _qualified(existing) != _qualified(func):
            raise ValueError(f"task name {name!r} is already used by {_qualified(existing)}")
        _tasks[name] = func
        return func

    return register


_periodic: dict[str, float] = {}


def periodic(name: str, every_seconds: float) -> Callable[[Task], Task]:
    """Register a task that workers enqueue once per ``every_seconds`` (cron-like upkeep).

    Several workers may all try; the job's dedupe key (name plus time slot) lets one through.
    The task runs with ``workspace_id`` None and must be idempotent.
    """

    def register(func: Task) -> Task:
        task(name)(func)
        _periodic[name] = every_seconds
        return func

    return register


def periodic_schedule() -> dict[str, float]:
    """Periodic task names and their interval in seconds."""
    return dict(_periodic)


def get_task(name: str) -> Task:
    """The function registered for ``name``; ``UnknownTaskError`` (the job goes dead) if none."""
    try:
        return _tasks[name]
    except KeyError:
        raise UnknownTaskError(
            f"no task is registered as {name!r} in this worker "
            "(is its tasks module imported, or was it renamed?)"
        ) from None


def registered_names() -> list[str]:
    """All task names this process knows, sorted (for logs and diagnostics)."""
    return sorted(_tasks)


def import_task_modules(package: str = "webcare") -> list[str]:
    """Import every ``<package>.**.tasks`` module so their ``@task``\\ s register.

    Walks the package's folders without importing unrelated modules. Returns the module names.
    An import error propagates: a worker that silently lacked tasks would bury their jobs.
    """
    root = importlib.import_module(package)
    names = list(_find_task_modules(root.__path__, package + "."))
    for module_name in names:
        importlib.import_module(module_name)
    return names


def _find_task_modules(path: Iterable[str], prefix: str) -> Iterator[str]:
    for info in pkgutil.iter_modules(path, prefix):
        if info.ispkg:
            leaf = info.name.rsplit(".", 1)[1]
            sub_path = [os.path.join(p, leaf) for p in path]
            yield from _find_task_modules(sub_path, info.name + ".")
        elif info.name.endswith(".tasks"):
            yield info.name


def _qualified(func: Task) -> str:
    return f"{func.__module__}.{func.__qualname__}"
