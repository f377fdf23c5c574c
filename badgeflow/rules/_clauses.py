"""Clause trees evaluated for every learner at once (semantics: `badgeflow.criteria.nodes`).

Each clause gives, per learner, whether it is met at ``as_of`` and the earliest date it was
met (`UNDATED` when it is met with no date). Leaves also report their *events* (every date
they were met at), from which renewals start.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from badgeflow.criteria import (
    AllOf,
    AnyOf,
    AssessmentPassed,
    AtLeast,
    Clause,
    CourseCompleted,
    HoldsBadge,
    InCohort,
    Not,
)
from badgeflow.models import ATTESTATION, ATTESTED_AT, COHORT, JOINED_AT, LEARNER_EMAIL
from badgeflow.rules._inputs import DAY, NEVER, UNDATED, Bools, Held, Ints, Learners, Rows, times

__all__ = [
    "Context",
    "Facts",
    "Met",
    "combine",
    "course_leaves",
    "evaluate_clause",
    "holding",
    "read_facts",
]

FINAL_ASSESSMENT = "final_assessment"


@dataclass
class Met:
    """Per learner: met at ``as_of``, and since when (`NEVER` when not met)."""

    met: Bools
    date: Ints


@dataclass
class Facts:
    """A file fact (cohort membership or attestation): learner, name and date per row."""

    learner: Ints
    name: np.ndarray
    at: Ints

    @classmethod
    def read(cls, df: pd.DataFrame | None, name: str, at: str, learners: Learners) -> Facts:
        """Read a cohort or attestation frame (None or empty: no facts)."""
        if df is None or not len(df):
            return cls(np.empty(0, np.int64), np.empty(0, object), np.empty(0, np.int64))
        return cls(
            learners.encode(df[LEARNER_EMAIL]),
            df[name].astype(str).to_numpy(dtype=object),
            times(df[at]) if at in df.columns else np.full(len(df), UNDATED, np.int64),
        )


@dataclass
class Context:
    """Everything clauses are evaluated against, plus what leaves found (for reasons)."""

    rows: Rows
    held: dict[str, Held]
    cohorts: Facts
    attestations: Facts
    as_of: int
    size: int
    qualifying: dict[CourseCompleted | AssessmentPassed, Ints] = field(default_factory=dict)

    def held_of(self, slug: str) -> Held:
        """The awards of an achievement held so far (stored and new)."""
        return self.held.get(slug, Held.empty())

    def current(self, slug: str) -> Bools:
        """Per learner: holds a current award of the achievement at ``as_of``."""
        held = self.held_of(slug)
        out = np.zeros(self.size, dtype=bool)
        out[held.learner[held.current(self.as_of)]] = True
        return out


def read_facts(
    cohorts: pd.DataFrame | None, attestations: pd.DataFrame | None, learners: Learners
) -> tuple[Facts, Facts]:
    """Read the cohort and attestation frames (COHORT_COLUMNS, ATTESTATION_COLUMNS)."""
    return (
        Facts.read(cohorts, COHORT, JOINED_AT, learners),
        Facts.read(attestations, ATTESTATION, ATTESTED_AT, learners),
    )


def evaluate_clause(
    clause: Clause, ctx: Context, events: list[tuple[Ints, Ints]] | None = None
) -> Met:
    """Evaluate a clause for every learner; append each leaf's events to `events`.

    Args:
        clause: the clause.
        ctx: the data.
        events: where leaves add (learner, date) arrays of the dates they were met at; None
            to skip (inside `Not`, events never start anything).

    Returns:
        Per learner, met and since when.
    """
    if isinstance(clause, AllOf | AnyOf | AtLeast):
        return combine(clause, [evaluate_clause(c, ctx, events) for c in clause.clauses])
    if isinstance(clause, Not):
        inner = evaluate_clause(clause.clause, ctx, None)
        return Met(~inner.met, np.where(inner.met, NEVER, UNDATED))
    if isinstance(clause, CourseCompleted | AssessmentPassed):
        return _course(clause, ctx, events)
    if isinstance(clause, HoldsBadge):
        return _holds(clause, ctx, events)
    facts = ctx.cohorts if isinstance(clause, InCohort) else ctx.attestations
    name = clause.cohort if isinstance(clause, InCohort) else clause.attestation
    take = (facts.name == name) & (facts.at <= ctx.as_of)
    return _earliest(facts.learner[take], facts.at[take], ctx, events)


def combine(clause: AllOf | AnyOf | AtLeast, parts: list[Met]) -> Met:
    """Combine the evaluations of a combinator's clauses (in order) into its own."""
    met = np.vstack([p.met for p in parts])
    dates = np.vstack([p.date for p in parts])
    k = len(parts) if isinstance(clause, AllOf) else 1 if isinstance(clause, AnyOf) else clause.k
    return _at_least(k, met, dates)


