"""Criteria and pathway evaluation over whole frames: completions and awards in, decisions out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import numpy as np
import pandas as pd

from badgeflow.catalog import Catalog
from badgeflow.criteria import AllOf, AssessmentPassed, Clause, CourseCompleted
from badgeflow.models import REVOCATION_COLUMNS
from badgeflow.rules._clauses import (
    Context,
    Met,
    combine,
    course_leaves,
    evaluate_clause,
    read_facts,
)
from badgeflow.rules._expiry import apply_prerequisite_expiry, suspending
from badgeflow.rules._frames import Award, Users, awards_frame, outcomes_frame
from badgeflow.rules._inputs import DAY, UNDATED, Held, Ints, Learners, Rows, micros, read_held
from badgeflow.rules._periods import LAPSED, REVOKED, Periods, decide, to_datetime
from badgeflow.rules._reasons import Texts, needs

__all__ = ["AWARDED", "NOT_YET_ELIGIBLE", "Evaluation", "evaluate"]

AWARDED: Final = "awarded"
"""Outcome of a row that is evidence for an award (new or already held)."""
NOT_YET_ELIGIBLE: Final = "not_yet_eligible"
"""Outcome of a row that does not (yet) earn anything; REASON says why."""


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Result of `evaluate`.

    Attributes:
        awards: new awards only (`AWARD_COLUMNS`), one row per award key not already stored.
        outcomes: one row per input completion row (`OUTCOME_COLUMNS`), in input order.
        revocations: stored awards whose status must change (`REVOCATION_COLUMNS`): pathway
            tiers suspended because a required badge is no longer current, or reinstated
            (status ``active``) because it is current again.
    """

    awards: pd.DataFrame
    outcomes: pd.DataFrame
    revocations: pd.DataFrame


