"""``quarantine.csv``: every row a batch quarantined, with its reason and its raw cells."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from badgeflow.store.reports import QuarantineRecord

__all__ = ["FIXED_COLUMNS", "RAW_PREFIX", "read_quarantine_csv", "write_quarantine_csv"]

FIXED_COLUMNS: Final = (
    "batch_id",
    "source",
    "row_number",
    "record_key",
    "reason",
    "expectation",
    "column_name",
    "value",
)
"""Ours first; ``expectation``, ``column_name`` and ``value`` are the row's first failure."""
RAW_PREFIX: Final = "raw."
"""Raw cells get their own columns, ``raw.<field>``: the prefix keeps a source field called
``reason`` or ``source`` from colliding with ours."""


def write_quarantine_csv(path: Path, records: Iterable[QuarantineRecord]) -> int:
    """Write quarantined rows, one line each, their raw cells flattened into columns.

    Raw values that are not strings (numbers, nested JSON from API sources) are written as
    JSON. Emails are *not* masked: the file lives under the var folder, for the admin who
    fixes the export.

    Args:
        path: the CSV file to (over)write; its folder is created.
        records: the rows (`badgeflow.store.list_quarantine`).

    Returns:
        The number of rows written.
    """
    rows = list(records)
    fields: dict[str, None] = {}
    for r in rows:
        fields.update(dict.fromkeys(str(k) for k in (r.raw or {})))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([*FIXED_COLUMNS, *(RAW_PREFIX + f for f in fields)])
        for r in rows:
            raw = {str(k): v for k, v in (r.raw or {}).items()}
            writer.writerow(
                [r.batch_id, r.source, _cell(r.row_number), _cell(r.record_key), r.reason]
                + [_cell(r.expectation), _cell(r.column_name), _cell(r.value)]
                + [_cell(raw[f]) if f in raw else "" for f in fields]
            )
    return len(rows)


def read_quarantine_csv(path: Path) -> list[QuarantineRecord]:
    """Read a file written by `write_quarantine_csv` back into records.

    Raw cells come back as strings (a CSV has no types); empty cells are left out.

    Args:
        path: the CSV file.

    Returns:
        The records, in file order.
    """
    with open(path, newline="", encoding="utf-8") as fh:
        return [
            QuarantineRecord(
                batch_id=row["batch_id"],
                source=row["source"],
                row_number=int(row["row_number"]) if row["row_number"] else None,
                record_key=row["record_key"] or None,
                reason=row["reason"],
                expectation=row["expectation"] or None,
                column_name=row["column_name"] or None,
                value=row["value"] or None,
                raw={
                    k.removeprefix(RAW_PREFIX): v
                    for k, v in row.items()
                    if k.startswith(RAW_PREFIX) and v != ""
                }
                or None,
            )
            for row in csv.DictReader(fh)
        ]


def _cell(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