def _at_least(k: int, met: Bools, dates: Ints) -> Met:
    # The k-th earliest date of the met clauses; undated ones count as met from the start,
    # but never become the date themselves ("ignored when taking the latest/earliest").
    count = met.sum(axis=0)
    if k == len(dates):  # all of: the latest date (UNDATED is the smallest value)
        ok = count == k
        return Met(ok, np.where(ok, np.where(met, dates, NEVER).max(axis=0), NEVER))
    if k == 1:  # any of: the earliest dated clause, else undated
        ok = count >= 1
        date = np.where(met & (dates != UNDATED), dates, NEVER).min(axis=0)
        return Met(ok, np.where(ok & (date == NEVER), UNDATED, date))
    undated = (met & (dates == UNDATED)).sum(axis=0)
    ordered = np.sort(np.where(met & (dates != UNDATED), dates, NEVER), axis=0)
    need = np.clip(k - undated, 1, len(dates)) - 1
    date = np.take_along_axis(ordered, need[None, :], axis=0)[0]
    ok = count >= k
    date = np.where(ok & (date == NEVER), UNDATED, date)
    return Met(ok, np.where(ok, date, NEVER))


def _earliest(learner: Ints, at: Ints, ctx: Context, events: list[tuple[Ints, Ints]] | None) -> Met:
    date = np.full(ctx.size, NEVER, dtype=np.int64)
    np.minimum.at(date, learner, at)
    if events is not None:
        dated = at != UNDATED
        events.append((learner[dated], at[dated]))
    return Met(date != NEVER, date)


def _course(
    leaf: CourseCompleted | AssessmentPassed, ctx: Context, events: list[tuple[Ints, Ints]] | None
) -> Met:
    rows = ctx.rows
    span = rows.courses.get(leaf.course, slice(0, 0))
    ok = rows.completed[span] & (rows.at[span] != UNDATED) & (rows.at[span] <= ctx.as_of)
    score = rows.score[span]
    if leaf.source is not None:
        ok &= rows.source[span] == rows.sources.get(leaf.source, -2)
    if isinstance(leaf, AssessmentPassed):
        ok &= (score >= leaf.pass_mark) & rows.final[span]
    else:
        done, total = rows.done[span], rows.total[span]
        if leaf.min_score is not None:
            ok &= score >= leaf.min_score
        if leaf.min_modules is not None:
            ok &= done >= leaf.min_modules
        if leaf.all_modules:
            ok &= (done == total) & ~np.isnan(done)
    found = np.flatnonzero(ok) + (span.start or 0)
    ctx.qualifying[leaf] = found
    # rows are sorted by learner then time within a course: the first row is the earliest
    first = np.flatnonzero(np.r_[True, rows.learner[found][1:] != rows.learner[found][:-1]])
    date = np.full(ctx.size, NEVER, dtype=np.int64)
    if len(found):
        date[rows.learner[found[first]]] = rows.at[found[first]]
    if events is not None:
        events.append((rows.learner[found], rows.at[found]))
    return Met(date != NEVER, date)


def holding(leaf: HoldsBadge, ctx: Context) -> tuple[Ints, Bools]:
    """Per learner: the earliest start of a current award long enough for ``for_days``.

    Returns:
        (start or `NEVER`, whether that start plus ``for_days`` is at or before ``as_of``).
    """
    held = ctx.held_of(leaf.achievement)
    span = leaf.for_days * DAY
    long_enough = held.current(ctx.as_of) & ((held.end == NEVER) | (held.end >= held.start + span))
    since = np.full(ctx.size, NEVER, dtype=np.int64)
    np.minimum.at(since, held.learner[long_enough], held.start[long_enough])
    return since, (since != NEVER) & (since <= ctx.as_of - span)


def _holds(leaf: HoldsBadge, ctx: Context, events: list[tuple[Ints, Ints]] | None) -> Met:
    since, ok = holding(leaf, ctx)
    date = np.where(ok, since + leaf.for_days * DAY, NEVER)
    if events is not None:
        # Every current award held long enough is an event, not only the earliest: a renewed
        # prerequisite (a new award beside the old one) can renew the badges that hold it.
        held, span = ctx.held_of(leaf.achievement), leaf.for_days * DAY
        due = held.start + span
        take = (
            held.current(ctx.as_of) & (due <= ctx.as_of) & ((held.end == NEVER) | (due < held.end))
        )
        events.append((held.learner[take], due[take]))
    return Met(ok, date)


def course_leaves(clause: Clause) -> list[CourseCompleted | AssessmentPassed]:
    """Course leaves of a rule that count as evidence (not under `Not`), in written order."""
    if isinstance(clause, CourseCompleted | AssessmentPassed):
        return [clause]
    if isinstance(clause, AllOf | AnyOf | AtLeast):
        return [leaf for c in clause.clauses for leaf in course_leaves(c)]
    return []
