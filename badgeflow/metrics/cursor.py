"""Saved read positions (`EngagementCursor` rows), written with compare-and-set on version.

Two overlapping runs of one source both read the same version; the first to save wins and
the second's save matches no row, so it raises and its transaction rolls back instead of
counting the same events twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from badgeflow.errors import BadgeflowError
from badgeflow.models import JSONDict
from badgeflow.store.schema import EngagementCursor

__all__ = ["ConcurrentRun", "Position", "load_position", "save_position"]


class ConcurrentRun(BadgeflowError):
    """Another run saved this source's position first; this run's work was rolled back."""


@dataclass(frozen=True)
class Position:
    """A source's saved state and the version it was read at (0: never saved)."""

    source: str
    kind: str
    state: JSONDict
    version: int


def load_position(session: Session, source: str, kind: str) -> Position:
    """Read a source's saved position (an empty state when it was never saved)."""
    row = session.scalar(select(EngagementCursor).where(EngagementCursor.source == source))
    if row is None:
        return Position(source=source, kind=kind, state={}, version=0)
    return Position(source=source, kind=kind, state=dict(row.state), version=row.version)


def save_position(
    session: Session, position: Position, state: JSONDict, *, at: datetime
) -> Position:
    """Save a new state if nobody saved since `position` was loaded.

    The first save is an INSERT .. ON CONFLICT DO NOTHING and a later one an UPDATE on the
    version read, both with RETURNING (drivers disagree on rowcount after ON CONFLICT), so the
    loser of a race finds no row on SQLite and PostgreSQL alike.

    Args:
        session: the caller's session (the caller commits).
        position: as loaded at the start of the run (or returned by the previous save).
        state: the new state (JSON-serialisable).
        at: the run's clock.

    Returns:
        The position now saved, to save the next step of the same run against.

    Raises:
        ConcurrentRun: another run saved first.
    """
    statement: Any
    if position.version == 0:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(EngagementCursor)
            .values(
                source=position.source, kind=position.kind, state=state, version=1, updated_at=at
            )
            .on_conflict_do_nothing(index_elements=["source"])
        )
    else:
        statement = (
            update(EngagementCursor)
            .where(
                EngagementCursor.source == position.source,
                EngagementCursor.version == position.version,
            )
            .values(state=state, version=position.version + 1, updated_at=at)
            .execution_options(synchronize_session=False)
        )
    if session.execute(statement.returning(EngagementCursor.version)).first() is None:
        raise ConcurrentRun(f"{position.source}: another run saved its position first")
    return Position(position.source, position.kind, state, position.version + 1)
