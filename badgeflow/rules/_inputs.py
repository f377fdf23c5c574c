"""The evaluator's inputs as numpy arrays: completions, stored awards and file facts.

Times are int64 microseconds since the epoch (UTC). `NEVER` stands for "no end" and "not
met"; `UNDATED` for "met, with no date" (it sorts before every real date).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from badgeflow.models import (
    ACHIEVEMENT_ID,
    AWARD_KEY,
    AWARD_STATUS,
    AWARDED_AT,
    COMPLETED,
    COMPLETED_AT,
    COURSE_ID,
    LEARNER_EMAIL,
    LEARNER_NAME,
    MODULES_COMPLETED,
    MODULES_TOTAL,
    RECORD_KEY,
    SCORE,
    SCORE_KIND,
    SOURCE,
    VALID_FROM,
    VALID_UNTIL,
)

__all__ = ["DAY", "NEVER", "UNDATED", "Held", "Learners", "Rows", "micros", "read_held"]

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

NEVER: Final = np.iinfo(np.int64).max
UNDATED: Final = np.iinfo(np.int64).min
DAY: Final = 86_400_000_000
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
ACTIVE: Final = "active"
_REQUIRED: Final = (RECORD_KEY, LEARNER_EMAIL, COURSE_ID, COMPLETED, COMPLETED_AT)
_HELD_REQUIRED: Final = (AWARD_KEY, LEARNER_EMAIL, ACHIEVEMENT_ID, VALID_FROM, VALID_UNTIL)


def micros(when: datetime) -> int:
    """Return an aware datetime as microseconds since the epoch."""
    return (when - _EPOCH) // timedelta(microseconds=1)


def times(values: pd.Series | pd.Index) -> Ints:
    """Return datetimes as microseconds since the epoch (NaT becomes `UNDATED`)."""
    index = pd.DatetimeIndex(pd.to_datetime(values, utc=True)).as_unit("us")
    return np.array(index.asi8, dtype=np.int64)


class Learners:
    """Normalised learner emails (``strip().lower()``) and their integer codes."""

    def __init__(self) -> None:
        """Start with no learner."""
        self.emails: list[str] = []
        self._prefixes: list[bytes] = []

    def __len__(self) -> int:
        """Return the number of learners seen."""
        return len(self.emails)

    def prefixes(self) -> list[bytes]:
        """Each learner's email, UTF-8 encoded (the start of an award key's input)."""
        if len(self._prefixes) != len(self.emails):
            self._prefixes = [e.encode() for e in self.emails]
        return self._prefixes

    def encode(self, raw: pd.Series) -> Ints:
        """Code each raw email, adding learners not seen before."""
        codes, uniques = pd.factorize(raw, use_na_sentinel=False)
        normal = pd.Series(uniques, dtype=object).astype(str).str.strip().str.lower()
        every = np.concatenate(
            [np.asarray(self.emails, dtype=object), normal.to_numpy(dtype=object)]
        )
        # first appearance order: known learners keep their codes, new ones come after
        numbers, distinct = pd.factorize(every)
        self.emails = [str(e) for e in distinct]
        mapped = numbers[len(every) - len(normal) :].astype(np.int64)
        return mapped[codes] if len(codes) else np.empty(0, dtype=np.int64)


@dataclass
class Rows:
    """Completion rows sorted by (course, learner, completed_at, record key).

    ``position`` maps each sorted row back to its place in the input frame; ``courses``
    maps a course id to the contiguous slice of its rows.
    """

    position: Ints
    learner: Ints
    at: Ints
    completed: Bools
    score: Floats
    done: Floats
    total: Floats
    source: Ints
    final: Bools
    key: npt.NDArray[np.object_]
    name: npt.NDArray[np.object_]
    course: npt.NDArray[np.object_]
    input_learner: Ints
    input_key: npt.NDArray[np.object_]
    input_course: npt.NDArray[np.object_]
    sources: dict[str, int] = field(default_factory=dict)
    courses: dict[str, slice] = field(default_factory=dict)

    @classmethod
    def read(cls, completions: pd.DataFrame, learners: Learners) -> Rows:
        """Normalise and sort the completion frame.

        Raises:
            ValueError: a column the rules need is missing.
        """
        missing = [c for c in _REQUIRED if c not in completions.columns]
        if missing:
            raise ValueError(f"completions frame lacks column(s): {', '.join(missing)}")
        n = len(completions)
        learner = learners.encode(completions[LEARNER_EMAIL])
        course_codes, course_ids = pd.factorize(completions[COURSE_ID].astype(str), sort=True)
        at = times(completions[COMPLETED_AT])
        order = np.lexsort((at, learner, course_codes)).astype(np.int64)
        completed = completions[COMPLETED].astype("boolean").fillna(False).to_numpy(dtype=bool)
        source, sources = pd.factorize(_objects(completions, SOURCE, n))
        final = _objects(completions, SCORE_KIND, n) == "final_assessment"
        key = completions[RECORD_KEY].to_numpy(dtype=object)
        course = np.asarray(course_ids, dtype=object)[course_codes]
        rows = cls(
            position=order,
            learner=learner[order],
            at=at[order],
            completed=completed[order],
            score=_floats(completions, SCORE, n)[order],
            done=_floats(completions, MODULES_COMPLETED, n)[order],
            total=_floats(completions, MODULES_TOTAL, n)[order],
            source=source[order],
            final=final[order],
            key=key[order],
            name=_objects(completions, LEARNER_NAME, n)[order],
            course=course[order],
            input_learner=learner,
            input_key=key,
            input_course=course,
            sources={str(s): i for i, s in enumerate(sources)},
        )
        bounds = np.searchsorted(course_codes[order], np.arange(len(course_ids) + 1))
        rows.courses = {
            str(c): slice(int(bounds[i]), int(bounds[i + 1])) for i, c in enumerate(course_ids)
        }
        rows._break_ties(course_codes[order])
        return rows

    def _break_ties(self, course: Ints) -> None:
        # Rows of one learner and course at the same instant are ordered by record key, so the
        # evidence chosen never depends on the input order. Only the tied rows are sorted.
        same = (course[1:] == course[:-1]) & (self.learner[1:] == self.learner[:-1])
        same &= self.at[1:] == self.at[:-1]
        if not same.any():
            return
        tied = np.zeros(len(self.at), dtype=bool)
        tied[1:] |= same
        tied[:-1] |= same
        spots = np.flatnonzero(tied)
        keys = self.key[spots].astype(str)
        inner = np.lexsort((keys, self.at[spots], self.learner[spots], course[spots]))
        for name in ("position", "completed", "score", "done", "total", "source", "final", "key"):
            column = getattr(self, name)
            column[spots] = column[spots[inner]]
        self.name[spots] = self.name[spots[inner]]


@dataclass
class Held:
    """Awards of one achievement (stored, then new ones appended), one entry per award."""

    learner: Ints
    start: Ints
    end: Ints
    active: Bools
    key: npt.NDArray[np.object_]
    awarded: Ints
    status: npt.NDArray[np.object_]

    @classmethod
    def empty(cls) -> Held:
        """No award."""
        none = np.empty(0, dtype=np.int64)
        objects = np.empty(0, dtype=object)
        return cls(none, none, none, np.empty(0, dtype=bool), objects, none, objects)

    def add(self, other: Held) -> Held:
        """Return these awards followed by `other`'s."""
        return Held(*(np.concatenate([getattr(self, f), getattr(other, f)]) for f in _HELD_FIELDS))

    def current(self, as_of: int) -> Bools:
        """Active, started and not ended at `as_of`, per award."""
        return self.active & (self.start <= as_of) & (self.end > as_of)


