"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["UTCDateTime"]


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp, stored in UTC and always read back as aware UTC.

    PostgreSQL keeps the offset (``timestamptz``); SQLite has no datetime type and drops
    tzinfo, so values are normalised to UTC on the way in and tagged UTC on the way out.
    Naive datetimes are refused: their meaning depends on the machine's clock.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to UTC (naive UTC for SQLite)."""
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: pass an aware one")
        utc = value.astimezone(UTC)
        # Plain datetime, not a subclass such as pandas.Timestamp, for every driver.
        plain = datetime(
            utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond, UTC
        )
        return plain.replace(tzinfo=None) if dialect.name == "sqlite" else plain

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Return the stored value as an aware UTC datetime."""
        if value is None:
            return None
        if not isinstance(value, datetime):  # pragma: no cover - drivers always parse
            raise TypeError(f"unexpected stored datetime {value!r}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
