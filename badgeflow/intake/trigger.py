"""Start a batch run soon after events arrive, at most once per source per interval."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

__all__ = ["DebouncedTrigger"]

logger = logging.getLogger(__name__)


class DebouncedTrigger:
    """Call ``start(source)`` for a source's first stored event, then not again for a while.

    Events arriving within the interval are read by the run already started (if it has not
    read the source yet) or by the next one; none is lost, since a run reads every
    unconsumed event. The callback is the Prefect side (``flows/intake_trigger.py``), so the
    core stays Prefect-free.

    Args:
        start: starts a run for the named source; may raise (logged, and retried at the
            next event).
        min_interval: quiet period per source after a start.
        clock: aware UTC clock.
    """

    def __init__(
        self,
        start: Callable[[str], None],
        *,
        min_interval: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self._start = start
        self._min_interval = min_interval
        self._clock = clock
        self._last: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def __call__(self, source: str) -> None:
        """Start a run for `source` unless one was started within the interval."""
        now = self._clock()
        with self._lock:
            last = self._last.get(source)
            if last is not None and now - last < self._min_interval:
                return
            self._last[source] = now
        try:
            self._start(source)
        except Exception:
            with self._lock:
                self._last.pop(source, None)
            raise
        logger.info("webhook source %s: batch run started", source)
