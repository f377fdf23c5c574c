"""Row-level checks: does one completion row meet one course condition, and if not, why."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from badgeflow.models import (
    COMPLETED,
    COMPLETED_AT,
    COURSE_ID,
    LEARNER_EMAIL,
    LEARNER_NAME,
    MODULES_COMPLETED,
    MODULES_TOTAL,
    RECORD_KEY,
    SCORE,
)
from tests.badgeflow.rules.legacy import CourseRule

__all__ = ["Row", "describe", "problems", "read_rows"]

_EPOCH = datetime.min.replace(tzinfo=UTC)
_REQUIRED = (RECORD_KEY, LEARNER_EMAIL, COURSE_ID, COMPLETED, COMPLETED_AT)


@dataclass(frozen=True)
class Row:
    """The fields of a completion row the rules look at, normalised."""

    key: str
    email: str
    name: str | None
    course: str
    completed: bool
    at: datetime | None
    score: float | None
    modules_done: int | None
    modules_total: int | None

    @property
    def order(self) -> tuple[datetime, str]:
        """Sort key: completion time, then record key (so ties are stable)."""
        return (self.at or _EPOCH, self.key)


def read_rows(completions: pd.DataFrame) -> Iterator[Row]:
    """Normalise the completion frame into `Row`s, in frame order.

    Raises:
        ValueError: a column the rules need is missing.
    """
    missing = [c for c in _REQUIRED if c not in completions.columns]
    if missing:
        raise ValueError(f"completions frame lacks column(s): {', '.join(missing)}")
    n = len(completions)
    at = pd.to_datetime(completions[COMPLETED_AT], utc=True)
    columns: dict[str, Any] = {
        RECORD_KEY: completions[RECORD_KEY].tolist(),
        LEARNER_EMAIL: completions[LEARNER_EMAIL].tolist(),
        LEARNER_NAME: _column(completions, LEARNER_NAME, n),
        COURSE_ID: completions[COURSE_ID].tolist(),
        COMPLETED: completions[COMPLETED].tolist(),
        COMPLETED_AT: [None if pd.isna(t) else t.to_pydatetime() for t in at],
        SCORE: _column(completions, SCORE, n),
        MODULES_COMPLETED: _column(completions, MODULES_COMPLETED, n),
        MODULES_TOTAL: _column(completions, MODULES_TOTAL, n),
    }
    for i in range(n):
        yield Row(
            key=str(columns[RECORD_KEY][i]),
            email=str(columns[LEARNER_EMAIL][i]).strip().lower(),
            name=_text(columns[LEARNER_NAME][i]),
            course=str(columns[COURSE_ID][i]),
            completed=_present(columns[COMPLETED][i]) and bool(columns[COMPLETED][i]),
            at=columns[COMPLETED_AT][i],
            score=_number(columns[SCORE][i]),
            modules_done=_count(columns[MODULES_COMPLETED][i]),
            modules_total=_count(columns[MODULES_TOTAL][i]),
        )


def problems(row: Row, rule: CourseRule, as_of: datetime) -> list[str]:
    """List why a row does not meet a course condition (empty when it does).

    Args:
        row: the completion row.
        rule: the course condition; the caller has matched the course id.
        as_of: the evaluation clock; a completion after it does not count yet.

    Returns:
        Human-readable problems, e.g. ``["score 70.0 is below 75", "5 of 6 modules completed"]``.
    """
    found: list[str] = []
    if not row.completed:
        found.append("not completed")
    elif row.at is None:
        found.append("completed without a completion date")
    elif row.at > as_of:
        found.append(f"completed at {row.at.isoformat()}, after the evaluation time")
    if rule.min_score is not None:
        if row.score is None:
            found.append(f"no score recorded (needs at least {_num(rule.min_score)})")
        elif row.score < rule.min_score:
            found.append(f"score {round(row.score, 2)} is below {_num(rule.min_score)}")
    found.extend(_module_problems(row, rule))
    return found


def describe(rule: CourseRule) -> str:
    """Say in words what a course condition needs, e.g. ``DS390 completed with score >= 70``."""
    parts = []
    if rule.min_score is not None:
        parts.append(f"score >= {_num(rule.min_score)}")
    if rule.min_modules is not None:
        parts.append(f"at least {rule.min_modules} modules")
    if rule.all_modules:
        parts.append("all modules")
    return f"{rule.course} completed" + (f" with {' and '.join(parts)}" if parts else "")


def _module_problems(row: Row, rule: CourseRule) -> list[str]:
    if not rule.all_modules and rule.min_modules is None:
        return []
    done, total = row.modules_done, row.modules_total
    if done is None or (rule.all_modules and total is None):
        return ["module counts missing"]
    short_of_all = rule.all_modules and done != total
    short_of_min = rule.min_modules is not None and done < rule.min_modules
    if not (short_of_all or short_of_min):
        return []
    message = f"{done} of {total} modules completed" if total is not None else f"{done} modules"
    if short_of_min and not (short_of_all and total == rule.min_modules):
        message += f" (needs at least {rule.min_modules})"
    return [message]


def _column(df: pd.DataFrame, name: str, n: int) -> list[Any]:
    return df[name].tolist() if name in df.columns else [None] * n


def _present(value: Any) -> bool:
    return (
        value is not None
        and not (isinstance(value, float) and math.isnan(value))
        and (value is not pd.NA and value is not pd.NaT)
    )


def _number(value: Any) -> float | None:
    if not _present(value):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _count(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def _text(value: Any) -> str | None:
    return str(value) if _present(value) and str(value).strip() else None


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
