"""Why a learner did (not) earn an achievement: a per-learner interpreter of the clause tree.

It follows the semantics in `badgeflow.criteria.nodes` clause by clause, keeping the data
behind each result, so ``badgeflow explain`` can show it and the vectorised evaluator can be
tested against it. One choice the node docstring leaves open: a met clause *with no date*
(`InCohort` without ``joined_at``, `Not`) counts towards `AtLeast`'s ``k`` but gives no
date, so the date is the ``max(1, k - undated)``-th earliest of the dated ones (for `AnyOf`
the earliest dated, for `AllOf` the latest, as the docstring says).

Example::

    facts = LearnerFacts.from_frames(email, completions=df, awards=awards)
    result = explain(catalog.achievement("data-applied"), facts, as_of=now, catalog=catalog)
    print(render_text(result))  # badgeflow.rules.explain_render
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from badgeflow.catalog import Achievement, Catalog
from badgeflow.criteria import AllOf, AnyOf, AtLeast, Clause, Not, Where
from badgeflow.rules._explain_facts import Held, LearnerFacts
from badgeflow.rules._explain_leaves import Evidence, HeldLookup, check_leaf, describe
from badgeflow.rules._periods import award_key

__all__ = [
    "ClauseResult",
    "Evidence",
    "Explanation",
    "Held",
    "LearnerFacts",
    "award_periods",
    "evaluate_clause",
    "explain",
    "new_awards",
]


@dataclass(frozen=True)
class ClauseResult:
    """One clause at ``as_of``, with its children.

    Attributes:
        clause: the clause.
        text: what it needs, in words.
        met: whether it is met at ``as_of``.
        met_at: the earliest date it became met (None when unmet, or met with no date).
        reason: the data that met it, or why it failed.
        evidence: the rows, awards, cohort lines or sign-offs looked at.
        children: results of the clauses below it.
        events: for a leaf, every date it was met on (renewals start at one of them).
    """

    clause: Clause
    text: str
    met: bool
    met_at: datetime | None
    reason: str
    evidence: tuple[Evidence, ...] = ()
    children: tuple[ClauseResult, ...] = ()
    events: tuple[datetime, ...] = ()

    @property
    def where(self) -> Where | None:
        """File and line the clause was written at, when known."""
        return self.clause.where

    def all_events(self) -> list[datetime]:
        """Every leaf event in this subtree, outside `Not` (an absence has no date)."""
        if isinstance(self.clause, Not):
            return []
        found = list(self.events)
        for child in self.children:
            found.extend(child.all_events())
        return found


@dataclass(frozen=True)
class Explanation:
    """An achievement's rule evaluated for one learner.

    Attributes:
        learner_email: the learner.
        achievement: the achievement slug.
        as_of: the evaluation clock.
        result: the rule's result tree.
        held: the learner's stored awards of this achievement (any status).
        periods: the validity periods the rule gives (start, end or None) that are current
            at ``as_of`` or later; empty when the rule is not met or every period has ended.
    """

    learner_email: str
    achievement: str
    as_of: datetime
    result: ClauseResult
    held: tuple[Held, ...] = ()
    periods: tuple[tuple[datetime, datetime | None], ...] = field(default_factory=tuple)

    @property
    def holds(self) -> bool:
        """True when a stored award of the achievement is current at ``as_of``."""
        return any(h.current(self.as_of) for h in self.held)


def explain(
    achievement: Achievement,
    facts: LearnerFacts,
    *,
    as_of: datetime,
    catalog: Catalog | None = None,
) -> Explanation:
    """Explain an achievement's rule for one learner.

    Args:
        achievement: the achievement.
        facts: the learner's completions, awards, cohorts and attestations.
        as_of: the evaluation clock (timezone-aware).
        catalog: when given, a badge the learner does not hold yet counts as held if its own
            rule gives it in this same evaluation (as the batch would award it first).

    Returns:
        The explanation.

    Raises:
        ValueError: `as_of` is naive.
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    lookup = _lookup(facts, catalog)
    result = evaluate_clause(achievement.rule, facts, as_of=as_of, held=lookup)
    periods = award_periods(achievement, facts, as_of=as_of, held=lookup)
    mine = tuple(h for h in facts.awards if h.achievement == achievement.slug)
    return Explanation(facts.email, achievement.slug, as_of, result, mine, tuple(periods))


