"""Completions from an export file in badgeflow's canonical CSV layout.

The layout is one header row, then one row per (learner, course)::

    learner_id,learner_email,learner_name,course_id,course_name,completed,completed_at,
    score,modules_completed,modules_total[,source_record_id][,progress_pct][,score_kind]

Header names are matched case-insensitively after trimming; any other column is kept, with the
rest of the row, in `RAW`. Accepted values:

- ``completed``: ``true/false``, ``yes/no``, ``1/0``, ``completed/incomplete`` (any case).
- ``completed_at``: ISO 8601 date or date-time, with or without an offset (``Z`` or
  ``+02:00``); a date or a naive time is taken as UTC.
- ``score`` / ``progress_pct``: a number, optionally with ``%`` or a decimal comma.
- ``modules_completed`` / ``modules_total``: whole numbers.
- ``score_kind``: ``final_assessment``, ``course_total`` or ``none``. Without the column a
  score counts as ``course_total`` (what a plain "score" column of an LMS export usually is),
  and a row without a score is ``none`` whatever the column says.

The file may be UTF-8 (with or without a byte-order mark) or, failing that, Windows-1252, as
Excel writes it; the delimiter may be a comma, a semicolon or a tab (read from the header).
"""

from __future__ import annotations

import csv
import io
import logging
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import pandas as pd

from badgeflow.errors import SourceError
from badgeflow.lms._frame import SCORE_KINDS, to_completion_frame
from badgeflow.models import (
    COMPLETED,
    COMPLETED_AT,
    COURSE_ID,
    COURSE_NAME,
    FETCHED_AT,
    LEARNER_EMAIL,
    LEARNER_ID,
    LEARNER_NAME,
    MODULES_COMPLETED,
    MODULES_TOTAL,
    PARSE_ERRORS,
    PROGRESS_PCT,
    RAW,
    ROW_NUMBER,
    SCORE,
    SCORE_KIND,
    SOURCE,
    SOURCE_RECORD_ID,
    SOURCE_SYSTEM,
)

__all__ = ["OPTIONAL_COLUMNS", "REQUIRED_COLUMNS", "CsvExportSource"]

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS: Final = (
    LEARNER_ID,
    LEARNER_EMAIL,
    LEARNER_NAME,
    COURSE_ID,
    COURSE_NAME,
    COMPLETED,
    COMPLETED_AT,
    SCORE,
    MODULES_COMPLETED,
    MODULES_TOTAL,
)
"""Columns the header must have (in any order)."""
OPTIONAL_COLUMNS: Final = (SOURCE_RECORD_ID, PROGRESS_PCT, SCORE_KIND)
"""Columns read when present."""

_SYSTEM: Final = "csv"
_DELIMITERS: Final = (",", ";", "\t")
_EXTRA_FIELDS: Final = "__extra_fields__"
_TRUE: Final = frozenset({"true", "yes", "1", "completed"})
_FALSE: Final = frozenset({"false", "no", "0", "incomplete"})


