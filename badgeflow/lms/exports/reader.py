"""Turn an export table into canonical completion records, following its vendor profile."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from badgeflow.errors import SourceConfigError
from badgeflow.lms._frame import SCORE_KINDS
from badgeflow.lms.exports.detect import Table, columns_of
from badgeflow.lms.exports.grades import (
    GradeColumn,
    grade_columns,
    grade_percent,
    is_done,
    score_column,
)
from badgeflow.lms.exports.grades import is_points_row as _is_points_row
from badgeflow.lms.exports.profiles import FIRST_NAME, LAST_NAME, ExportProfile
from badgeflow.lms.exports.values import (
    parse_count,
    parse_date,
    parse_flag,
    parse_number,
    parse_score,
)
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

__all__ = ["EXTRA_FIELDS", "ExportOptions", "read_records"]

_Text = Callable[[str], str | None]
_Label = Callable[[str], str]

EXTRA_FIELDS = "__extra_fields__"
"""`RAW` key holding the cells of a row beyond the header's length."""


@dataclass(frozen=True)
class ExportOptions:
    """How to read one export (see `CsvSourceSettings` for each option).

    Attributes:
        format: a `PROFILES` key, or ``auto`` to recognise it from the header.
        course_id: the course of a single-course report (Moodle, Canvas, Blackboard).
        course_name: that course's title.
        zone: time zone of dates written without an offset.
        date_formats: extra `strptime` formats, tried before the profile's.
        score_column: Canvas/Blackboard grade column used as the score.
        pass_score: Canvas/Blackboard: a score at or above it means completed.
        score_scale: ``percent`` or ``fraction`` (0-1) for bare score numbers.
        rename_columns: file header -> the label the format expects, applied before the
            format is recognised (for reports whose labels differ from the profile's).
    """

    format: str = "auto"
    course_id: str | None = None
    course_name: str | None = None
    zone: tzinfo = UTC
    date_formats: tuple[str, ...] = ()
    score_column: str | None = None
    pass_score: float | None = None
    score_scale: str = "percent"
    rename_columns: Mapping[str, str] = field(default_factory=dict)


def read_records(
    table: Table,
    profile: ExportProfile,
    options: ExportOptions,
    *,
    source: str,
    fetched_at: datetime,
    file_time: datetime,
    path: Path,
) -> list[dict[str, object]]:
    """Build one canonical record per data row of an export.

    Args:
        table: the decoded file.
        profile: its layout.
        options: the source's reading options.
        source: the source name, stored in `SOURCE`.
        fetched_at: the batch clock.
        file_time: the file's modification time, the completion time of reports that
            carry none (Canvas).
        path: the file, named in errors.

    Returns:
        The records, in file order (Canvas's ``Points Possible`` row is not a learner).

    Raises:
        SourceConfigError: a single-course report without ``course_id``, or a gradebook
            without ``pass_score``, or a ``score_column`` the gradebook lacks.
    """
    rows = list(table.rows)
    points: Sequence[str] = ()
    if profile.grades == "canvas" and rows and _is_points_row(rows[0][1]):
        points = rows.pop(0)[1]
    grades = grade_columns(profile.grades, table.header, points) if profile.grades else []
    reader = _Reader(profile, options, table.header, grades, source, fetched_at, file_time, path)
    return [reader.record(line, cells) for line, cells in rows if not _is_points_row(cells)]


