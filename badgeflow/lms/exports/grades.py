"""Reports with a column per activity or grade item: Moodle, Canvas and Blackboard.

- Moodle's completion report has, per activity criterion, a status column ``<activity>``
  and ``<activity> - Completion date``; an activity counts as done when its status starts
  with "Completed" (including "Completed (did not achieve pass grade)", as Moodle counts it).
- Canvas's gradebook has one ``<assignment> (<id>)`` column per assignment (points; their
  maximum is on the second, ``Points Possible``, row) and percentage columns such as
  ``Final Score``; an assignment counts as done when it has a grade.
- Blackboard's Grade Center has one ``<column> [Total Pts: <n> <type>] |<id>`` column per
  grade item; ``Score`` columns hold points out of ``<n>``, ``Percentage`` ones percents.
  ``Total`` and ``Weighted Total`` are calculated, not modules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from badgeflow.errors import SourceConfigError
from badgeflow.lms.exports.values import parse_number

__all__ = [
    "GradeColumn",
    "grade_columns",
    "grade_percent",
    "is_done",
    "is_points_row",
    "score_column",
]

_CANVAS: Final = re.compile(r"^(?P<name>.+?) \((?P<id>\d+)\)$")
_BLACKBOARD: Final = re.compile(
    r"^(?P<name>.+?) \[Total Pts: (?:up to )?(?P<pts>[\d.,]+) (?P<type>[A-Za-z/ ]+?)\]"
    r"(?: \|(?P<id>\d+))?$"
)
_CALCULATED: Final = frozenset({"total", "weighted total"})
_DEFAULT_SCORE: Final = {"canvas": "Final Score", "blackboard": "Total"}
_UNGRADED: Final = frozenset({"", "-", "needs grading", "in progress", "n/a"})


@dataclass(frozen=True)
class GradeColumn:
    """One activity or grade-item column.

    Attributes:
        index: its position in the header.
        name: the activity or grade item's name, without the vendor's decorations.
        possible: its maximum points, when the report says (None: already a percentage).
        kind: Blackboard's column type (``Score``, ``Percentage``...), else empty.
        module: whether it counts towards `MODULES_COMPLETED`/`MODULES_TOTAL`.
    """

    index: int
    name: str
    possible: float | None = None
    kind: str = ""
    module: bool = True


def grade_columns(
    layout: str, header: Sequence[str], points_row: Sequence[str] = ()
) -> list[GradeColumn]:
    """Find the grade or activity columns of a report.

    Args:
        layout: ``moodle``, ``canvas`` or ``blackboard``.
        header: the header cells.
        points_row: Canvas's ``Points Possible`` row, when the file has it.

    Returns:
        The columns, in header order.
    """
    lowered = [cell.lower() for cell in header]
    found: list[GradeColumn] = []
    for index, cell in enumerate(header):
        if layout == "moodle" and f"{cell.lower()} - completion date" in lowered:
            found.append(GradeColumn(index, cell))
        elif layout == "canvas" and (match := _CANVAS.match(cell)):
            points = points_row[index] if index < len(points_row) else ""
            found.append(GradeColumn(index, match["name"], parse_number(cell, points, [])))
        elif layout == "canvas" and cell.lower().endswith((" score", " points")):
            found.append(GradeColumn(index, cell, module=False))
        elif layout == "blackboard" and (match := _BLACKBOARD.match(cell)):
            name = match["name"].strip()
            found.append(
                GradeColumn(
                    index,
                    name,
                    parse_number(cell, match["pts"], []),
                    match["type"].strip(),
                    module=name.lower() not in _CALCULATED,
                )
            )
    return found


def is_points_row(cells: Sequence[str]) -> bool:
    """Whether a Canvas gradebook row is the ``Points Possible`` row, not a learner."""
    return bool(cells) and cells[0].strip().lower() == "points possible"


def is_done(layout: str, value: str) -> bool:
    """Whether an activity or grade cell shows the module as done.

    Args:
        layout: ``moodle``, ``canvas`` or ``blackboard``.
        value: the cell.

    Returns:
        Moodle: the status starts with "Completed"; others: the item has a grade.
    """
    cell = value.strip().lower()
    if layout == "moodle":
        return cell.startswith("completed")
    return cell not in _UNGRADED


def grade_percent(column: GradeColumn, label: str, value: str, errors: list[str]) -> float | None:
    """A grade cell as a percentage of its column's maximum.

    Args:
        column: the grade column.
        label: its header label, named in messages.
        value: the cell.
        errors: the row's parse errors.

    Returns:
        The percentage, or None when the cell is ungraded or unreadable.
    """
    cell = value.strip()
    if cell.lower() in _UNGRADED:
        return None
    if column.kind and column.kind.lower() not in ("score", "percentage"):
        errors.append(f"{label}: a {column.kind} column holds no score; pick a Score column")
        return None
    number = parse_number(label, cell, errors)
    if number is None or cell.endswith("%") or column.kind.lower() == "percentage":
        return number
    if not column.possible:
        return number
    return round(number / column.possible * 100, 6)


def score_column(
    layout: str,
    wanted: str | None,
    header: Sequence[str],
    grades: Sequence[GradeColumn],
    path: Path,
) -> GradeColumn | None:
    """The gradebook column a Canvas or Blackboard export's score comes from.

    Args:
        layout: the profile's grades layout; only ``canvas`` and ``blackboard`` have one.
        wanted: the configured column (a header as written, or a grade item's name), else
            ``Final Score`` (Canvas) or ``Total`` (Blackboard).
        header: the header cells.
        grades: the report's grade columns.
        path: the file, named in errors.

    Returns:
        The column, or None for layouts whose score is an ordinary column.

    Raises:
        SourceConfigError: the gradebook has no such column (the ones it has are listed).
    """
    if layout not in _DEFAULT_SCORE:
        return None
    name = (wanted or _DEFAULT_SCORE[layout]).strip().lower()
    for index, cell in enumerate(header):
        if cell.strip().lower() == name:
            return next((g for g in grades if g.index == index), GradeColumn(index, cell))
    for column in grades:
        if column.name.lower() == name:
            return column
    names = ", ".join(repr(g.name) for g in grades) or "none"
    raise SourceConfigError(
        f"gradebook export {str(path)!r} has no grade column {name!r} for the score "
        f"(set score_column to one of: {names})"
    )
