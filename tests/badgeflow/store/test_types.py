"""UTCDateTime: aware in, aware UTC out, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from badgeflow.store.schema import Source

PARIS_WINTER = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=PARIS_WINTER),
        datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
        pd.Timestamp("2026-06-01T12:00:00.000001+02:00"),
    ],
)
def test_datetimes_round_trip_as_aware_utc(sessions, value):
    with sessions.begin() as session:
        session.add(Source(name="s", kind="csv", watermark=value))
    with sessions() as session:
        stored = session.scalar(select(Source.watermark))
    assert stored == value
    assert stored.tzinfo is UTC
    assert type(stored) is datetime
    assert stored.utcoffset() == timedelta(0)


def test_server_side_created_at_is_aware_utc(sessions):
    from badgeflow.store.schema import Learner

    with sessions.begin() as session:
        session.add(Learner(email="ada@example.org"))
    with sessions() as session:
        created = session.scalar(select(Learner.created_at))
    assert created.tzinfo is UTC
    assert abs(created - datetime.now(UTC)) < timedelta(hours=1)


def test_naive_datetimes_are_refused(sessions):
    with sessions() as session:
        session.add(Source(name="s", kind="csv", watermark=datetime(2026, 1, 1)))
        with pytest.raises(StatementError, match="naive datetime"):
            session.flush()
