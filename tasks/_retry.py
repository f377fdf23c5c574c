"""Retry only what is worth retrying: the core's `Transient` errors and database blips.

Every retried task of the nightly flow uses `RETRY_TRANSIENT` (or, for the LMS, a longer
backoff with the same condition): transient failures retry with backoff; permanent ones
(a refused token, a configuration error, a contract halt, a bad credential) fail at once
with the core's message, which says what to fix.
"""

from __future__ import annotations

from typing import Any

from prefect import Task
from prefect.client.schemas.objects import State, TaskRun
from sqlalchemy.exc import DBAPIError

from badgeflow.errors import is_transient

_DB_BLIPS = ("database is locked", "could not connect", "server closed the connection")


def is_database_blip(exc: BaseException) -> bool:
    """True for a lost database connection or a busy SQLite file: worth another try."""
    if not isinstance(exc, DBAPIError):
        return False
    return bool(exc.connection_invalidated) or any(b in str(exc).lower() for b in _DB_BLIPS)


def retry_if_transient(task: Task[..., object], task_run: TaskRun, state: State[object]) -> bool:
    """`retry_condition_fn` for tasks: retry on `Transient` errors, fail fast on the rest."""
    try:
        state.result()
    except Exception as exc:  # the failed state re-raises the task's exception
        return is_transient(exc) or is_database_blip(exc)
    return False


RETRY_TRANSIENT: dict[str, Any] = {
    "retries": 2,
    "retry_delay_seconds": [5, 30],
    "retry_jitter_factor": 0.5,
    "retry_condition_fn": retry_if_transient,
}
"""Task options: two retries with backoff (5 s, 30 s, jittered), transient failures only."""
