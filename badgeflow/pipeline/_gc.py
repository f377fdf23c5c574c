"""Keep the cyclic garbage collector off the objects a process held before a stage began."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_frozen"]


@contextmanager
def gc_frozen() -> Iterator[None]:
    """Move the objects alive now out of the collector's sight while the block runs.

    Ingest and evaluate allocate hundreds of thousands of short-lived objects (rows,
    payloads, parameters); every full collection they trigger would otherwise walk all the
    objects the process already holds (a flow process: Prefect's, SQLAlchemy's, Great
    Expectations'). Those are frozen (`gc.freeze`) and given back at the end
    (`gc.unfreeze`); objects made inside the block are collected as usual.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
