"""Sending a chunk of emails from worker processes (``mail.send_processes``).

Rendering and SMTP take about 4 ms of CPU per email, all of it under one GIL when the flow's
process sends alone. With ``mail.send_processes`` above 1, a chunk is cut into one
contiguous part per process and each worker sends its part with the in-process send loop
(`badgeflow.pipeline.notify.send_emails` with one process): it claims its rows a wave at a
time in the store, renders them and sends them over connections of its own. The store's
wave claim is atomic (PostgreSQL, and SQLite in WAL mode with a busy timeout), and the
parts are disjoint anyway, so no row is sent twice. The settings a worker gets are the
task's, with:

- ``smtp_connections``: its share of the total (each process at least one);
- ``smtp_max_per_minute``: its share of the total rate, so the processes together keep to
  the configured rate.

The workers are started once per stage by `badgeflow.procs.spawn_pool` (spawned, without
re-importing the flow's ``__main__``), build their runtime once (store engine, catalog,
templates) and keep it until `shutdown_send_pools`, which the flow calls when its notify
stage ends. What the workers log (at the level badgeflow's loggers have here) is sent back
with their results and logged here, in the task's thread. A worker that dies breaks the
pool: the chunk raises `DeliveryError` saying so (never a hang), and the rows it had
claimed stay ``sending`` until their lease runs out, when the next run sends them again
with the same Message-ID, as after any crash.
"""

from __future__ import annotations

import atexit
import logging
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from typing import TYPE_CHECKING, Final

from sqlalchemy.engine import make_url

from badgeflow.errors import DeliveryError
from badgeflow.procs import spawn_pool
from badgeflow.settings import Settings

if TYPE_CHECKING:
    from badgeflow.pipeline.notify import SendResult

__all__ = ["process_shares", "send_from_processes", "shutdown_send_pools"]

logger = logging.getLogger(__name__)

MIN_PER_PROCESS: Final = 50
"""A process is worth its start only for this many emails of a chunk (one wave) or more."""

_pools: dict[int, ProcessPoolExecutor] = {}
_lock = threading.Lock()


def process_shares(settings: Settings, count: int) -> list[int]:
    """Tell how to spread a chunk over processes: the SMTP connections of each.

    Args:
        settings: the task's settings (``mail.send_processes``, ``mail.smtp_connections``).
        count: emails in the chunk.

    Returns:
        One entry per worker process, its connections; empty when the chunk is sent in this
        process (one process configured, a chunk too small to share, or an in-memory
        database the workers cannot see).
    """
    mail = settings.mail
    processes = min(mail.send_processes, count // MIN_PER_PROCESS)
    if processes <= 1 or _in_memory(settings.database.url):
        return []
    base, extra = divmod(mail.smtp_connections, processes)
    return [max(1, base + (k < extra)) for k in range(processes)]


def _in_memory(url: str) -> bool:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database or ""
    return (
        database in ("", ":memory:")
        or "mode=memory" in database
        or parsed.query.get("mode") == "memory"
    )


def _worker_settings(settings: Settings, connections: int, processes: int) -> Settings:
    mail = settings.mail
    rate = mail.smtp_max_per_minute
    update: dict[str, object] = {"send_processes": 1, "smtp_connections": connections}
    if rate is not None:
        update["smtp_max_per_minute"] = rate / processes
    return settings.model_copy(update={"mail": mail.model_copy(update=update)})


def _pool(processes: int) -> ProcessPoolExecutor:
    with _lock:
        pool = _pools.get(processes)
        if pool is None:
            pool = _pools[processes] = spawn_pool(processes)
        return pool


def _drop_pool(processes: int) -> None:
    with _lock:
        pool = _pools.pop(processes, None)
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def shutdown_send_pools() -> None:
    """Stop every send worker this module started (also run at interpreter exit)."""
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=True)


atexit.register(shutdown_send_pools)


class _Collect(logging.Handler):
    """Keeps a worker's log records of one part, flattened so they pickle."""

    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        record.msg = record.getMessage()
        record.args = None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        self.records.append(record)


def _send_part(
    settings: Settings, outbox_ids: list[int], now: datetime, level: int
) -> tuple[SendResult, list[logging.LogRecord]]:
    """Worker: send one part with the in-process loop; return its result and log records.

    ``level`` is the calling process's level for badgeflow's loggers, so a worker keeps
    (and pays for) only the records the caller would have logged.
    """
    from badgeflow.pipeline.notify import send_part
    from badgeflow.pipeline.runtime import runtime_for

    handler = _Collect(level)
    root = logging.getLogger("badgeflow")
    root.addHandler(handler)
    root.setLevel(level)
    try:
        result = send_part(runtime_for(settings), outbox_ids, now=now)
    finally:
        root.removeHandler(handler)
    return result, handler.records


def send_from_processes(
    settings: Settings, outbox_ids: list[int], shares: list[int], *, now: datetime
) -> list[SendResult]:
    """Send a chunk from ``len(shares)`` worker processes; return each part's result.

    Args:
        settings: the task's settings (secrets resolved).
        outbox_ids: the chunk.
        shares: from `process_shares`: the connections of each process.
        now: the batch clock.

    Returns:
        The results of the parts, in order.

    Raises:
        DeliveryError: a worker process died (its claimed rows are resent after the lease).
        BaseException: whatever a worker raised, once every part has finished.
    """
    processes = len(shares)
    pool = _pool(processes)
    size = -(-len(outbox_ids) // processes)
    level = logging.getLogger("badgeflow").getEffectiveLevel()
    parts = [outbox_ids[k * size : (k + 1) * size] for k in range(processes)]
    futures = [
        pool.submit(
            _send_part, _worker_settings(settings, connections, processes), part, now, level
        )
        for connections, part in zip(shares, parts, strict=True)
        if part
    ]
    errors = [future.exception() for future in futures]  # waits for every part
    results: list[SendResult] = []
    for future, error in zip(futures, errors, strict=True):
        if error is None:
            result, records = future.result()
            for record in records:
                logging.getLogger(record.name).handle(record)
            results.append(result)
    broken = next((e for e in errors if isinstance(e, BrokenProcessPool)), None)
    if broken is not None:
        _drop_pool(processes)
        raise DeliveryError(
            f"a send worker process died ({broken}); the emails it had claimed stay "
            "'sending' and are sent again with the same Message-ID once their lease "
            "(mail.send_lease_minutes) has run out: look for the cause (memory, a kill) in "
            "the worker's log and run the batch again"
        ) from broken
    for error in errors:
        if error is not None:
            raise error
    return results
