from __future__ import annotations

import contextvars
import random
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from badgeflow.lms._http.fanout import ordered_map

LABEL: contextvars.ContextVar[str] = contextvars.ContextVar("label", default="none")


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=1000), max_size=30),
    st.integers(min_value=1, max_value=8),
)
def test_results_come_back_in_item_order_whatever_finishes_first(items, concurrency):
    rng = random.Random(len(items))
    delays = {i: rng.random() / 2000 for i in range(len(items))}

    def slow_square(pair: tuple[int, int]) -> int:
        time.sleep(delays[pair[0]])
        return pair[1] * pair[1]

    pairs = list(enumerate(items))
    assert ordered_map(slow_square, pairs, concurrency=concurrency) == [x * x for x in items]


def test_the_earliest_failing_item_s_error_is_raised_even_when_a_later_one_fails_first():
    def call(i: int) -> int:
        if i == 2:
            time.sleep(0.05)
            raise KeyError("item 2")
        if i == 3:
            raise ValueError("item 3")
        return i

    with pytest.raises(KeyError, match="item 2"):
        ordered_map(call, list(range(6)), concurrency=4)


def test_after_an_error_the_calls_not_started_are_never_made_and_none_outlives_the_call():
    started: list[int] = []

    def call(i: int) -> int:
        started.append(i)
        if i == 1:
            raise RuntimeError("boom")
        time.sleep(0.01)
        return i

    with pytest.raises(RuntimeError, match="boom"):
        ordered_map(call, list(range(200)), concurrency=2)
    made = len(started)
    time.sleep(0.05)
    assert len(started) == made < 200  # nothing runs on after the raise


def test_at_most_concurrency_calls_are_in_flight():
    lock, now, peak = threading.Lock(), [0], [0]

    def call(i: int) -> int:
        with lock:
            now[0] += 1
            peak[0] = max(peak[0], now[0])
        time.sleep(0.002)
        with lock:
            now[0] -= 1
        return i

    assert ordered_map(call, list(range(40)), concurrency=3) == list(range(40))
    assert 1 < peak[0] <= 3


def test_one_at_a_time_runs_in_the_calling_thread():
    threads = ordered_map(lambda _: threading.current_thread(), [1, 2, 3], concurrency=1)
    assert threads == [threading.current_thread()] * 3


def test_workers_see_the_caller_s_context_variables():
    token = LABEL.set("run-42")
    try:
        assert ordered_map(lambda _: LABEL.get(), [1, 2, 3], concurrency=3) == ["run-42"] * 3
    finally:
        LABEL.reset(token)


def test_concurrency_must_be_at_least_one():
    with pytest.raises(ValueError, match="at least 1"):
        ordered_map(lambda x: x, [1], concurrency=0)