def evaluate_clause(
    clause: Clause, facts: LearnerFacts, *, as_of: datetime, held: HeldLookup | None = None
) -> ClauseResult:
    """Evaluate a clause tree for one learner at `as_of`.

    Args:
        clause: the rule (any node of `badgeflow.criteria`).
        facts: the learner's data.
        as_of: the evaluation clock.
        held: the learner's awards of an achievement; default: stored awards only.

    Returns:
        The result tree.
    """
    lookup = held or _lookup(facts, None)
    if isinstance(clause, Not):
        child = evaluate_clause(clause.clause, facts, as_of=as_of, held=lookup)
        reason = f"{child.text}: not met, as required" if not child.met else f"{child.text} is met"
        return ClauseResult(clause, "not", not child.met, None, reason, children=(child,))
    if isinstance(clause, AllOf | AnyOf | AtLeast):
        children = tuple(
            evaluate_clause(c, facts, as_of=as_of, held=lookup) for c in clause.clauses
        )
        k = (
            len(children)
            if isinstance(clause, AllOf)
            else 1
            if isinstance(clause, AnyOf)
            else clause.k
        )
        return _combine(clause, k, children)
    outcome = check_leaf(clause, facts, as_of, lookup)
    return ClauseResult(
        clause,
        describe(clause),
        outcome.met,
        min(outcome.events) if outcome.events else None,
        outcome.reason,
        outcome.evidence,
        events=outcome.events,
    )


def award_periods(
    achievement: Achievement,
    facts: LearnerFacts,
    *,
    as_of: datetime,
    held: HeldLookup | None = None,
) -> list[tuple[datetime, datetime | None]]:
    """The validity period an achievement's rule would start for the learner at `as_of`.

    The candidate starts are the date the rule became met (`as_of` when it has no date) and
    every later leaf event up to `as_of`; a candidate must not fall inside an active stored
    award of the achievement (that award covers it). The first candidate whose period would
    still run at `as_of` starts the award: an expiring achievement's period that would
    already be over is skipped (expired on arrival) and blocks nothing, so a learner who
    re-completed a yearly course within the last year gets the current period even on the
    first run over years of history.

    Args:
        achievement: the achievement.
        facts: the learner's data.
        as_of: the evaluation clock.
        held: the learner's awards of an achievement; default: stored awards only.

    Returns:
        ``(valid_from, valid_until)`` pairs: at most one.
    """
    lookup = held or _lookup(facts, None)
    result = evaluate_clause(achievement.rule, facts, as_of=as_of, held=lookup)
    if not result.met:
        return []
    first = result.met_at or as_of
    covered = [
        h.valid_until
        for h in facts.awards
        if h.achievement == achievement.slug and h.status == "active"
    ]
    if None in covered:  # a never-ending award covers everything
        return [(first, None)] if achievement.valid_for_days is None else []
    window = timedelta(days=achievement.renewal_window_days or 0)
    floor = max([first, *(c - window for c in covered if c is not None)])
    if achievement.valid_for_days is None:
        return [(floor, None)] if floor <= as_of else []
    span = timedelta(days=achievement.valid_for_days)
    candidates = sorted({first, *result.all_events()})
    for start in candidates:
        if floor <= start <= as_of and start + span > as_of:
            return [(start, start + span)]
    return []


def new_awards(catalog: Catalog, facts: LearnerFacts, *, as_of: datetime) -> list[Held]:
    """The awards a batch at `as_of` should make for one learner, per the reference semantics.

    Achievements are taken in topological order, so a prerequisite made in this evaluation
    counts for the next tier. A period whose award key is already stored (in any status) is
    not made again.

    Args:
        catalog: the catalog.
        facts: the learner's data, with the awards already stored.
        as_of: the batch clock.

    Returns:
        The new awards (``stored=False``), prerequisites first.
    """
    lookup = _lookup(facts, catalog)
    return [
        h
        for slug in catalog.topological_order()
        for h in lookup(slug, as_of)
        if not h.stored and h.valid_from <= as_of
    ]


def _combine(
    clause: AllOf | AnyOf | AtLeast, k: int, children: Sequence[ClauseResult]
) -> ClauseResult:
    met = [c for c in children if c.met]
    dated = sorted(c.met_at for c in met if c.met_at is not None)
    undated = len(met) - len(dated)
    ok = len(met) >= k
    needed = max(1, k - undated)
    met_at = dated[needed - 1] if ok and len(dated) >= needed else None
    n = len(children)
    text = {AllOf: "all of", AnyOf: "any of"}.get(type(clause), f"at least {k} of {n}")
    reason = f"{len(met)} of {n} met" + ("" if ok else f", needs {k}")
    return ClauseResult(clause, text, ok, met_at, reason, children=tuple(children))


def _lookup(facts: LearnerFacts, catalog: Catalog | None) -> HeldLookup:
    """Awards of an achievement: stored ones, plus (with a catalog) what this run would make."""
    made: dict[tuple[str, datetime], tuple[Held, ...]] = {}

    def held(slug: str, as_of: datetime) -> tuple[Held, ...]:
        stored = tuple(h for h in facts.awards if h.achievement == slug)
        if catalog is None or slug not in catalog.achievements:
            return stored
        if (slug, as_of) not in made:
            achievement = catalog.achievements[slug]
            expires = achievement.valid_for_days is not None
            known = {h.key for h in stored}
            new = []
            for start, end in award_periods(achievement, facts, as_of=as_of, held=held):
                key = award_key(facts.email, slug, valid_from=start, expires=expires)
                if key not in known:  # a stored period (even revoked) is never made again
                    new.append(Held(key, slug, start, end, stored=False))
            made[slug, as_of] = tuple(new)
        return stored + made[slug, as_of]

    return held
