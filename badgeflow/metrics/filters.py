"""Filter values from text (a URL query, a command line) to the type of the view's column.

Comparing a number or date column with a text value works on SQLite but fails on PostgreSQL
(``integer = character varying``), so values are parsed first; a value that does not parse is
a `ValueError` naming the column, which callers answer as a bad request.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any, cast

from sqlalchemy import Boolean, Date, DateTime, Float, Integer, String, Table
from sqlalchemy.types import TypeDecorator, TypeEngine

from badgeflow.metrics.views import DIMENSIONS, view
from badgeflow.store.schema import CredentialEngagement, MetricRollup, PathwayFunnelTier

__all__ = ["FilterValue", "parse_filters"]

FilterValue = str | int | float | bool | date


def _column_types(name: str) -> dict[str, TypeEngine[Any]]:
    tables = {
        "metrics_credentials": CredentialEngagement,
        "metrics_pathway_funnel": PathwayFunnelTier,
    }
    source = cast(Table, tables.get(name, MetricRollup).__table__)
    types: dict[str, TypeEngine[Any]] = {c.name: c.type for c in source.columns}
    if name not in tables:  # roll-up views name their ``key`` after the dimension
        types.update({column: String() for _, column in DIMENSIONS})
    return types


def _parse(column: str, kind: TypeEngine[Any], raw: str) -> FilterValue:
    if isinstance(kind, TypeDecorator):  # badgeflow's UTC timestamps
        kind = kind.impl_instance
    try:
        if isinstance(kind, DateTime):
            raise ValueError("timestamp columns cannot be filtered; filter on a date or id")
        if isinstance(kind, Date):
            return date.fromisoformat(raw)
        if isinstance(kind, Boolean):
            if raw.lower() in ("true", "1", "false", "0"):
                return raw.lower() in ("true", "1")
            raise ValueError("use true or false")
        if isinstance(kind, Integer):
            return int(raw)
        if isinstance(kind, Float):
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError("not a finite number")
            return value
    except ValueError as exc:
        raise ValueError(f"bad value for {column}: {raw!r} ({exc})") from exc
    return raw


def parse_filters(name: str, filters: Mapping[str, str]) -> dict[str, FilterValue]:
    """Parse equality filters on a view's columns to the columns' types.

    Args:
        name: the view (`badgeflow.metrics.views.VIEWS`).
        filters: column -> value as text (dates ``YYYY-MM-DD``, booleans ``true``/``false``).

    Returns:
        The same filters with typed values, for `badgeflow.metrics.read.read_view`.

    Raises:
        KeyError: an unknown view or column.
        ValueError: a value that is not of its column's type, or a timestamp column.
    """
    columns = view(name).columns
    unknown = sorted(set(filters) - set(columns))
    if unknown:
        raise KeyError(f"view {name} has no column(s) {', '.join(unknown)}")
    types = _column_types(name)
    return {c: _parse(c, types[c], raw) for c, raw in filters.items()}
