"""The old row-by-row evaluator, kept as the oracle of the differential tests (old-syntax rules)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

import pandas as pd

from badgeflow.catalog import Achievement, Catalog
from badgeflow.models import (
    ACHIEVEMENT_ID,
    AWARD_COLUMNS,
    AWARD_KEY,
    AWARD_STATUS,
    AWARDED_AT,
    COURSE_ID,
    EVIDENCE_RECORD_IDS,
    LEARNER_EMAIL,
    LEARNER_NAME,
    OUTCOME,
    OUTCOME_COLUMNS,
    REASON,
    RECORD_KEY,
    SCORE,
    VALID_FROM,
    VALID_UNTIL,
)
from tests.badgeflow.rules._oracle_checks import Row, describe, problems, read_rows
from tests.badgeflow.rules.legacy import CourseRule, legacy_rules

__all__ = ["AWARDED", "NOT_YET_ELIGIBLE", "Evaluation", "award_key", "evaluate"]

AWARDED: Final = "awarded"
"""Outcome of a row that is evidence for an award (new or already held)."""
NOT_YET_ELIGIBLE: Final = "not_yet_eligible"
"""Outcome of a row that does not (yet) earn anything; REASON says why."""
ACTIVE: Final = "active"
_DATETIME: Final = "datetime64[us, UTC]"


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Result of `evaluate`.

    Attributes:
        awards: new awards only (`AWARD_COLUMNS`), one row per award key not already stored.
        outcomes: one row per input completion row (`OUTCOME_COLUMNS`), in input order.
    """

    awards: pd.DataFrame
    outcomes: pd.DataFrame


@dataclass(frozen=True)
class _Held:
    key: str
    valid_from: datetime
    valid_until: datetime | None
    active: bool

    def current(self, as_of: datetime) -> bool:
        """Active, started and not expired at `as_of`."""
        return (
            self.active
            and self.valid_from <= as_of
            and (self.valid_until is None or self.valid_until > as_of)
        )


@dataclass
class _Learner:
    email: str
    rows: list[Row] = field(default_factory=list)
    by_course: dict[str, list[Row]] = field(default_factory=dict)
    held: dict[str, list[_Held]] = field(default_factory=dict)
    earned: set[str] = field(default_factory=set)
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str | None:
        named = [r for r in sorted(self.rows, key=lambda r: r.order) if r.name]
        return named[-1].name if named else None


