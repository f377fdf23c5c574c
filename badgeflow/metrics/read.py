"""Reading the metrics views: one function the CLI, exports, dashboard and reporting API share."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from sqlalchemy import ColumnElement, Connection, TableClause, column, func, select, table

from badgeflow.metrics.views import View, view

__all__ = ["count_view", "read_view"]


def _query(
    name: str, filters: Mapping[str, object] | None
) -> tuple[View, TableClause, list[ColumnElement[bool]]]:
    spec = view(name)
    unknown = sorted(set(filters or {}) - set(spec.columns))
    if unknown:
        raise KeyError(f"view {name} has no column(s) {', '.join(unknown)}")
    source = table(name, *(column(c) for c in spec.columns))
    conditions = [source.c[c] == value for c, value in (filters or {}).items()]
    return spec, source, conditions


def read_view(
    connection: Connection,
    name: str,
    *,
    filters: Mapping[str, object] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> pd.DataFrame:
    """Read one documented view into a frame with exactly its documented columns.

    Args:
        connection: a connection to a database at the current schema.
        name: the view (`badgeflow.metrics.views.VIEWS`).
        filters: equality filters on the view's columns (values compared as given; typed
            values, see `badgeflow.metrics.filters.parse_filters`, work on every database).
        limit: at most this many rows; None for all.
        offset: rows to skip first (rows are ordered by the view's columns, left to right).

    Returns:
        The rows, in the view's column order (an empty frame keeps the columns).

    Raises:
        KeyError: an unknown view or filter column.
    """
    spec, source, conditions = _query(name, filters)
    query = (
        select(*source.c).where(*conditions).order_by(*source.c).limit(limit).offset(offset or None)
    )
    rows = connection.execute(query).all()
    return _typed(pd.DataFrame([tuple(r) for r in rows], columns=list(spec.columns)))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The same types on every database (SQLite hands a view's dates back as text)."""
    for name in frame.columns:
        if name.endswith("_at"):
            frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601")
        elif name in ("week_start", "issued_week"):
            frame[name] = pd.to_datetime(frame[name], format="ISO8601").dt.date
        elif name == "bounced" and "credential_id" in frame.columns:
            frame[name] = frame[name].astype(bool)
    return frame


def count_view(
    connection: Connection, name: str, *, filters: Mapping[str, object] | None = None
) -> int:
    """Count the rows `read_view` would return without a limit."""
    _, source, conditions = _query(name, filters)
    count = connection.execute(select(func.count()).select_from(source).where(*conditions))
    return int(count.scalar_one())