_HELD_FIELDS: Final = ("learner", "start", "end", "active", "key", "awarded", "status")


def read_held(existing: pd.DataFrame, learners: Learners) -> dict[str, Held]:
    """Split the stored awards by achievement.

    Raises:
        ValueError: the frame lacks a needed column.
    """
    if not len(existing):
        return {}
    missing = [c for c in _HELD_REQUIRED if c not in existing.columns]
    if missing:
        raise ValueError(f"existing_awards frame lacks column(s): {', '.join(missing)}")
    learner = learners.encode(existing[LEARNER_EMAIL])
    start = times(existing[VALID_FROM])
    end = times(existing[VALID_UNTIL])
    end[end == UNDATED] = NEVER
    awarded = times(existing[AWARDED_AT]) if AWARDED_AT in existing.columns else start.copy()
    awarded = np.where(awarded == UNDATED, start, awarded)
    status = (
        existing[AWARD_STATUS].to_numpy(dtype=object)
        if AWARD_STATUS in existing.columns
        else np.full(len(existing), ACTIVE, dtype=object)
    )
    active = status == ACTIVE
    keys = existing[AWARD_KEY].to_numpy(dtype=object)
    codes, slugs = pd.factorize(existing[ACHIEVEMENT_ID])
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(slugs) + 1))
    held: dict[str, Held] = {}
    for i, slug in enumerate(slugs):
        take = order[bounds[i] : bounds[i + 1]]
        held[str(slug)] = Held(
            learner[take], start[take], end[take], active[take],
            keys[take], awarded[take], status[take],
        )  # fmt: skip
    return held


def _floats(df: pd.DataFrame, name: str, n: int) -> Floats:
    if name not in df.columns:
        return np.full(n, np.nan)
    return np.asarray(pd.to_numeric(df[name], errors="coerce").astype("float64"), dtype=float)


def _objects(df: pd.DataFrame, name: str, n: int) -> npt.NDArray[np.object_]:
    """The column as objects (missing values stay as they are: None, NaN or NA)."""
    if name not in df.columns:
        return np.full(n, None, dtype=object)
    values: npt.NDArray[np.object_] = df[name].to_numpy(dtype=object)
    return values
