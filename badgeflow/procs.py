"""Process pools for CPU-bound stages: spawned workers that import only what their tasks need.

A process started with the spawn method (the safe one beside an orchestrator's threads)
re-imports its parent's ``__main__`` module first. When the parent is the nightly flow
(``python -m flows.nightly_issuance``), that is all of Prefect: about 6 s of CPU and 170 MB
per worker, for nothing. `spawn_pool` starts every worker at once, with ``__main__`` hidden
for that moment, so a worker imports only the modules of its initializer and tasks.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import types
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, Final

__all__ = ["spawn_pool"]

_START_TIMEOUT: Final = 300.0
"""Seconds a worker waits for the others to start (a cold machine takes a few)."""

_main_lock = threading.Lock()


def _start(
    started: Any, initializer: Callable[..., object] | None, initargs: tuple[Any, ...]
) -> None:
    if initializer is not None:
        initializer(*initargs)
    # No worker takes a task before all have started: every start-up task below is still
    # pending when the next one is submitted, so the executor starts a process for each.
    started.wait(_START_TIMEOUT)


def _started() -> None:
    """A start-up task: returns once its worker has run the initializer."""


@contextmanager
def _main_hidden() -> Iterator[None]:
    """Hide ``__main__`` while processes start, so spawned children do not re-import it."""
    with _main_lock:
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = main


def spawn_pool(
    workers: int,
    *,
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
) -> ProcessPoolExecutor:
    """Start a pool of ``workers`` spawned processes, all of them now, none re-importing main.

    Functions sent to the pool (tasks, initializer) must live in importable modules, never in
    ``__main__`` (the workers do not have it).

    Args:
        workers: how many processes.
        initializer: run once in each worker, with ``initargs``, before any task.
        initargs: the initializer's arguments (pickled once per worker).

    Returns:
        The started pool; the caller shuts it down (or uses it as a context manager).
    """
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_start,
        initargs=(context.Barrier(workers), initializer, initargs),
    )
    try:
        with _main_hidden():
            ready = [pool.submit(_started) for _ in range(workers)]
        for future in ready:
            future.result()
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    return pool
