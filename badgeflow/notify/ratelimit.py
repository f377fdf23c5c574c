"""A token bucket that spaces out sends, with the clock and the sleep passed in."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """Allow at most ``per_minute`` events a minute, in bursts of at most ``burst``.

    The bucket starts full and refills at ``per_minute / 60`` tokens a second. `acquire`
    takes a token, sleeping first if none is left; it is thread-safe (the connections of one
    send task share a bucket, and a caller waiting for a token holds the others back, so the
    rate holds for all of them together). Tests pass a fake ``clock`` and
    ``sleep`` so nothing waits.

    Examples:
        >>> slept = []
        >>> limiter = RateLimiter(60, clock=lambda: sum(slept), sleep=slept.append)
        >>> [limiter.acquire() for _ in range(3)]
        [0.0, 1.0, 1.0]
    """

    def __init__(
        self,
        per_minute: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("RateLimiter needs per_minute > 0 and burst >= 1")
        self.per_second = per_minute / 60.0
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._updated = clock()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RateLimiter({self.per_second * 60:g}/min, burst={self.burst})"

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.per_second)
        self._updated = now

    def acquire(self) -> float:
        """Take one token, sleeping until there is one.

        Returns:
            How long it slept, in seconds.
        """
        with self._lock:
            return self._acquire()

    def _acquire(self) -> float:
        self._refill()
        waited = 0.0
        if self._tokens < 1.0:
            waited = (1.0 - self._tokens) / self.per_second
            self._sleep(waited)
            self._refill()
            # The sleep may return a hair early; never let the bucket go negative for long.
            self._tokens = max(self._tokens, 1.0)
        self._tokens -= 1.0
        return waited
