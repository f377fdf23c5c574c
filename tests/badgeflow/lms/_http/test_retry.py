from __future__ import annotations

from datetime import UTC, datetime

import pytest

from badgeflow.lms._http import RetryPolicy, parse_retry_after

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        (" 0 ", 0.0),
        ("Sun, 29 Nov 2026 12:00:30 GMT", 30.0),
        ("Sun, 29 Nov 2026 11:00:00 GMT", 0.0),  # in the past: go now
        ("soon", None),
        ("", None),
        (None, None),
        ("-5", None),
    ],
)
def test_parse_retry_after_seconds_and_http_dates(value, seconds):
    assert parse_retry_after(value, now=NOW) == seconds


def test_full_jitter_draws_below_an_exponential_cap():
    policy = RetryPolicy(base_delay=1.0, max_delay=10.0, random=lambda: 0.999)

    assert [round(policy.delay(n, None), 2) for n in range(1, 6)] == [1.0, 2.0, 4.0, 7.99, 9.99]
    assert RetryPolicy(random=lambda: 0.0).delay(3, None) == 0.0


def test_retry_after_wins_but_is_capped():
    policy = RetryPolicy(max_delay=30.0, random=lambda: 0.0)

    assert policy.delay(1, 12.0) == 12.0
    assert policy.delay(1, 3600.0) == 30.0


@pytest.mark.parametrize("bad", [{"max_attempts": 0}, {"base_delay": -1.0}])
def test_nonsense_policies_are_refused(bad):
    with pytest.raises(ValueError):
        RetryPolicy(**bad)
