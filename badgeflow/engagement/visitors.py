"""Visitors without IP addresses: a keyed hash under a daily salt that is destroyed after a while.

A visitor is ``HMAC-SHA256(salt of the day, address + NUL + user agent)``, cut to 32 hex
digits: the same browser on the same day is one visitor, and nothing else can be read from
it. Each UTC day's salt is a random 32-byte secret kept in ``engagement_salts``, created on
first use and deleted ``engagement.salt_days`` days after its day; from then on nobody can
link a stored hash to an address. Logs of a day whose salt is already gone (late arrivals)
are hashed under a one-off salt that is never stored: they count, but are not deduplicated
against the hits of that day read before.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import date, datetime, timedelta
from typing import Final

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from badgeflow.errors import StoreError
from badgeflow.store.schema import EngagementSalt

__all__ = ["VisitorHasher", "prune_salts", "visitor_hash"]

_CACHE_LIMIT: Final = 200_000


def visitor_hash(salt: bytes, address: str, agent: str) -> str:
    """The visitor id of one address and user agent under a day's salt (32 hex digits)."""
    message = f"{address}\0{agent}".encode("utf-8", "surrogateescape")
    return hmac.digest(salt, message, "sha256").hex()[:32]


def prune_salts(session: Session, *, today: date, salt_days: int) -> int:
    """Delete the salts of days more than ``salt_days`` days before ``today``.

    Args:
        session: the caller's session; the caller commits.
        today: the clock's UTC date.
        salt_days: `EngagementSettings.salt_days`.

    Returns:
        How many salts were deleted.
    """
    oldest = today - timedelta(days=salt_days)
    result = session.execute(delete(EngagementSalt).where(EngagementSalt.day < oldest))
    return int(getattr(result, "rowcount", 0) or 0)


class VisitorHasher:
    """Visitor ids for the hits of one poll, with each day's salt loaded or created once.

    Args:
        sessions: the session factory; salts are committed on their own (they hold no
            counts, so a poll that later rolls back leaves nothing wrong behind).
        now: the poll's clock reading.
        salt_days: `EngagementSettings.salt_days`.
    """

    def __init__(self, sessions: sessionmaker[Session], *, now: datetime, salt_days: int) -> None:
        self._sessions = sessions
        self._oldest = now.date() - timedelta(days=salt_days)
        self._salts: dict[date, bytes] = {}
        self._cache: dict[tuple[date, str, str], str] = {}

    def visitor(self, day: date, address: str, agent: str) -> str:
        """The visitor id of an address and user agent on one UTC day."""
        key = (day, address, agent)
        found = self._cache.get(key)
        if found is not None:
            return found
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        salt = self._salts.get(day)
        if salt is None:
            salt = self._salt(day)
        found = self._cache[key] = visitor_hash(salt, address, agent)
        return found

    def forget(self) -> None:
        """Drop the cached hashes (and with them the addresses they were keyed by)."""
        self._cache.clear()

    def _salt(self, day: date) -> bytes:
        if day < self._oldest:
            salt = secrets.token_bytes(32)  # late log: a one-off salt, never stored
        else:
            salt = bytes.fromhex(self._stored_salt(day))
        self._salts[day] = salt
        return salt

    def _stored_salt(self, day: date) -> str:
        with self._sessions.begin() as session:
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            session.execute(
                insert(EngagementSalt)
                .values(day=day, salt=secrets.token_hex(32))
                .on_conflict_do_nothing(index_elements=["day"])
            )
            salt = session.scalar(select(EngagementSalt.salt).where(EngagementSalt.day == day))
        if salt is None:  # pragma: no cover - inserted or already there
            raise StoreError(f"no visitor salt stored for {day}")
        return salt
