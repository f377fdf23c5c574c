"""Retry only what is worth retrying: the core's `Transient` errors."""

from __future__ import annotations

from prefect import Task
from prefect.client.schemas.objects import TaskRun
from prefect.states import State

from badgeflow.errors import is_transient


def retry_if_transient(task: Task[..., object], task_run: TaskRun, state: State[object]) -> bool:
    """`retry_condition_fn` for tasks: retry on `Transient` errors, fail fast on the rest."""
    try:
        state.result()
    except Exception as exc:  # the failed state re-raises the task's exception
        return is_transient(exc)
    return False
