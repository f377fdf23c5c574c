"""Completions from an export file: badgeflow's canonical CSV or an LMS's own report.

The canonical layout is one header row, then one row per (learner, course)::

    learner_id,learner_email,learner_name,course_id,course_name,completed,completed_at,
    score,modules_completed,modules_total[,source_record_id][,progress_pct][,score_kind]

Header names are matched case-insensitively after trimming; every cell of the row is kept in
`RAW`. Accepted values:

- ``completed``: ``true/false``, ``yes/no``, ``1/0``, ``completed/incomplete`` (any case).
- ``completed_at``: ISO 8601 date or date-time, with or without an offset (``Z`` or
  ``+02:00``); a date or a naive time is taken in the source's time zone (UTC by default).
- ``score`` / ``progress_pct``: a number, optionally with ``%`` or a decimal comma.
- ``modules_completed`` / ``modules_total``: whole numbers.
- ``score_kind``: ``final_assessment``, ``course_total`` or ``none``. Without the column a
  score counts as ``course_total`` (what a plain "score" column of an LMS export usually is),
  and a row without a score is ``none`` whatever the column says.

The vendors' own reports (Moodle, Canvas, TalentLMS, Docebo, Cornerstone, Litmos, 360Learning,
Blackboard) are read through the profiles in `badgeflow.lms.exports.profiles`, recognised
from the header when the format is ``auto``. The file may be UTF-8 (with or without a
byte-order mark), UTF-16 with a mark, or Windows-1252, as Excel writes it; the delimiter a
comma, a semicolon or a tab (see `badgeflow.lms.exports.detect`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import pandas as pd

from badgeflow.errors import SourceError
from badgeflow.lms._frame import to_completion_frame
from badgeflow.lms.exports import ExportOptions, detect_profile, read_records, read_table
from badgeflow.lms.exports.profiles import BADGEFLOW
from badgeflow.models import COMPLETED_AT, QUARANTINE_COLUMNS

__all__ = ["OPTIONAL_COLUMNS", "REQUIRED_COLUMNS", "CsvExportSource"]

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS: Final = BADGEFLOW.required
"""Columns the canonical layout's header must have (in any order)."""
OPTIONAL_COLUMNS: Final = tuple(c for c in BADGEFLOW.columns if c not in BADGEFLOW.required)
"""Columns of the canonical layout read when present."""


class CsvExportSource:
    """A `CompletionSource` reading one export file, canonical or vendor-made.

    Every data row becomes exactly one output row: a value that cannot be parsed becomes
    missing and a message naming the column goes to `PARSE_ERRORS`; judging the values
    (email syntax, score range, dates in the future) is the contract step's job.
    `ROW_NUMBER` is the file line the row starts on (the header is line 1 in most files;
    blank lines are skipped but counted, as an editor counts them).

    Attributes:
        name: the configured source name, stored in `SOURCE`.
        path: the export file.
        options: how to read it (format, course of single-course reports, time zone...).
        encoding: the encoding of the last file read (None before the first read).
        delimiter: its delimiter.
        format: its format (a profile name).
        contracts_dir: when set, each read first screens the raw rows against the format's
            export contract (``export_<format>.v1``); rows failing it never reach mapping.
        quarantined: the rows the last read's screening rejected (`QUARANTINE_COLUMNS`).
        quarantine_reasons: how often each kind of problem occurred in them.
    """

    def __init__(
        self,
        name: str,
        path: Path,
        options: ExportOptions | None = None,
        *,
        contracts_dir: Path | None = None,
    ) -> None:
        self.name = name
        self.path = Path(path)
        self.options = options or ExportOptions()
        self.encoding: str | None = None
        self.delimiter: str | None = None
        self.format: str | None = None
        self.contracts_dir = contracts_dir
        self.quarantined = pd.DataFrame(columns=list(QUARANTINE_COLUMNS))
        self.quarantine_reasons: dict[str, int] = {}

    def __repr__(self) -> str:
        shown = "" if self.options.format == "auto" else f", format={self.options.format!r}"
        return f"CsvExportSource(name={self.name!r}, path={str(self.path)!r}{shown})"

    def fetch_completions(self, since: datetime | None, *, fetched_at: datetime) -> pd.DataFrame:
        """Read the file into the canonical completion frame.

        An export is a snapshot: rows completed before `since` are left out (the incremental
        watermark), rows without a completion date are always kept (in progress, or for the
        contract to judge). The file is read whole each time.

        Args:
            since: leave out completions dated before it; None reads every row.
            fetched_at: the batch clock, stored in `FETCHED_AT`.

        Returns:
            The canonical completion frame, one row per data row kept.

        Raises:
            SourceError: the file cannot be read or decoded, or its header matches no
                format (the missing columns are listed).
            SourceConfigError: the report needs a setting it lacks (``course_id`` for a
                single-course report, ``pass_score`` for a gradebook).
            ContractError: the format's export contract is missing or invalid.
        """
        data, modified = self._read()
        table = read_table(data, self.path)
        if self.options.rename_columns:
            renamed = tuple(self.options.rename_columns.get(h, h) for h in table.header)
            table = replace(table, header=renamed)
        profile = detect_profile(table.header, self.options.format, self.path)
        self.encoding, self.delimiter, self.format = table.encoding, table.delimiter, profile.format
        if self.contracts_dir is not None:
            # Imported here: the contract modules read the export profiles of this package.
            from badgeflow.contracts_export import load_export_suite, screen_export

            suite = load_export_suite(self.contracts_dir, profile)
            screen = screen_export(table, profile, suite, source=self.name)
            table, self.quarantined = screen.table, screen.quarantined
            self.quarantine_reasons = screen.reason_counts
        records = read_records(
            table,
            profile,
            self.options,
            source=self.name,
            fetched_at=fetched_at,
            file_time=modified,
            path=self.path,
        )
        kept = [r for r in records if _on_or_after(r[COMPLETED_AT], since)]
        logger.info(
            "read %d rows (%d kept since %s) from %s: %s, %s, delimiter %r (source %s)",
            len(records),
            len(kept),
            since,
            self.path,
            profile.format,
            table.encoding,
            table.delimiter,
            self.name,
        )
        return to_completion_frame(kept)

    def _read(self) -> tuple[bytes, datetime]:
        try:
            data = self.path.read_bytes()
            modified = datetime.fromtimestamp(self.path.stat().st_mtime, tz=UTC)
        except OSError as exc:
            raise SourceError(f"cannot read export {str(self.path)!r}: {exc.strerror}") from exc
        return data, modified


def _on_or_after(value: object, since: datetime | None) -> bool:
    if since is None or not isinstance(value, datetime):
        return True
    return value >= since
