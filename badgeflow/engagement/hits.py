"""Deduplicated hits: aggregate requests per visitor, page and day, then upsert them.

In memory, requests collapse onto the unique key of ``engagement_hits`` (kind, credential id,
channel, day, visitor) with their first and last time and count; the store then inserts new
keys and adds to existing ones (``hits += n``, ``first_at = min``, ``last_at = max``) with one
``INSERT .. ON CONFLICT DO UPDATE`` per batch of rows, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Final, cast

from sqlalchemy import Table, case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from badgeflow.store.schema import EngagementHit

__all__ = ["HitKey", "Hits", "upsert_hits"]

# (kind, credential_id, channel, day, visitor)
HitKey = tuple[str, str, str, date, str]
_BATCH: Final = 2_000


class Hits:
    """Requests aggregated by the unique key of ``engagement_hits``.

    ``rows`` maps each key to ``[first_at, last_at, hits, audience, agent]``;
    `counting.LineCounter.feed` fills it (inline, it is the hot path).
    """

    def __init__(self) -> None:
        self.rows: dict[HitKey, list[Any]] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def clear(self) -> None:
        """Forget everything (after it was stored)."""
        self.rows.clear()


def _count_on(session: Session, days: Sequence[date]) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(EngagementHit).where(EngagementHit.day.in_(days))
        )
        or 0
    )


def upsert_hits(session: Session, hits: Hits, *, source: str) -> int:
    """Add aggregated hits to ``engagement_hits``.

    Args:
        session: the caller's session, in the caller's transaction (with the cursor save).
        hits: the aggregated requests.
        source: the access log's name, stored on new rows.

    Returns:
        How many new rows (visitor, page and day not seen before) were inserted.
    """
    if not hits.rows:
        return 0
    days = sorted({key[3] for key in hits.rows})
    before = _count_on(session, days)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = EngagementHit.__table__.c
    # Core, not ORM bulk insert: a third of the time on big batches.
    statement = insert(cast(Table, EngagementHit.__table__))
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=["kind", "credential_id", "channel", "day", "visitor"],
        set_={
            "hits": table.hits + excluded.hits,
            "first_at": case(
                (excluded.first_at < table.first_at, excluded.first_at), else_=table.first_at
            ),
            "last_at": case(
                (excluded.last_at > table.last_at, excluded.last_at), else_=table.last_at
            ),
        },
    )
    params = [
        {
            "kind": kind,
            "credential_id": credential_id,
            "channel": channel,
            "day": day,
            "visitor": visitor,
            "audience": row[3],
            "agent": row[4],
            "first_at": row[0],
            "last_at": row[1],
            "hits": row[2],
            "source": source,
        }
        for (kind, credential_id, channel, day, visitor), row in hits.rows.items()
    ]
    connection = session.connection()
    for start in range(0, len(params), _BATCH):
        connection.execute(statement, params[start : start + _BATCH])
    return _count_on(session, days) - before
