"""View rows as plain JSON values and as CSV text: one conversion the dashboard and API share."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd

__all__ = ["Scalar", "csv_text", "records"]

Scalar = str | int | float | bool | None


def _plain(value: Any) -> Scalar:
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool:
        return value  # type: ignore[no-any-return]
    if kind is float:
        return None if math.isnan(value) else value
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return str(value.to_pydatetime().isoformat())
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _column(series: pd.Series) -> list[Scalar]:
    values = series.astype(object).where(series.notna(), None).tolist()
    return [_plain(v) for v in values]


def records(frame: pd.DataFrame) -> list[dict[str, Scalar]]:
    """The frame's rows as dicts of JSON values (ISO 8601 times, None for missing)."""
    names = [str(c) for c in frame.columns]
    columns = [_column(frame.iloc[:, i]) for i in range(len(names))]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _cell(value: Scalar) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_text(columns: Sequence[str], rows: Sequence[dict[str, Scalar]]) -> str:
    """CSV with a header row: empty cells for missing values, true/false for booleans."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in columns])
    return out.getvalue()
