"""Per-batch contract reports under ``<var_dir>/reports/<batch_id>/``, never on the public site.

``quarantine.csv`` lists every quarantined row (emails in clear, for the admin fixing the
export); ``validation.html`` shows per source the contract, the counts, each expectation, the
top reasons, the batch-level rules and the first quarantined rows (emails masked). Both are
written for every batch, halted or not, and can be rebuilt from the store at any time
(`build_batch_reports`): the summary keeps each source's contract section and the quarantine
table keeps the rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sqlalchemy.orm import Session, sessionmaker

from badgeflow import store
from badgeflow.errors import ConfigurationError
from badgeflow.reports.quarantine_csv import read_quarantine_csv, write_quarantine_csv
from badgeflow.reports.validation import mask_emails, render_validation_html
from badgeflow.store.contract_runs import SUMMARY_CONTRACTS

__all__ = [
    "ReportPaths",
    "build_batch_reports",
    "mask_emails",
    "read_quarantine_csv",
    "report_dir",
    "write_batch_reports",
    "write_quarantine_csv",
]

_SAFE_ID: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class ReportPaths:
    """Where one batch's reports were written."""

    directory: Path
    quarantine_csv: Path
    validation_html: Path


def report_dir(var_dir: Path, batch_id: str) -> Path:
    """The folder of a batch's reports.

    Args:
        var_dir: the ``var_dir`` setting.
        batch_id: the batch.

    Returns:
        ``<var_dir>/reports/<batch_id>``.

    Raises:
        ConfigurationError: the batch id cannot be a folder name (``..``, a slash).
    """
    if not _SAFE_ID.match(batch_id) or ".." in batch_id:
        raise ConfigurationError(f"batch id {batch_id!r} cannot name a report folder")
    return var_dir / "reports" / batch_id


def write_batch_reports(
    var_dir: Path,
    *,
    batch_id: str,
    summary: Mapping[str, Any],
    records: Sequence[store.QuarantineRecord],
    max_rows: int,
) -> ReportPaths:
    """Write (or overwrite) a batch's ``quarantine.csv`` and ``validation.html``.

    Args:
        var_dir: the ``var_dir`` setting.
        batch_id: the batch.
        summary: the batch summary (`BatchSummary.as_dict`), for its ``as_of`` and its
            per-source ``contracts`` sections.
        records: every row the batch quarantined.
        max_rows: quarantined rows shown per source in the HTML.

    Returns:
        The paths written.
    """
    directory = report_dir(var_dir, batch_id)
    directory.mkdir(parents=True, exist_ok=True)
    paths = ReportPaths(directory, directory / "quarantine.csv", directory / "validation.html")
    write_quarantine_csv(paths.quarantine_csv, records)
    html = render_validation_html(
        batch_id=batch_id,
        as_of=str(summary.get("as_of", "")),
        sections=summary.get(SUMMARY_CONTRACTS) or {},
        records=records,
        max_rows=max_rows,
    )
    paths.validation_html.write_text(html, encoding="utf-8")
    return paths


def build_batch_reports(
    sessions: sessionmaker[Session],
    var_dir: Path,
    batch_id: str,
    *,
    max_rows: int,
    summary: Mapping[str, Any] | None = None,
) -> ReportPaths:
    """Write a batch's reports from the store (its quarantined rows and stored summary).

    Args:
        sessions: session factory of the store.
        var_dir: the ``var_dir`` setting.
        batch_id: the batch.
        max_rows: quarantined rows shown per source in the HTML.
        summary: the batch summary when the caller holds a fresher one than the store
            (the flow, before the batch is finished); default: the stored one.

    Returns:
        The paths written.

    Raises:
        KeyError: the batch does not exist.
    """
    with sessions() as session:
        if summary is None:
            summary = store.get_batch(session, batch_id)["summary"]
        records = store.list_quarantine(session, batch_id=batch_id)
    return write_batch_reports(
        var_dir, batch_id=batch_id, summary=summary, records=records, max_rows=max_rows
    )