@dataclass
class _Conditions:
    dates: list[list[datetime]] = field(default_factory=list)
    evidence: list[list[Row]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def award_key(
    learner_email: str, achievement_id: str, *, valid_from: datetime, expires: bool
) -> str:
    """Compute the deterministic key of an award.

    Args:
        learner_email: the learner's normalised (lower-case) email.
        achievement_id: the achievement slug.
        valid_from: start of the award's validity.
        expires: whether the achievement expires; non-expiring awards have one period only.

    Returns:
        sha256 hex of ``email|achievement|period``, where period is ``perpetual`` or the
        ISO date (UTC) of `valid_from`.
    """
    period = valid_from.date().isoformat() if expires else "perpetual"
    return hashlib.sha256(f"{learner_email}|{achievement_id}|{period}".encode()).hexdigest()


def evaluate(
    completions: pd.DataFrame,
    catalog: Catalog,
    *,
    as_of: datetime,
    existing_awards: pd.DataFrame,
) -> Evaluation:
    """Decide which awards the completions earn, and what each completion row led to.

    Achievements are evaluated in topological order, so prerequisites earned in this same
    evaluation count. A prerequisite or held award counts only while it is active and not
    expired at `as_of`. See ``badge_catalog/README.md`` for the full semantics.

    Args:
        completions: accepted completion rows (`COMPLETION_COLUMNS` plus `RECORD_KEY`).
        catalog: the badge catalog.
        as_of: the evaluation clock (timezone-aware); completions after it are ignored.
        existing_awards: stored awards (`AWARD_KEY`, `LEARNER_EMAIL`, `ACHIEVEMENT_ID`,
            `VALID_FROM`, `VALID_UNTIL`, optional `AWARD_STATUS`); may be empty.

    Returns:
        The new awards and one outcome per completion row.

    Raises:
        ValueError: `as_of` is naive or a frame lacks a needed column.

    Examples:
        >>> evaluation = evaluate(completions, catalog, as_of=now, existing_awards=stored)
        >>> evaluation.awards[ACHIEVEMENT_ID].tolist()  # doctest: +SKIP
        ['data-foundations', 'sql-essentials']
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    rows = list(read_rows(completions))
    learners = _learners(rows, existing_awards)
    known_keys = set(existing_awards[AWARD_KEY].astype(str)) if len(existing_awards) else set()
    new: list[dict[str, Any]] = []
    for slug in catalog.topological_order():
        achievement = catalog.achievements[slug]
        for email in sorted(learners):
            new.extend(_award(achievement, learners[email], as_of, known_keys))
    return Evaluation(awards=_awards_frame(new), outcomes=_outcomes(rows, learners, catalog, as_of))


def _award(
    achievement: Achievement, learner: _Learner, as_of: datetime, known_keys: set[str]
) -> list[dict[str, Any]]:
    slug, days = achievement.slug, achievement.valid_for_days
    conditions = _conditions(achievement, learner, as_of)
    if conditions.missing:
        learner.notes[slug] = f"{slug}: still needs {'; '.join(conditions.missing)}"
        return []
    # Each condition is met at any of its dates; the rule is met when the last one is. An
    # award starts at the earliest such date; after it expires, a renewal starts at the
    # next date some condition is met again (all others having been met before).
    floor = max(min(dates) for dates in conditions.dates)
    candidates = sorted({d for dates in conditions.dates for d in dates if d >= floor})
    held = learner.held.setdefault(slug, [])
    awards: list[dict[str, Any]] = []
    next_from: datetime | None = None
    for at in candidates:
        if next_from is not None and at < next_from:
            continue
        covering = [h for h in held if h.active and (h.valid_until is None or h.valid_until > at)]
        key = award_key(learner.email, slug, valid_from=at, expires=days is not None)
        if covering:
            learner.earned.add(slug)
            ends = [h.valid_until for h in covering]
            if None in ends:
                break
            next_from = max(e for e in ends if e is not None)
            continue
        until = None if days is None else at + timedelta(days=days)
        if until is not None and until <= as_of:
            # The period this date would start has already ended: issuing a credential that
            # is expired on arrival helps nobody. A later qualifying date may still count.
            learner.notes[slug] = (
                f"{slug}: qualified on {at.date().isoformat()}, but that award would have "
                f"expired on {until.date().isoformat()}; complete it again to renew"
            )
            continue
        if key in known_keys:
            learner.notes[slug] = f"{slug}: the award for this period was revoked or suspended"
        else:
            known_keys.add(key)
            held.append(_Held(key=key, valid_from=at, valid_until=until, active=True))
            learner.earned.add(slug)
            awards.append(_record(key, achievement, learner, conditions, at, until))
        if until is None:
            break
        next_from = until
    return awards


def _conditions(achievement: Achievement, learner: _Learner, as_of: datetime) -> _Conditions:
    found = _Conditions()
    for rule in legacy_rules(achievement.rule).course_rules:
        rows = [r for r in learner.by_course.get(rule.course, []) if not problems(r, rule, as_of)]
        if rows:
            found.dates.append([r.at for r in rows if r.at is not None])
            found.evidence.append(rows)
        else:
            found.missing.append(describe(rule))
    for prerequisite in legacy_rules(achievement.rule).prerequisites:
        current = [h for h in learner.held.get(prerequisite, []) if h.current(as_of)]
        if current:
            found.dates.append([min(h.valid_from for h in current)])
        else:
            found.missing.append(f"the {prerequisite} badge")
    for hold in legacy_rules(achievement.rule).holds_rules:
        span = timedelta(days=hold.for_days)
        current = [
            h
            for h in learner.held.get(hold.holds, [])
            if h.current(as_of) and (h.valid_until is None or h.valid_until >= h.valid_from + span)
        ]
        if not current:
            if hold.holds not in legacy_rules(achievement.rule).prerequisites:
                found.missing.append(f"the {hold.holds} badge, held for {hold.for_days} days")
            continue
        since = min(h.valid_from for h in current)
        if since + span > as_of:
            held_days = (as_of - since).days
            found.missing.append(
                f"{hold.holds} held for {hold.for_days} days (held {held_days} so far)"
            )
        else:
            found.dates.append([since + span])
    return found


def _record(
    key: str,
    achievement: Achievement,
    learner: _Learner,
    conditions: _Conditions,
    at: datetime,
    until: datetime | None,
) -> dict[str, Any]:
    evidence: list[Row] = []
    score: float | None = None
    scored = False
    for rule, rows in zip(
        legacy_rules(achievement.rule).course_rules, conditions.evidence, strict=True
    ):
        chosen = max((r for r in rows if r.at is not None and r.at <= at), key=lambda r: r.order)
        evidence.append(chosen)
        if rule.min_score is not None and not scored:
            score, scored = chosen.score, True
    return {
        AWARD_KEY: key,
        LEARNER_EMAIL: learner.email,
        LEARNER_NAME: learner.name,
        ACHIEVEMENT_ID: achievement.slug,
        AWARDED_AT: at,
        VALID_FROM: at,
        VALID_UNTIL: until,
        SCORE: score,
        EVIDENCE_RECORD_IDS: tuple(sorted({r.key for r in evidence})),
    }


def _learners(rows: Iterable[Row], existing: pd.DataFrame) -> dict[str, _Learner]:
    learners: dict[str, _Learner] = {}
    for row in rows:
        learner = learners.setdefault(row.email, _Learner(row.email))
        learner.rows.append(row)
        learner.by_course.setdefault(row.course, []).append(row)
    for learner in learners.values():
        for course_rows in learner.by_course.values():
            course_rows.sort(key=lambda r: r.order)
    if not len(existing):
        return learners
    missing = [
        c
        for c in (AWARD_KEY, LEARNER_EMAIL, ACHIEVEMENT_ID, VALID_FROM, VALID_UNTIL)
        if c not in existing.columns
    ]
    if missing:
        raise ValueError(f"existing_awards frame lacks column(s): {', '.join(missing)}")
    starts = pd.to_datetime(existing[VALID_FROM], utc=True)
    ends = pd.to_datetime(existing[VALID_UNTIL], utc=True)
    statuses = (
        existing[AWARD_STATUS].tolist()
        if AWARD_STATUS in existing.columns
        else [ACTIVE] * len(existing)
    )
    for key, email, slug, start, end, status in zip(
        existing[AWARD_KEY],
        existing[LEARNER_EMAIL],
        existing[ACHIEVEMENT_ID],
        starts,
        ends,
        statuses,
        strict=True,
    ):
        normalised = str(email).strip().lower()
        learner = learners.setdefault(normalised, _Learner(normalised))
        learner.held.setdefault(str(slug), []).append(
            _Held(
                key=str(key),
                valid_from=start.to_pydatetime(),
                valid_until=None if pd.isna(end) else end.to_pydatetime(),
                active=status == ACTIVE,
            )
        )
    return learners


def _outcomes(
    rows: list[Row], learners: dict[str, _Learner], catalog: Catalog, as_of: datetime
) -> pd.DataFrame:
    users: dict[str, list[tuple[str, CourseRule]]] = {}
    for slug in catalog.topological_order():
        for rule in legacy_rules(catalog.achievements[slug].rule).course_rules:
            users.setdefault(rule.course, []).append((slug, rule))
    records = []
    for row in rows:
        learner = learners[row.email]
        reasons: list[str] = []
        outcome = NOT_YET_ELIGIBLE
        for slug, rule in users.get(row.course, []):
            found = problems(row, rule, as_of)
            if not found and slug in learner.earned:
                outcome, reasons = AWARDED, []
                break
            if found:
                reasons.append(f"{row.course}: {'; '.join(found)}")
            else:
                reasons.append(learner.notes.get(slug, f"{slug}: not awarded"))
        if row.course not in users:
            reasons.append(f"{row.course}: no achievement uses this course")
        records.append(
            {
                RECORD_KEY: row.key,
                LEARNER_EMAIL: row.email,
                COURSE_ID: row.course,
                OUTCOME: outcome,
                REASON: "; ".join(dict.fromkeys(reasons)),
            }
        )
    return pd.DataFrame.from_records(records, columns=list(OUTCOME_COLUMNS))


def _awards_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    records.sort(key=lambda r: (r[AWARDED_AT], r[LEARNER_EMAIL], r[ACHIEVEMENT_ID]))
    frame = pd.DataFrame.from_records(records, columns=list(AWARD_COLUMNS))
    for column in (AWARDED_AT, VALID_FROM, VALID_UNTIL):
        frame[column] = pd.to_datetime(frame[column], utc=True).astype(_DATETIME)
    frame[SCORE] = frame[SCORE].astype("float64")
    return frame
