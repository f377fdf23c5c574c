"""Retry timing: exponential backoff with full jitter, capped, honouring ``Retry-After``."""

from __future__ import annotations

import random as _random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["NO_RETRY", "RetryPolicy", "parse_retry_after"]


@dataclass(frozen=True)
class RetryPolicy:
    """How often, and after how long, a transient failure is retried.

    The wait before retry ``n`` (1-based) is the server's ``Retry-After`` when it sent one
    (capped at `max_delay`), else "full jitter": a uniform draw in
    ``[0, min(max_delay, base_delay * 2 ** (n - 1))]``, which spreads clients that failed
    together. A retry whose wait would push the total past `max_total_wait` is not made: the
    error is raised instead, so the orchestrator's slower retries (minutes) take over.

    Attributes:
        max_attempts: requests per call, the first one included (1 = no retry).
        base_delay: seconds of the first backoff step.
        max_delay: cap of one wait, seconds.
        max_total_wait: cap of all waits of one call, seconds.
        sleep: called with the seconds to wait (tests pass a recorder).
        random: returns a float in [0, 1) (tests pass a fixed one).
    """

    max_attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_total_wait: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    random: Callable[[], float] = field(default=_random.random, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.base_delay, self.max_delay, self.max_total_wait) < 0:
            raise ValueError("delays must not be negative")

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed attempt `attempt` (1-based).

        Args:
            attempt: the attempt that just failed.
            retry_after: the server's ``Retry-After`` in seconds, if it sent one.

        Returns:
            The wait, never negative and never above `max_delay`.
        """
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return ceiling * self.random()


NO_RETRY = RetryPolicy(max_attempts=1)
"""One attempt only: every failure is raised at once."""


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Read a ``Retry-After`` header: delay-seconds or an HTTP-date.

    Args:
        value: the header value, or None when absent.
        now: the clock for HTTP-dates (default: the system clock, UTC).

    Returns:
        Seconds to wait (0 for a date in the past), or None when absent or unreadable.

    Examples:
        >>> parse_retry_after("120")
        120.0
        >>> parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT",
        ...                   now=datetime(2015, 10, 21, 7, 27, 30, tzinfo=UTC))
        30.0
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)
