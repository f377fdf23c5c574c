"""Screen a raw export against its vendor's data contract before any mapping.

The suite of each export format (``export_<format>.v1``, see `badgeflow.contracts_gen`) is
written against the vendor's own column labels. The table is checked as text: one column
per profile field, named by the field's first label whatever label the file used, cells
trimmed and empty cells missing. A field the file lacks is an empty column, so its checks
pass (the required ones are refused before, by `detect_profile`). Rows failing the suite
are quarantined with their raw cells and never reach mapping.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from badgeflow.contracts import load_suite
from badgeflow.contracts_gen import export_suite_name
from badgeflow.contracts_rows import find_failures, quarantine_frame
from badgeflow.errors import ContractError
from badgeflow.lms.exports.detect import Table, columns_of
from badgeflow.lms.exports.grades import is_points_row
from badgeflow.lms.exports.profiles import ExportProfile
from badgeflow.models import RAW, RECORD_KEY, ROW_NUMBER, SOURCE

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

__all__ = ["ExportScreen", "export_frame", "load_export_suite", "screen_export"]


@dataclass(frozen=True, eq=False)
class ExportScreen:
    """The outcome of screening one export table.

    Attributes:
        table: the input table without the quarantined rows (same header, same lines).
        quarantined: one `QUARANTINE_COLUMNS` row per rejected data row; `RAW` holds the
            row's cells by header label.
        reason_counts: how often each kind of problem occurred.
    """

    table: Table
    quarantined: pd.DataFrame
    reason_counts: dict[str, int]


def load_export_suite(contracts_dir: Path, profile: ExportProfile) -> ExpectationSuite:
    """Load the data contract of an export format.

    Args:
        contracts_dir: the ``data_contracts/`` folder.
        profile: the export layout.

    Returns:
        The suite.

    Raises:
        ContractError: the suite file is missing or invalid.
    """
    return load_suite(contracts_dir, export_suite_name(profile))


def export_frame(table: Table, profile: ExportProfile) -> pd.DataFrame:
    """Lay out an export's cells for its suite: one text column per profile field.

    Args:
        table: the decoded export.
        profile: its layout.

    Returns:
        A frame with one row per data row and one column per profile field the file has,
        or that is optional (then empty), named by the field's first label; cells are
        trimmed, empty ones are None.
    """
    found = columns_of(profile, table.header)
    data: dict[str, list[str | None]] = {}
    for name, labels in profile.columns.items():
        index = found.get(name)
        if index is not None:
            data[labels[0]] = [_cell(cells, index) for _, cells in table.rows]
        elif name not in profile.required:
            data[labels[0]] = [None] * len(table.rows)
    return pd.DataFrame(data, columns=list(data), dtype=object)


def screen_export(
    table: Table, profile: ExportProfile, suite: ExpectationSuite, *, source: str
) -> ExportScreen:
    """Validate an export's raw rows and split off those that fail its contract.

    Args:
        table: the decoded export.
        profile: its layout.
        suite: its contract, from `load_export_suite`.
        source: the source name, stored in `SOURCE`.

    Returns:
        The table of the rows that passed and the quarantined ones.

    Raises:
        ContractError: a required column is missing (`detect_profile` normally refuses such
            a file first), or an expectation could not be evaluated.
    """
    frame = export_frame(table, profile)
    required = [
        str(e.configuration.kwargs["column"])
        for e in suite.expectations
        if e.expectation_type == "expect_column_to_exist"
    ]
    if missing := [c for c in required if c not in frame.columns]:
        raise ContractError(
            f"contract {suite.name!r}: the export lacks required column(s) "
            f"{', '.join(missing)}; the whole file is unusable"
        )
    if not table.rows:
        return ExportScreen(table, quarantine_frame(pd.DataFrame(), [], []), {})
    failures, _ = find_failures(suite, frame)
    for i, (_, cells) in enumerate(table.rows):
        if profile.grades == "canvas" and is_points_row(
            cells
        ):  # Canvas's "Points Possible" row is not a learner
            failures.pop(i, None)
    bad = sorted(failures)
    rejected = [table.rows[i] for i in bad]
    rows = pd.DataFrame(
        {
            SOURCE: [source] * len(bad),
            ROW_NUMBER: [line for line, _ in rejected],
            RECORD_KEY: [f"{source}:line:{line}" for line, _ in rejected],
            RAW: [dict(zip(table.header, cells, strict=False)) for _, cells in rejected],
        }
    )
    counts: dict[str, int] = {}
    for i in bad:
        for failure in failures[i]:
            counts[failure.kind] = counts.get(failure.kind, 0) + 1
    kept = tuple(row for i, row in enumerate(table.rows) if i not in failures)
    return ExportScreen(
        table=replace(table, rows=kept),
        quarantined=quarantine_frame(rows, [failures[i] for i in bad], bad),
        reason_counts=counts,
    )


def _cell(cells: tuple[str, ...], index: int) -> str | None:
    value = cells[index].strip() if index < len(cells) else ""
    return value or None