def evaluate(
    completions: pd.DataFrame,
    catalog: Catalog,
    *,
    as_of: datetime,
    existing_awards: pd.DataFrame,
    cohorts: pd.DataFrame | None = None,
    attestations: pd.DataFrame | None = None,
) -> Evaluation:
    """Decide which awards the completions earn, and what each completion row led to.

    Every achievement's rule (`Achievement.rule`) is evaluated for all learners at once, in
    topological order, so badges earned in this same evaluation count for the next tier.
    The semantics (dates, expiry, renewal) are those of `badgeflow.criteria.nodes`; a
    renewal keeps the first award's ``awarded_at`` and starts a new validity period.

    Args:
        completions: accepted completion rows (`COMPLETION_COLUMNS` plus `RECORD_KEY`).
        catalog: the badge catalog.
        as_of: the evaluation clock (timezone-aware); facts dated after it are ignored.
        existing_awards: stored awards (`AWARD_KEY`, `LEARNER_EMAIL`, `ACHIEVEMENT_ID`,
            `VALID_FROM`, `VALID_UNTIL`, optional `AWARDED_AT` and `AWARD_STATUS`).
        cohorts: cohort memberships (`COHORT_COLUMNS`), or None.
        attestations: attestations (`ATTESTATION_COLUMNS`), or None.

    Returns:
        The new awards, one outcome per completion row, and the status changes.

    Raises:
        ValueError: `as_of` is naive or a frame lacks a needed column.

    Examples:
        >>> evaluation = evaluate(completions, catalog, as_of=now, existing_awards=stored)
        >>> evaluation.awards[ACHIEVEMENT_ID].tolist()  # doctest: +SKIP
        ['data-foundations', 'sql-essentials']
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    learners = Learners()
    rows = Rows.read(completions, learners)
    held = read_held(existing_awards, learners)
    facts = read_facts(cohorts, attestations, learners)
    known = {str(k) for h in held.values() for k in h.key}
    ctx = Context(rows, held, *facts, as_of=micros(as_of), size=len(learners))
    texts = Texts()
    suspend = suspending(catalog)
    earned: dict[str, np.ndarray] = {}
    notes: dict[str, Ints] = {}
    awards: list[Award] = []
    revocations: list[dict[str, Any]] = []
    for slug in catalog.topological_order():
        achievement = catalog.achievements[slug]
        rule = achievement.rule
        if slug in suspend:
            revocations.extend(apply_prerequisite_expiry(slug, rule, ctx, learners))
        events: list[tuple[Ints, Ints]] = []
        parts = _parts(rule, ctx, events)
        met = combine(rule, parts) if isinstance(rule, AllOf) else parts[0]
        days = achievement.valid_for_days
        periods = decide(
            slug, days, met, events, ctx, learners, known, window=achievement.renewal_window_days
        )
        ctx.held[slug] = ctx.held_of(slug).add(periods.new)
        awards.append(Award(slug, periods.new, *_evidence(course_leaves(rule), periods.new, ctx)))
        earned[slug] = ctx.current(slug)
        notes[slug] = _notes(slug, days, rule, parts, met, periods, earned[slug], ctx, texts)
    users: Users = {}
    for slug in catalog.topological_order():
        for leaf in course_leaves(catalog.achievements[slug].rule):
            users.setdefault(leaf.course, []).append((slug, leaf))
    return Evaluation(
        awards=awards_frame(awards, rows, learners),
        outcomes=outcomes_frame(
            ctx, users, earned, notes, learners, texts, AWARDED, NOT_YET_ELIGIBLE
        ),
        revocations=pd.DataFrame.from_records(revocations, columns=list(REVOCATION_COLUMNS)),
    )


def _parts(rule: Clause, ctx: Context, events: list[tuple[Ints, Ints]]) -> list[Met]:
    clauses = rule.clauses if isinstance(rule, AllOf) else (rule,)
    return [evaluate_clause(c, ctx, events) for c in clauses]


def _notes(
    slug: str,
    days: int | None,
    rule: Clause,
    parts: list[Met],
    met: Met,
    periods: Periods,
    earned: np.ndarray,
    ctx: Context,
    texts: Texts,
) -> Ints:
    """Per learner, the id of the reason this achievement is not held (0 when held).

    Only learners with a row meeting one of the rule's course clauses are described: they
    are the only ones the reason is shown to (the outcome of such a row).
    """
    shown = np.zeros(ctx.size, dtype=bool)
    for leaf in course_leaves(rule):
        shown[ctx.rows.learner[ctx.qualifying[leaf]]] = True
    shown &= ~earned
    out = np.zeros(ctx.size, dtype=np.int64)
    who = np.flatnonzero(shown)
    out[who] = needs(slug, rule, parts, who, ctx, texts)
    waiting = met.met & shown
    out[waiting] = texts.id(f"{slug}: not awarded")
    expired = waiting & (periods.ended != UNDATED) & (periods.ended <= ctx.as_of)
    _by_date(
        out,
        expired,
        periods.ended,
        texts,
        "{slug}: the award expired on {0}; complete it again to renew",
        slug,
        0,
    )
    out[waiting & (periods.why == REVOKED)] = texts.id(
        f"{slug}: the award for this period was revoked or suspended"
    )
    _by_date(
        out,
        waiting & (periods.why == LAPSED),
        periods.lapsed_on,
        texts,
        "{slug}: qualified on {0}, but that award would have expired on {1}; "
        "complete it again to renew",
        slug,
        days or 0,
    )
    return out


def _by_date(
    out: Ints, where: np.ndarray, dates: Ints, texts: Texts, template: str, slug: str, days: int
) -> None:
    """Set ``out[where]`` to the id of `template` formatted with each learner's date."""
    distinct, inverse = np.unique(dates[where], return_inverse=True)
    ids = [
        texts.id(template.format(_day(d), _day(d + days * DAY), slug=slug))
        for d in distinct.tolist()
    ]
    out[where] = np.asarray(ids, dtype=np.int64)[inverse]


def _day(micros: int) -> str:
    return to_datetime(micros).date().isoformat()


def _evidence(
    leaves: list[CourseCompleted | AssessmentPassed], new: Held, ctx: Context
) -> tuple[np.ndarray, np.ndarray]:
    """Per new award, the latest qualifying row of each course leaf at or before its start.

    Returns:
        (row indices, one column per leaf, -1 where none; the score of the first leaf with a
        score threshold that has a row, NaN when none).
    """
    rows = ctx.rows
    chosen = np.full((len(new.learner), len(leaves)), -1, dtype=np.int64)
    score = np.full(len(new.learner), np.nan)
    scored = np.zeros(len(new.learner), dtype=bool)
    for j, leaf in enumerate(leaves):
        found = ctx.qualifying[leaf]
        if not len(found) or not len(new.learner):
            continue
        learner, at = rows.learner[found], rows.at[found]
        instants = np.unique(np.concatenate([at, new.start]))
        base = len(instants) + 1
        ranked = learner * base + np.searchsorted(instants, at)
        wanted = new.learner * base + np.searchsorted(instants, new.start)
        pos = np.searchsorted(ranked, wanted, side="right") - 1
        ok = (pos >= 0) & (learner[pos.clip(0)] == new.learner)
        chosen[ok, j] = found[pos[ok]]
        if isinstance(leaf, AssessmentPassed) or leaf.min_score is not None:
            take = ok & ~scored
            score[take] = rows.score[chosen[take, j]]
            scored |= take
    return chosen, score
