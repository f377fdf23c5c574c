"""CSV and Parquet exports of the metrics views, one file per view and format.

The columns are exactly the documented ones (`badgeflow.metrics.views`); CSV is UTF-8 with
a header row, ISO 8601 dates and times (UTC), ``true``/``false`` and empty cells for NULL;
Parquet columns are typed (integers, doubles, booleans, dates, UTC timestamps, strings), the
same whatever the database. Each file is written beside its final name and renamed into
place, so a reader never opens half a file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from sqlalchemy import Connection, Table

from badgeflow.metrics.read import read_view
from badgeflow.metrics.views import DIMENSIONS, VIEWS, view
from badgeflow.store.schema import CredentialEngagement, MetricRollup, PathwayFunnelTier

__all__ = ["EXPORT_FORMATS", "arrow_schema", "export_metrics", "to_csv_text"]

EXPORT_FORMATS: Final = ("csv", "parquet")
_KEYS: Final = {column for _, column in DIMENSIONS}


def _table_of(name: str) -> Table:
    if name == "metrics_credentials":
        return CredentialEngagement.__table__  # type: ignore[return-value]
    if name == "metrics_pathway_funnel":
        return PathwayFunnelTier.__table__  # type: ignore[return-value]
    return MetricRollup.__table__  # type: ignore[return-value]


def _arrow_type(table: Table, column: str) -> pa.DataType:
    if column in _KEYS and column not in table.c:
        return pa.string()
    kind = table.c[column].type
    python = getattr(kind, "impl", kind).python_type
    for base, arrow in (
        (bool, pa.bool_()),
        (int, pa.int64()),
        (float, pa.float64()),
        (datetime, pa.timestamp("us", tz="UTC")),
        (date, pa.date32()),
    ):
        if issubclass(python, base):
            return arrow
    return pa.string()


def arrow_schema(name: str) -> pa.Schema:
    """The Parquet schema of a view: its documented columns with their types."""
    table = _table_of(name)
    return pa.schema([(c, _arrow_type(table, c)) for c in view(name).columns])


def to_csv_text(frame: pd.DataFrame) -> str:
    """A view's frame as CSV text (ISO 8601 times, true/false, empty for NULL)."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            out[column] = values.map(lambda t: "" if pd.isna(t) else t.isoformat())
        elif values.dtype == bool:
            out[column] = values.map({True: "true", False: "false"})
        else:
            out[column] = values.map(_cell)
    text: str = out.to_csv(index=False, lineterminator="\n")
    return text


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _write_atomic(path: Path, write: Any) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def export_metrics(
    connection: Connection,
    out_dir: Path,
    *,
    formats: Sequence[str] = EXPORT_FORMATS,
    views: Iterable[str] | None = None,
) -> list[Path]:
    """Write every view (or the given ones) as ``<view>.csv`` and/or ``<view>.parquet``.

    Args:
        connection: a connection to a database at the current schema.
        out_dir: the folder (created if missing).
        formats: ``csv``, ``parquet`` or both.
        views: view names; None for every view of `VIEWS`.

    Returns:
        The files written, view by view in the order given, formats in the order given.

    Raises:
        KeyError: an unknown view.
        ValueError: an unknown format.
    """
    unknown = sorted(set(formats) - set(EXPORT_FORMATS))
    if unknown:
        raise ValueError(f"unknown export format(s) {unknown}; known: {list(EXPORT_FORMATS)}")
    names = list(views) if views is not None else [v.name for v in VIEWS]
    for name in names:
        view(name)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in names:
        frame = read_view(connection, name)
        for kind in formats:
            path = out_dir / f"{name}.{kind}"
            if kind == "csv":
                text = to_csv_text(frame)
                _write_atomic(path, lambda p, t=text: Path(p).write_text(t, encoding="utf-8"))
            else:
                table = pa.Table.from_pandas(frame, schema=arrow_schema(name), preserve_index=False)
                _write_atomic(path, lambda p, t=table: pq.write_table(t, p))
            written.append(path)
    return written
