"""A few calls in flight at once, results in order: per-learner requests overlap their waits.

Connectors that ask once per learner (TalentLMS's ``getuserstatusincourse``, Moodle's
completion and activity functions) spend most of a read waiting for the LMS. `ordered_map`
keeps up to `concurrency` of those calls in flight on a small thread pool while the answers
are consumed in the order of the items, so the rows, their order and the first error raised
are what a one-at-a-time loop gives. Each call still retries on its own (`ApiClient`), so
throttling and ``Retry-After`` are honoured per request; the concurrency is the most
requests the source ever has open at once (`httpx.Client` is safe to share between threads).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

__all__ = ["ordered_map"]

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(fn: Callable[[T], R], items: Sequence[T], *, concurrency: int) -> list[R]:
    """Apply `fn` to every item, up to `concurrency` at a time; results in item order.

    With `concurrency` 1 (or a single item) the items are handled one after another in the
    calling thread, exactly as a loop would. Otherwise each call runs in a worker thread with
    a copy of the caller's context variables (so log records keep their run context). When a
    call raises, the exception of the earliest failing item is raised, as a loop would
    raise it: the calls not started yet are cancelled and those in flight are waited for,
    so no request outlives the call.

    Args:
        fn: the call for one item (thread-safe: it is run from several threads).
        items: the items, in the order their results are wanted.
        concurrency: most calls in flight at once (at least 1).

    Returns:
        ``[fn(item) for item in items]``.

    Raises:
        ValueError: `concurrency` is below 1.
        Exception: whatever the earliest failing call raised.

    Examples:
        >>> ordered_map(lambda x: x * x, [3, 1, 2], concurrency=2)
        [9, 1, 4]
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if concurrency == 1 or len(items) <= 1:
        return [fn(item) for item in items]
    pool = ThreadPoolExecutor(min(concurrency, len(items)), thread_name_prefix="lms-fanout")
    try:
        futures: list[Future[R]] = [
            pool.submit(contextvars.copy_context().run, fn, item) for item in items
        ]
        return [future.result() for future in futures]
    finally:
        # On success every future is done; on an error the rest is not started.
        pool.shutdown(wait=True, cancel_futures=True)
