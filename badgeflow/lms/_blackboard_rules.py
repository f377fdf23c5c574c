"""Blackboard Learn has no completion record: derive one from configured gradebook columns.

The rule, per configured course (`BlackboardCourseRule`):

- A *module* column is done when the learner's grade is ``Graded`` with a score or a text
  grade, or is exempt (excused). With `module_pass_threshold` it must also reach that
  percentage (``score / score.possible * 100``).
- The *final* column gives `SCORE` (``final_assessment``; ``course_total`` when it is the
  course's external grade column, ``finalGrade``). It must be ``Graded`` and, with
  `pass_threshold`, reach that percentage.
- The learner completed the course when every module column is done and the final column
  passed. `COMPLETED_AT` is the latest date among those columns' graded attempts
  (``attemptDate``, else ``created``) and grade overrides (``overridden``).
- A value that cannot decide the rule is not guessed: a text grade ("Pass", "B+") where a
  threshold needs a number, a score that is not a number, a column with no points possible,
  an exempt final column, an unreadable date, or a completion with no date at all. The
  problem goes into `PARSE_ERRORS` (the row is kept and quarantined with that reason), and
  `COMPLETED` becomes missing unless another column already settles it as False.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from badgeflow.errors import SourceConfigError
from badgeflow.models import COMPLETED_AT, SCORE, JSONDict

__all__ = ["BlackboardCourseRule", "Outcome", "course_key", "derive", "resolve_columns"]

_PRIMARY: Final = re.compile(r"^_\d+_\d+$")
_PREFIXES: Final = ("courseId:", "externalId:", "uuid:")


@dataclass(frozen=True)
class BlackboardCourseRule:
    """Which gradebook columns make up completion of one course.

    Columns are named by primary id (``_501_1``), ``externalId:<id>``, ``finalGrade`` (the
    course's external grade column), or their name as shown in the gradebook.

    Attributes:
        course: ``courseId`` as shown in Learn (``DS101``), or a primary id (``_101_1``),
            or a prefixed id (``courseId:DS101``, ``externalId:SIS.DS101``, ``uuid:...``).
        module_columns: columns that must be graded.
        final_column: the column whose score is the learner's score.
        pass_threshold: percentage the final column must reach; None: graded is enough.
        module_pass_threshold: percentage each module column must reach; None: graded.
    """

    course: str
    module_columns: tuple[str, ...] = ()
    final_column: str | None = None
    pass_threshold: float | None = None
    module_pass_threshold: float | None = None

    def __post_init__(self) -> None:
        if not self.module_columns and not self.final_column:
            raise ValueError(f"course {self.course}: name module_columns or a final_column")
        for threshold in (self.pass_threshold, self.module_pass_threshold):
            if threshold is not None and not 0 <= threshold <= 100:
                raise ValueError(f"course {self.course}: thresholds are percentages (0-100)")


def course_key(course: str) -> str:
    """The URL form of a configured course: a bare ``courseId`` gets its prefix.

    Examples:
        >>> course_key("DS101"), course_key("_101_1"), course_key("externalId:X")
        ('courseId:DS101', '_101_1', 'externalId:X')
    """
    if _PRIMARY.match(course) or course.startswith(_PREFIXES):
        return course
    return f"courseId:{course}"


def resolve_columns(
    rule: BlackboardCourseRule, columns: Sequence[JSONDict], what: str
) -> tuple[list[JSONDict], JSONDict | None]:
    """Find the rule's module and final columns among the course's gradebook columns.

    Returns:
        The module columns, in the rule's order, and the final column (None if unset).

    Raises:
        SourceConfigError: a column is unknown, or its name matches several columns.
    """

    def find(ref: str) -> JSONDict:
        if ref == "finalGrade":
            found = [c for c in columns if c.get("externalGrade") is True]
        elif ref.startswith("externalId:"):
            found = [c for c in columns if c.get("externalId") == ref.removeprefix("externalId:")]
        elif _PRIMARY.match(ref):
            found = [c for c in columns if c.get("id") == ref]
        else:
            found = [c for c in columns if ref in (c.get("name"), c.get("displayName"))]
        if not found:
            names = ", ".join(repr(c.get("name")) for c in columns)
            raise SourceConfigError(f"{what}: no gradebook column {ref!r} (columns: {names})")
        if len(found) > 1:
            ids = ", ".join(str(c.get("id")) for c in found)
            raise SourceConfigError(f"{what}: column name {ref!r} is ambiguous ({ids}); use an id")
        return found[0]

    final = find(rule.final_column) if rule.final_column else None
    return [find(ref) for ref in rule.module_columns], final


@dataclass
class Outcome:
    """What the gradebook says about one learner in one course."""

    completed: bool | None = None
    completed_at: datetime | None = None
    score: float | None = None
    score_kind: str = "none"
    modules_completed: int | None = None
    modules_total: int | None = None
    errors: list[str] = field(default_factory=list)


def derive(
    rule: BlackboardCourseRule,
    modules: Sequence[JSONDict],
    final: JSONDict | None,
    grades: Mapping[str, JSONDict],
    attempts: Mapping[str, Sequence[JSONDict]],
) -> Outcome:
    """Apply the completion rule (module docstring) to one learner.

    Args:
        rule: the course's rule.
        modules: the resolved module columns.
        final: the resolved final column, or None.
        grades: the learner's grade per column id (absent: no grade).
        attempts: the learner's attempts per column id.

    Returns:
        The learner's outcome, problems in `Outcome.errors`.
    """
    out = Outcome()
    verdicts = []
    for column in modules:
        grade = grades.get(str(column["id"]))
        passed, _ = _judge(column, grade, rule.module_pass_threshold, out.errors, final=False)
        verdicts.append(passed)
    if modules:
        out.modules_total = len(modules)
        out.modules_completed = sum(1 for v in verdicts if v is True)
    if final is not None:
        grade = grades.get(str(final["id"]))
        passed, out.score = _judge(final, grade, rule.pass_threshold, out.errors, final=True)
        verdicts.append(passed)
        if out.score is not None:
            out.score_kind = "course_total" if final.get("externalGrade") else "final_assessment"
    if any(v is False for v in verdicts):
        out.completed = False
    elif all(v is True for v in verdicts):
        out.completed = True
        out.completed_at = _latest(
            [*modules, *([final] if final else [])], grades, attempts, out.errors
        )
    return out


def _judge(
    column: JSONDict,
    grade: JSONDict | None,
    threshold: float | None,
    errors: list[str],
    *,
    final: bool,
) -> tuple[bool | None, float | None]:
    """(done or passed: None when undecidable, percentage) of one grade."""
    label = f"column {column.get('name')!r}"
    if grade is None or grade.get("status") != "Graded":
        return False, None
    if grade.get("exempt"):
        if final:
            errors.append(f"{SCORE}: {label} is exempt: no score to judge")
            return None, None
        return True, None
    raw = grade.get("score")
    needed = final or threshold is not None
    if raw is None:
        text = grade.get("text") or (grade.get("displayGrade") or {}).get("text")
        if text in (None, "", "-"):
            return False, None
        if threshold is None:
            return True, None
        errors.append(f"{SCORE}: {label}: grade {text!r} has no numeric score")
        return None, None
    if not needed:
        return True, None
    try:
        points = float(raw)
    except (TypeError, ValueError):
        errors.append(f"{SCORE}: {label}: score {raw!r} is not a number")
        return None, None
    possible = (column.get("score") or {}).get("possible")
    if not isinstance(possible, int | float) or possible <= 0:
        errors.append(f"{SCORE}: {label}: points possible is {possible!r}: no percentage")
        return (True if threshold is None else None), None
    percent = points / possible * 100
    return (threshold is None or percent >= threshold), percent


def _latest(
    columns: Sequence[JSONDict],
    grades: Mapping[str, JSONDict],
    attempts: Mapping[str, Sequence[JSONDict]],
    errors: list[str],
) -> datetime | None:
    dates = []
    for column in columns:
        cid = str(column["id"])
        stamps: list[Any] = [(grades.get(cid) or {}).get("overridden")]
        for attempt in attempts.get(cid, ()):
            if attempt.get("status", "Completed") == "Completed":
                stamps.append(attempt.get("attemptDate") or attempt.get("created"))
        for stamp in stamps:
            if stamp is None:
                continue
            try:
                parsed = datetime.fromisoformat(str(stamp))
            except ValueError:
                errors.append(f"{COMPLETED_AT}: column {column.get('name')!r}: {stamp!r}")
                continue
            if parsed.tzinfo is None:
                errors.append(f"{COMPLETED_AT}: {stamp!r} has no UTC offset")
                continue
            dates.append(parsed)
    if not dates:
        errors.append(f"{COMPLETED_AT}: completed, but no graded attempt or override has a date")
        return None
    return max(dates)
