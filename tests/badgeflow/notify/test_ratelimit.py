"""The token bucket, on a fake clock: nothing here waits."""

from __future__ import annotations

import pytest

from badgeflow.notify.ratelimit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_sixty_a_minute_is_one_a_second_after_the_first():
    clock = FakeClock()
    limiter = RateLimiter(60, clock=clock, sleep=clock.sleep)
    waits = [limiter.acquire() for _ in range(4)]
    assert waits == [0.0, 1.0, 1.0, 1.0]
    assert clock.now == 3.0


def test_idle_time_refills_up_to_the_burst_only():
    clock = FakeClock()
    limiter = RateLimiter(60, burst=3, clock=clock, sleep=clock.sleep)
    assert [limiter.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire() == pytest.approx(1.0)
    clock.now += 3600  # an hour idle gives back 3 tokens, not 3600
    assert [limiter.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire() == pytest.approx(1.0)


def test_a_minute_of_sends_at_the_limit_takes_a_minute():
    clock = FakeClock()
    limiter = RateLimiter(600, clock=clock, sleep=clock.sleep)
    for _ in range(601):
        limiter.acquire()
    assert clock.now == pytest.approx(60.0)


@pytest.mark.parametrize("per_minute, burst", [(0, 1), (-5, 1), (10, 0)])
def test_nonsense_limits_are_refused(per_minute, burst):
    with pytest.raises(ValueError):
        RateLimiter(per_minute, burst=burst)


def test_one_bucket_holds_the_rate_for_several_threads_together():
    from concurrent.futures import ThreadPoolExecutor

    clock = FakeClock()
    limiter = RateLimiter(60, clock=clock, sleep=clock.sleep)
    with ThreadPoolExecutor(4) as pool:
        waits = list(pool.map(lambda _: limiter.acquire(), range(8)))
    # Eight tokens at one a second: seven seconds of waiting however the threads interleave.
    assert sorted(waits) == [0.0] + [1.0] * 7
    assert clock.now == 7.0
