"""Declarative header profiles: which column of each vendor's completion report means what.

A profile maps canonical fields to the header labels a vendor writes (any of them, compared
case-insensitively after trimming), says which must be present, how dates, statuses and
scores are written, and whether the report covers a single course (its course then comes
from the settings). Reports laid out per grade column (Moodle activities, Canvas
assignments, Blackboard Grade Center columns) name a `grades` layout read by `grades.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from badgeflow.models import (
    COMPLETED,
    COMPLETED_AT,
    COURSE_ID,
    COURSE_NAME,
    LEARNER_EMAIL,
    LEARNER_ID,
    LEARNER_NAME,
    MODULES_COMPLETED,
    MODULES_TOTAL,
    PROGRESS_PCT,
    SCORE,
    SCORE_KIND,
    SOURCE_RECORD_ID,
)

__all__ = ["FIRST_NAME", "LAST_NAME", "PROFILES", "ExportProfile"]

FIRST_NAME: Final = "first_name"
"""Pseudo-field: a first-name column, joined with `LAST_NAME` into `LEARNER_NAME`."""
LAST_NAME: Final = "last_name"
"""Pseudo-field: a last-name column."""

_US_DATES: Final = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", "%m/%d/%Y")
_EU_DATES: Final = ("%d/%m/%Y, %H:%M:%S", "%d/%m/%Y, %H:%M", "%d/%m/%Y %H:%M", "%d/%m/%Y")
_NOT_DONE: Final = frozenset(
    {"not completed", "incomplete", "in progress", "not started", "not attempted", "failed"}
)


@dataclass(frozen=True)
class ExportProfile:
    """One vendor's completion report layout.

    Attributes:
        format: the settings value naming it (``format = "moodle"``).
        system: stored in `SOURCE_SYSTEM`.
        title: the report's name in the vendor's UI, for messages and the README.
        columns: canonical field (or `FIRST_NAME`/`LAST_NAME`) → header labels, first match
            wins.
        required: fields whose column must be present; also the auto-detection signature.
        date_formats: `strptime` formats tried after ISO 8601.
        completed_true: status words (lower case) meaning completed.
        completed_false: status words meaning not completed.
        score_kind: `SCORE_KIND` of a score from this report.
        per_course: the report covers one course and has no course column.
        grades: ``moodle``, ``canvas`` or ``blackboard`` for reports with a column per
            activity or grade item; empty for one-row-per-completion reports.
        date_in_status: the status cell holds the completion date (Moodle's
            ``Course complete``) when the report has no date column.
    """

    format: str
    system: str
    title: str
    columns: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]
    date_formats: tuple[str, ...] = ()
    completed_true: frozenset[str] = frozenset({"completed", "complete", "passed"})
    completed_false: frozenset[str] = field(default=_NOT_DONE)
    score_kind: str = "course_total"
    per_course: bool = False
    grades: str = ""
    date_in_status: bool = False


_GENERIC_FIELDS: Final = (
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

BADGEFLOW: Final = ExportProfile(
    format="badgeflow",
    system="csv",
    title="badgeflow canonical CSV",
    columns={name: (name,) for name in (*_GENERIC_FIELDS, SOURCE_RECORD_ID, PROGRESS_PCT)}
    | {SCORE_KIND: (SCORE_KIND,)},
    required=_GENERIC_FIELDS,
    completed_true=frozenset({"true", "yes", "1", "completed"}),
    completed_false=frozenset({"false", "no", "0", "incomplete"}),
)

PROFILES: Final[Mapping[str, ExportProfile]] = {
    profile.format: profile
    for profile in (
        BADGEFLOW,
        ExportProfile(
            format="moodle",
            system="moodle",
            title="Moodle course completion report (Reports > Course completion > Download)",
            columns={
                LEARNER_ID: ("ID",),
                LEARNER_NAME: ("Name",),
                LEARNER_EMAIL: ("Email address", "Email"),
                COMPLETED: ("Course complete",),
                COMPLETED_AT: ("Course complete date", "Course complete - Completion date"),
            },
            required=(LEARNER_ID, LEARNER_NAME, COMPLETED),
            date_formats=("%d/%m/%y, %H:%M", "%d/%m/%Y, %H:%M", "%d/%m/%Y %H:%M", "%d/%m/%Y"),
            completed_true=frozenset({"completed", "yes", "y"}),
            completed_false=frozenset({"not completed", "no", "n"}),
            score_kind="none",
            per_course=True,
            grades="moodle",
            date_in_status=True,
        ),
        ExportProfile(
            format="canvas",
            system="canvas",
            title="Canvas gradebook export (Grades > Export > CSV)",
            columns={
                LEARNER_NAME: ("Student",),
                LEARNER_ID: ("ID",),
                LEARNER_EMAIL: ("SIS Login ID", "Email"),
                SCORE: ("Final Score",),
            },
            required=(LEARNER_NAME, LEARNER_ID, SCORE),
            per_course=True,
            grades="canvas",
        ),
        ExportProfile(
            format="talentlms",
            system="talentlms",
            title="TalentLMS course users report (Reports > Courses > Users > Export)",
            columns={
                LEARNER_ID: ("User ID", "User id"),
                LEARNER_NAME: ("User", "Name", "Full name"),
                LEARNER_EMAIL: ("Email", "E-mail"),
                COURSE_ID: ("Course ID", "Course id"),
                COURSE_NAME: ("Course", "Course name"),
                COMPLETED: ("Completion status",),
                COMPLETED_AT: ("Completion date", "Completed on"),
                SCORE: ("Score",),
                PROGRESS_PCT: ("Completion percentage", "Progress"),
            },
            required=(LEARNER_EMAIL, COURSE_NAME, COMPLETED),
            date_formats=_EU_DATES,
        ),
        ExportProfile(
            format="docebo",
            system="docebo",
            title="Docebo course report / custom report export (Users - Courses)",
            columns={
                LEARNER_ID: ("Username", "User ID"),
                FIRST_NAME: ("First Name",),
                LAST_NAME: ("Last Name",),
                LEARNER_EMAIL: ("Email",),
                COURSE_ID: ("Course Code", "Course ID"),
                COURSE_NAME: ("Course Name",),
                COMPLETED: ("Enrollment Status", "Course Status"),
                COMPLETED_AT: ("Completion Date", "Course Completion Date"),
                SCORE: ("Score", "Final Score"),
                PROGRESS_PCT: ("Completion Percentage", "Course Progress (%)"),
            },
            required=(LEARNER_ID, COURSE_NAME, COMPLETED),
            date_formats=("%Y-%m-%d %H:%M", *_US_DATES),
            completed_false=_NOT_DONE | {"subscribed", "enrolled", "waiting", "suspended"},
        ),
        ExportProfile(
            format="cornerstone",
            system="cornerstone",
            title="Cornerstone transcript report (Reporting 2.0, CSV)",
            columns={
                LEARNER_ID: ("User ID",),
                LEARNER_NAME: ("User Full Name",),
                LEARNER_EMAIL: ("User Email", "Email"),
                COURSE_ID: ("Training Object ID", "LO ID", "Training ID"),
                COURSE_NAME: ("Training Title",),
                COMPLETED: ("Transcript Status",),
                COMPLETED_AT: ("Transcript Completed Date", "Completion Date"),
                SCORE: ("Transcript Score", "Score"),
                PROGRESS_PCT: ("Transcript Percent Complete",),
            },
            required=(LEARNER_ID, COURSE_NAME, COMPLETED),
            date_formats=_US_DATES,
            completed_false=_NOT_DONE
            | {"registered", "withdrawn", "pending", "approved", "cancelled", "denied"},
        ),
        ExportProfile(
            format="litmos",
            system="litmos",
            title="SAP Litmos course report (Reports > Courses > Export)",
            columns={
                LEARNER_ID: ("Username", "User ID"),
                FIRST_NAME: ("First Name",),
                LAST_NAME: ("Last Name",),
                LEARNER_EMAIL: ("Email",),
                COURSE_ID: ("Course ID", "Course Code"),
                COURSE_NAME: ("Course Title",),
                COMPLETED: ("Completed", "Course Status"),
                COMPLETED_AT: ("Completed Date", "Date Completed"),
                SCORE: ("Score",),
                PROGRESS_PCT: ("Percentage Complete", "% Complete"),
            },
            required=(LEARNER_ID, COURSE_NAME, COMPLETED),
            date_formats=_US_DATES,
            completed_true=frozenset({"yes", "true", "completed", "complete"}),
            completed_false=_NOT_DONE | {"no", "false"},
        ),
        ExportProfile(
            format="360learning",
            system="360learning",
            title="360Learning course statistics export",
            columns={
                LEARNER_ID: ("User ID",),
                FIRST_NAME: ("First name",),
                LAST_NAME: ("Last name",),
                LEARNER_EMAIL: ("User email", "Email"),
                COURSE_ID: ("Course ID",),
                COURSE_NAME: ("Course name", "Course"),
                COMPLETED: ("Status",),
                COMPLETED_AT: ("Completion date", "Completed at"),
                SCORE: ("Score (%)", "Score"),
                PROGRESS_PCT: ("Progress (%)", "Progress"),
            },
            required=(LEARNER_EMAIL, COURSE_NAME, COMPLETED_AT),
            date_formats=_EU_DATES,
            completed_true=frozenset({"completed", "passed", "successful", "succeeded"}),
        ),
        ExportProfile(
            format="blackboard",
            system="blackboard",
            title="Blackboard Grade Center download (Work Offline > Download)",
            columns={
                LAST_NAME: ("Last Name",),
                FIRST_NAME: ("First Name",),
                LEARNER_ID: ("Username",),
                LEARNER_EMAIL: ("Email", "Username"),
                COMPLETED_AT: ("Last Access",),
            },
            required=(LAST_NAME, FIRST_NAME, LEARNER_ID),
            date_formats=_US_DATES,
            per_course=True,
            grades="blackboard",
        ),
    )
}
"""Every supported export layout, keyed by its settings ``format``."""
