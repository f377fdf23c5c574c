"""One learner's facts, normalised from the store's frames, as the explainer reads them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from badgeflow.models import (
    ACHIEVEMENT_ID,
    ATTESTATION,
    ATTESTED_AT,
    ATTESTED_BY,
    AWARD_KEY,
    AWARD_STATUS,
    COHORT,
    COMPLETED,
    COMPLETED_AT,
    COURSE_ID,
    JOINED_AT,
    LEARNER_EMAIL,
    MODULES_COMPLETED,
    MODULES_TOTAL,
    RECORD_KEY,
    SCORE,
    SCORE_KIND,
    SOURCE,
    VALID_FROM,
    VALID_UNTIL,
)

__all__ = ["Attestation", "Completion", "Held", "LearnerFacts", "Membership"]


@dataclass(frozen=True)
class Completion:
    """A completion row, normalised (missing values are None)."""

    key: str
    source: str | None
    course: str
    completed: bool
    at: datetime | None
    score: float | None
    score_kind: str | None
    modules_done: int | None
    modules_total: int | None


@dataclass(frozen=True)
class Held:
    """An award: stored (any status), or one this evaluation would make (``stored=False``)."""

    key: str
    achievement: str
    valid_from: datetime
    valid_until: datetime | None
    status: str = "active"
    stored: bool = True

    def current(self, as_of: datetime) -> bool:
        """Active, started and not ended at `as_of`."""
        return (
            self.status == "active"
            and self.valid_from <= as_of
            and (self.valid_until is None or self.valid_until > as_of)
        )


@dataclass(frozen=True)
class Membership:
    """A line of the cohort file."""

    cohort: str
    joined_at: datetime | None


@dataclass(frozen=True)
class Attestation:
    """A line of the attestation file."""

    attestation: str
    attested_by: str
    at: datetime


@dataclass(frozen=True)
class LearnerFacts:
    """Everything known about one learner that a rule can test."""

    email: str
    completions: tuple[Completion, ...] = ()
    awards: tuple[Held, ...] = ()
    cohorts: tuple[Membership, ...] = ()
    attestations: tuple[Attestation, ...] = ()

    @classmethod
    def from_frames(
        cls,
        email: str,
        *,
        completions: pd.DataFrame | None = None,
        awards: pd.DataFrame | None = None,
        cohorts: pd.DataFrame | None = None,
        attestations: pd.DataFrame | None = None,
    ) -> LearnerFacts:
        """Pick one learner's rows out of the frames the store and `badgeflow.facts` return.

        Args:
            email: the learner (any spelling; normalised here).
            completions: `COMPLETION_COLUMNS` plus `RECORD_KEY`, any learners.
            awards: `AWARD_COLUMNS` (plus `AWARD_STATUS`; missing means active), any learners.
            cohorts: `COHORT_COLUMNS`.
            attestations: `ATTESTATION_COLUMNS`.

        Returns:
            The learner's facts.
        """
        email = email.strip().lower()
        return cls(
            email=email,
            completions=tuple(
                Completion(
                    key=str(r[RECORD_KEY]),
                    source=_text(r.get(SOURCE)),
                    course=str(r[COURSE_ID]),
                    completed=_present(r.get(COMPLETED)) and bool(r.get(COMPLETED)),
                    at=_when(r.get(COMPLETED_AT)),
                    score=_number(r.get(SCORE)),
                    score_kind=_text(r.get(SCORE_KIND)),
                    modules_done=_count(r.get(MODULES_COMPLETED)),
                    modules_total=_count(r.get(MODULES_TOTAL)),
                )
                for r in _rows(completions, email)
            ),
            awards=tuple(
                Held(
                    key=str(r[AWARD_KEY]),
                    achievement=str(r[ACHIEVEMENT_ID]),
                    valid_from=_required_when(r[VALID_FROM]),
                    valid_until=_when(r.get(VALID_UNTIL)),
                    status=str(r.get(AWARD_STATUS) or "active"),
                )
                for r in _rows(awards, email)
            ),
            cohorts=tuple(
                Membership(str(r[COHORT]), _when(r.get(JOINED_AT))) for r in _rows(cohorts, email)
            ),
            attestations=tuple(
                Attestation(
                    str(r[ATTESTATION]), str(r[ATTESTED_BY]), _required_when(r[ATTESTED_AT])
                )
                for r in _rows(attestations, email)
            ),
        )


def _rows(frame: pd.DataFrame | None, email: str) -> list[dict[str, Any]]:
    if frame is None or not len(frame):
        return []
    mine = frame[frame[LEARNER_EMAIL].astype(str).str.strip().str.lower() == email]
    records: list[dict[str, Any]] = mine.to_dict("records")
    return records


def _present(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return False
    return not (isinstance(value, float) and math.isnan(value))


def _text(value: Any) -> str | None:
    return str(value) if _present(value) and str(value).strip() else None


def _number(value: Any) -> float | None:
    return float(value) if _present(value) else None


def _count(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def _when(value: Any) -> datetime | None:
    if not _present(value):
        return None
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    result: datetime = stamp.to_pydatetime()
    return result


def _required_when(value: Any) -> datetime:
    when = _when(value)
    if when is None:
        raise ValueError("a stored award or attestation lacks its date")
    return when
