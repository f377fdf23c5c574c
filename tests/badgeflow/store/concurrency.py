"""Two transactions at once on PostgreSQL: wait until one of them waits for a row lock."""

from __future__ import annotations

import time

from sqlalchemy import text

LOCK_WAITS = text(
    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
    "AND datname = current_database()"
)


def wait_for_a_lock_wait(sessions, *, seconds: float = 20) -> None:
    """Return once another backend of this database waits for a lock (a second run's insert).

    Raises:
        AssertionError: nobody waited within ``seconds``: the second run did not collide.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with sessions() as session:
            if session.scalar(LOCK_WAITS):
                return
        time.sleep(0.05)
    raise AssertionError("the second run never waited for the first one's rows")
