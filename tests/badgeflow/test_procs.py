"""Spawned process pools: every worker starts with the pool, none re-imports ``__main__``."""

from __future__ import annotations

import os
import sys

import pytest

from badgeflow.procs import spawn_pool

_seen: list[int] = []


def _remember(value: int) -> None:
    _seen.append(value)


def _state() -> tuple[int, str, list[int]]:
    """Run in a worker: its pid, its main module's name, what its initializer recorded."""
    return os.getpid(), str(sys.modules["__main__"].__name__), list(_seen)


@pytest.mark.slow  # spawning two interpreters takes a second or two
def test_workers_all_start_with_the_initializer_run_and_without_the_main_module():
    with spawn_pool(2, initializer=_remember, initargs=(7,)) as pool:
        pids = {p.pid for p in pool._processes.values()}
        states = [pool.submit(_state).result() for _ in range(6)]
        assert len(pids) == 2 and {p.pid for p in pool._processes.values()} == pids
    assert {pid for pid, _, _ in states} <= pids
    # A child that re-imported the parent's main module runs it as __mp_main__.
    assert {(name, tuple(seen)) for _, name, seen in states} == {("__main__", (7,))}
    assert sys.modules["__main__"].__name__ == "__main__"  # the parent's main is back