class _Reader:
    def __init__(
        self,
        profile: ExportProfile,
        options: ExportOptions,
        header: Sequence[str],
        grades: list[GradeColumn],
        source: str,
        fetched_at: datetime,
        file_time: datetime,
        path: Path,
    ) -> None:
        self.profile, self.options, self.header = profile, options, header
        self.source, self.fetched_at, self.file_time = source, fetched_at, file_time
        self.columns = columns_of(profile, header)
        self.modules = [g for g in grades if g.module]
        self.score = score_column(profile.grades, options.score_column, header, grades, path)
        self.formats = (*options.date_formats, *profile.date_formats)
        if profile.per_course and COURSE_ID not in self.columns and not options.course_id:
            raise SourceConfigError(
                f"{profile.title} {str(path)!r} covers one course and names none: "
                "set the source's course_id"
            )
        if profile.grades in ("canvas", "blackboard") and options.pass_score is None:
            raise SourceConfigError(
                f"{profile.title} {str(path)!r} has no completion status: set the source's "
                "pass_score (a score at or above it counts as completed)"
            )

    def record(self, line: int, cells: Sequence[str]) -> dict[str, object]:
        errors: list[str] = []
        width = len(self.header)
        raw: dict[str, object] = dict(zip(self.header, cells, strict=False))
        if len(cells) > width:
            raw[EXTRA_FIELDS] = list(cells[width:])
            errors.append(f"row has {len(cells)} fields, the header {width}")
        elif len(cells) < width:
            errors.append(f"row has fewer fields than the header ({width})")

        def text(name: str) -> str | None:
            index = self.columns.get(name)
            value = cells[index].strip() if index is not None and index < len(cells) else ""
            return value or None

        def label(name: str) -> str:
            return self.header[self.columns[name]] if name in self.columns else name

        learner_id, email = text(LEARNER_ID), text(LEARNER_EMAIL)
        name = text(LEARNER_NAME) or " ".join(filter(None, (text(FIRST_NAME), text(LAST_NAME))))
        course_name = text(COURSE_NAME) or self.options.course_name
        course_id = text(COURSE_ID) or self.options.course_id or course_name
        before = len(errors)
        score = self._score(cells, errors, text, label)
        unreadable = len(errors) > before
        completed, completed_at = self._completion(text, label, score, unreadable, errors)
        done = [
            g
            for g in self.modules
            if g.index < len(cells) and is_done(self.profile.grades, cells[g.index])
        ]
        record_id = text(SOURCE_RECORD_ID)
        if record_id is None:
            who = learner_id or (email.lower() if email else None)
            record_id = f"{who}:{course_id}" if who and course_id else f"line:{line}"
        kind = _score_kind(text(SCORE_KIND), score, self.score_kind, errors)
        return {
            SOURCE: self.source,
            SOURCE_SYSTEM: self.profile.system,
            SOURCE_RECORD_ID: record_id,
            LEARNER_ID: learner_id,
            LEARNER_EMAIL: email.lower() if email else None,
            LEARNER_NAME: name or None,
            COURSE_ID: course_id,
            COURSE_NAME: course_name,
            COMPLETED: completed,
            COMPLETED_AT: completed_at,
            SCORE: score,
            SCORE_KIND: kind,
            MODULES_COMPLETED: len(done)
            if self.modules
            else parse_count(label(MODULES_COMPLETED), text(MODULES_COMPLETED), errors),
            MODULES_TOTAL: len(self.modules)
            if self.modules
            else parse_count(label(MODULES_TOTAL), text(MODULES_TOTAL), errors),
            PROGRESS_PCT: parse_number(label(PROGRESS_PCT), text(PROGRESS_PCT), errors),
            FETCHED_AT: self.fetched_at,
            RAW: raw,
            ROW_NUMBER: line,
            PARSE_ERRORS: tuple(errors),
        }

    @property
    def score_kind(self) -> str:
        if self.options.score_column and self.profile.grades in ("canvas", "blackboard"):
            return "final_assessment"
        return self.profile.score_kind

    def _score(
        self, cells: Sequence[str], errors: list[str], text: _Text, label: _Label
    ) -> float | None:
        if self.score is None:
            return parse_score(label(SCORE), text(SCORE), errors, scale=self.options.score_scale)
        index = self.score.index
        cell = cells[index] if index < len(cells) else ""
        return grade_percent(self.score, self.header[index], cell, errors)

    def _completion(
        self,
        text: _Text,
        label: _Label,
        score: float | None,
        unreadable: bool,
        errors: list[str],
    ) -> tuple[bool | None, datetime | None]:
        profile, before = self.profile, len(errors)
        dated = COMPLETED_AT in self.columns
        date = parse_date(
            label(COMPLETED_AT),
            text(COMPLETED_AT),
            errors,
            formats=self.formats,
            zone=self.options.zone,
        )
        if profile.grades in ("canvas", "blackboard"):
            if score is None:
                # An unreadable score (already reported) says nothing; no grade: not done.
                return (None if unreadable else False), None
            passed = score >= (self.options.pass_score or 0.0)
            return passed, ((date if dated else self.file_time) if passed else None)
        status = text(COMPLETED)
        if COMPLETED not in self.columns:
            return (date is not None if len(errors) == before else None), date
        if profile.date_in_status and not dated:
            if status is None or status.lower() in profile.completed_false:
                return False, None
            in_status = parse_date(
                label(COMPLETED), status, errors, formats=self.formats, zone=self.options.zone
            )
            return (True if in_status else None), in_status
        flag = parse_flag(
            label(COMPLETED),
            status,
            errors,
            true=profile.completed_true,
            false=profile.completed_false,
        )
        return flag, date


def _score_kind(value: str | None, score: float | None, default: str, errors: list[str]) -> str:
    kind = (value or "").lower()
    if value is not None and kind not in SCORE_KINDS:
        errors.append(f"{SCORE_KIND}: {value!r} is not one of {', '.join(SCORE_KINDS)}")
        kind = ""
    if score is None:
        return "none"
    if kind and kind != "none":
        return kind
    return default if default != "none" else "course_total"
