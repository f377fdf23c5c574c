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
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
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


def records(frame: pd.DataFrame) -> list[dict[str, Scalar]]:
    """The frame's rows as dicts of JSON values (ISO 8601 times, None for missing)."""
    columns = [str(c) for c in frame.columns]
    return [
        {c: _plain(v) for c, v in zip(columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


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