class CsvExportSource:
    """A `CompletionSource` reading one export file in the canonical CSV layout.

    Every data row becomes exactly one output row: a value that cannot be parsed becomes
    missing and a message naming the column goes to `PARSE_ERRORS`; judging the values
    (email syntax, score range, dates in the future) is the contract step's job.
    `ROW_NUMBER` is the 1-based *data row* number, not the file line: the header is not
    counted (in a spreadsheet the row is on line ``ROW_NUMBER + 1``) and neither are blank
    lines, which are skipped.

    Attributes:
        name: the configured source name, stored in `SOURCE`.
        path: the export file.
    """

    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"CsvExportSource(name={self.name!r}, path={str(self.path)!r})"

    def fetch_completions(self, since: datetime | None, *, fetched_at: datetime) -> pd.DataFrame:
        """Read the whole file into the canonical completion frame.

        Exports are full snapshots with no reliable change date, so `since` is ignored and
        every row is returned; storage is idempotent on the record key.

        Args:
            since: ignored (see above).
            fetched_at: the batch clock, stored in `FETCHED_AT`.

        Returns:
            The canonical completion frame, one row per data row.

        Raises:
            SourceError: the file cannot be read or its header lacks a required column.
        """
        text = _decode(self._read_bytes(), self.path)
        rows = _read_rows(text, self.path)
        records = [
            self._record(number, row, fetched_at) for number, row in enumerate(rows, start=1)
        ]
        logger.info("read %d rows from %s (source %s)", len(records), self.path, self.name)
        return to_completion_frame(records)

    def _read_bytes(self) -> bytes:
        try:
            return self.path.read_bytes()
        except OSError as exc:
            raise SourceError(f"cannot read export {str(self.path)!r}: {exc.strerror}") from exc

    def _record(
        self, number: int, row: dict[str, str | None], fetched_at: datetime
    ) -> dict[str, object]:
        errors: list[str] = []
        # Keys are the header as written; look them up case-insensitively.
        cells = {key.strip().lower(): value for key, value in row.items() if key != _EXTRA_FIELDS}
        raw: dict[str, object] = dict(row)
        extra = row.get(_EXTRA_FIELDS) or ()
        if extra:
            errors.append(f"row has {len(cells) + len(extra)} fields, the header {len(cells)}")
        if any(value is None for value in cells.values()):
            errors.append(f"row has fewer fields than the header ({len(cells)})")

        def text(column: str) -> str | None:
            value = (cells.get(column) or "").strip()
            return value or None

        learner_id, course_id = text(LEARNER_ID), text(COURSE_ID)
        email = text(LEARNER_EMAIL)
        score = _number(SCORE, text(SCORE), errors)
        record_id = text(SOURCE_RECORD_ID)
        if record_id is None:
            # Deterministic composite; a row missing either id falls back to its position and
            # is quarantined by the contract anyway.
            has_ids = learner_id is not None and course_id is not None
            record_id = f"{learner_id}:{course_id}" if has_ids else f"row:{number}"
        return {
            SOURCE: self.name,
            SOURCE_SYSTEM: _SYSTEM,
            SOURCE_RECORD_ID: record_id,
            LEARNER_ID: learner_id,
            LEARNER_EMAIL: email.lower() if email else None,
            LEARNER_NAME: text(LEARNER_NAME),
            COURSE_ID: course_id,
            COURSE_NAME: text(COURSE_NAME),
            COMPLETED: _flag(COMPLETED, text(COMPLETED), errors),
            COMPLETED_AT: _timestamp(COMPLETED_AT, text(COMPLETED_AT), errors),
            SCORE: score,
            SCORE_KIND: _score_kind(text(SCORE_KIND), score, errors),
            MODULES_COMPLETED: _count(MODULES_COMPLETED, text(MODULES_COMPLETED), errors),
            MODULES_TOTAL: _count(MODULES_TOTAL, text(MODULES_TOTAL), errors),
            PROGRESS_PCT: _number(PROGRESS_PCT, text(PROGRESS_PCT), errors),
            FETCHED_AT: fetched_at,
            RAW: raw,
            ROW_NUMBER: number,
            PARSE_ERRORS: tuple(errors),
        }


def _decode(data: bytes, path: Path) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        logger.info("%s is not UTF-8; reading it as Windows-1252", path)
    # cp1252 leaves five bytes undefined; latin-1 maps every byte, so it is the last resort.
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _read_rows(text: str, path: Path) -> list[dict[str, str | None]]:
    header_line = next((line for line in text.splitlines() if line.strip()), "")
    if not header_line:
        raise SourceError(f"export {str(path)!r} is empty: expected a header row")
    delimiter = max(_DELIMITERS, key=lambda d: len(next(csv.reader([header_line], delimiter=d))))
    reader = csv.DictReader(
        io.StringIO(text, newline=""), delimiter=delimiter, restkey=_EXTRA_FIELDS
    )
    header = {(name or "").strip().lower() for name in reader.fieldnames or ()}
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise SourceError(
            f"export {str(path)!r} lacks required column(s) {', '.join(missing)}; "
            f"its header is {header_line.strip()!r}"
        )
    return list(reader)


def _flag(column: str, value: str | None, errors: list[str]) -> bool | None:
    if value is None:
        return None
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    errors.append(f"{column}: {value!r} is not one of true/false, yes/no, 1/0, completed")
    return None


def _timestamp(column: str, value: str | None, errors: list[str]) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        errors.append(f"{column}: {value!r} is not an ISO 8601 date (YYYY-MM-DD[THH:MM:SS])")
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _number(column: str, value: str | None, errors: list[str]) -> float | None:
    if value is None:
        return None
    cleaned = value.removesuffix("%").strip()
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        number = float(cleaned)
    except ValueError:
        errors.append(f"{column}: {value!r} is not a number")
        return None
    if not math.isfinite(number):
        errors.append(f"{column}: {value!r} is not a finite number")
        return None
    return number


def _count(column: str, value: str | None, errors: list[str]) -> int | None:
    if value is None:
        return None
    number = _number(column, value, [])
    if number is None or not number.is_integer():
        errors.append(f"{column}: {value!r} is not a whole number")
        return None
    return int(number)


def _score_kind(value: str | None, score: float | None, errors: list[str]) -> str:
    kind = (value or "").lower()
    if value is not None and kind not in SCORE_KINDS:
        errors.append(f"{SCORE_KIND}: {value!r} is not one of {', '.join(SCORE_KINDS)}")
        kind = ""
    if score is None:
        return "none"
    return kind if kind and kind != "none" else "course_total"
