"""The leaves of a rule, for one learner: when each is met, on what data, or why not."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from badgeflow.criteria import AssessmentPassed, Attested, CourseCompleted, HoldsBadge, InCohort
from badgeflow.rules._explain_facts import Completion, Held, LearnerFacts

__all__ = ["Evidence", "LeafOutcome", "check_leaf", "describe", "number"]

FINAL_ASSESSMENT = "final_assessment"
_SHOWN = 3  # failing rows quoted per clause, newest first


@dataclass(frozen=True)
class Evidence:
    """One piece of data behind a clause's result (a completion, award, cohort or sign-off)."""

    kind: str
    at: datetime | None
    fields: dict[str, str | float | int | None] = field(default_factory=dict)


@dataclass(frozen=True)
class LeafOutcome:
    """A leaf at ``as_of``: its events (dates it was met), or met with no date, and why."""

    events: tuple[datetime, ...]
    undated: bool
    reason: str
    evidence: tuple[Evidence, ...]

    @property
    def met(self) -> bool:
        """Met at ``as_of`` (on some date, or with none)."""
        return bool(self.events) or self.undated


HeldLookup = Callable[[str, datetime], Sequence[Held]]
"""The awards of an achievement the learner has at a date (stored, or made in this evaluation)."""


def check_leaf(
    leaf: CourseCompleted | AssessmentPassed | InCohort | Attested | HoldsBadge,
    facts: LearnerFacts,
    as_of: datetime,
    held: HeldLookup,
) -> LeafOutcome:
    """Evaluate one leaf for one learner (semantics: `badgeflow.criteria.nodes`).

    Args:
        leaf: the clause.
        facts: the learner's data.
        as_of: the evaluation clock; facts dated after it do not exist yet.
        held: the learner's awards of an achievement.

    Returns:
        The leaf's events, reason and evidence.
    """
    if isinstance(leaf, CourseCompleted | AssessmentPassed):
        return _course(leaf, facts, as_of)
    if isinstance(leaf, InCohort):
        return _cohort(leaf, facts, as_of)
    if isinstance(leaf, Attested):
        return _attested(leaf, facts, as_of)
    return _holds(leaf, held(leaf.achievement, as_of), as_of)


def describe(leaf: CourseCompleted | AssessmentPassed | InCohort | Attested | HoldsBadge) -> str:
    """Say what a leaf needs, e.g. ``DS390 completed with score >= 70``."""
    if isinstance(leaf, CourseCompleted):
        parts = []
        if leaf.min_score is not None:
            parts.append(f"score >= {number(leaf.min_score)}")
        if leaf.min_modules is not None:
            parts.append(f"at least {leaf.min_modules} modules")
        if leaf.all_modules:
            parts.append("all modules")
        text = f"{leaf.course} completed" + (f" with {' and '.join(parts)}" if parts else "")
    elif isinstance(leaf, AssessmentPassed):
        text = f"{leaf.course} final assessment passed (score >= {number(leaf.pass_mark)})"
    elif isinstance(leaf, InCohort):
        return f"in cohort {leaf.cohort}"
    elif isinstance(leaf, Attested):
        return f"attested: {leaf.attestation}"
    else:
        days = f" for {leaf.for_days} days" if leaf.for_days else ""
        return f"holds {leaf.achievement}{days}"
    return text + (f" (from {leaf.source})" if leaf.source else "")


def number(value: float) -> str:
    """Format a score without a needless ``.0``."""
    return str(int(value)) if float(value).is_integer() else str(round(value, 2))


def _course(
    leaf: CourseCompleted | AssessmentPassed, facts: LearnerFacts, as_of: datetime
) -> LeafOutcome:
    rows = [c for c in facts.completions if c.course == leaf.course]
    if leaf.source is not None:
        rows = [c for c in rows if c.source == leaf.source]
    if not rows:
        source = f" from {leaf.source}" if leaf.source else ""
        return LeafOutcome((), False, f"no completion of {leaf.course}{source}", ())
    rows.sort(key=lambda c: (c.at is not None, c.at or as_of, c.key), reverse=True)
    good = [c for c in rows if not _problems(leaf, c, as_of)]
    if good:
        first = min(good, key=lambda c: (c.at, c.key))
        score = f", score {number(first.score)}" if first.score is not None else ""
        reason = f"completed {_day(first.at)} ({first.key}{score})"
        if len(good) > 1:
            reason += f"; {len(good)} qualifying completions"
        events = tuple(sorted({c.at for c in good if c.at is not None}))
        return LeafOutcome(events, False, reason, tuple(_completion(c) for c in good))
    shown = rows[:_SHOWN]
    reason = "; ".join(f"{c.key}: {', '.join(_problems(leaf, c, as_of))}" for c in shown)
    return LeafOutcome((), False, reason, tuple(_completion(c) for c in shown))


def _problems(
    leaf: CourseCompleted | AssessmentPassed, row: Completion, as_of: datetime
) -> list[str]:
    found = []
    if not row.completed:
        found.append("not completed")
    elif row.at is None:
        found.append("completed without a completion date")
    elif row.at > as_of:
        found.append(f"completed {_day(row.at)}, after {_day(as_of)}")
    threshold = leaf.pass_mark if isinstance(leaf, AssessmentPassed) else leaf.min_score
    if isinstance(leaf, AssessmentPassed) and row.score_kind != FINAL_ASSESSMENT:
        found.append(
            f"its score is a {row.score_kind or 'unlabelled'} score, not a final assessment"
        )
    if threshold is not None:
        if row.score is None:
            found.append(f"no score recorded (needs {number(threshold)})")
        elif row.score < threshold:
            found.append(f"score {number(row.score)} is below {number(threshold)}")
    if isinstance(leaf, CourseCompleted):
        found.extend(_module_problems(leaf, row))
    return found


def _module_problems(leaf: CourseCompleted, row: Completion) -> list[str]:
    if not leaf.all_modules and leaf.min_modules is None:
        return []
    done, total = row.modules_done, row.modules_total
    if done is None or (leaf.all_modules and total is None):
        return ["module counts missing"]
    found = []
    if leaf.all_modules and done != total:
        found.append(f"{done} of {total} modules completed")
    if leaf.min_modules is not None and done < leaf.min_modules:
        found.append(f"{done} modules completed, needs {leaf.min_modules}")
    return found


def _cohort(leaf: InCohort, facts: LearnerFacts, as_of: datetime) -> LeafOutcome:
    rows = [m for m in facts.cohorts if m.cohort == leaf.cohort]
    evidence = tuple(Evidence("cohort", m.joined_at, {"cohort": m.cohort}) for m in rows)
    if any(m.joined_at is None for m in rows):
        return LeafOutcome((), True, f"listed in cohort {leaf.cohort}", evidence)
    events = tuple(sorted(m.joined_at for m in rows if m.joined_at and m.joined_at <= as_of))
    if events:
        return LeafOutcome(events, False, f"joined {leaf.cohort} {_day(events[0])}", evidence)
    if rows:
        later = min(m.joined_at for m in rows if m.joined_at)
        return LeafOutcome(
            (), False, f"joins {leaf.cohort} {_day(later)}, after {_day(as_of)}", evidence
        )
    return LeafOutcome((), False, f"not in cohort {leaf.cohort}", ())


def _attested(leaf: Attested, facts: LearnerFacts, as_of: datetime) -> LeafOutcome:
    rows = sorted(
        (a for a in facts.attestations if a.attestation == leaf.attestation), key=lambda a: a.at
    )
    evidence = tuple(
        Evidence("attestation", a.at, {"attestation": a.attestation, "attested_by": a.attested_by})
        for a in rows
    )
    valid = [a for a in rows if a.at <= as_of]
    if valid:
        first = valid[0]
        reason = f"signed off by {first.attested_by} {_day(first.at)}"
        return LeafOutcome(tuple(a.at for a in valid), False, reason, evidence)
    if rows:
        return LeafOutcome(
            (), False, f"signed off {_day(rows[0].at)}, after {_day(as_of)}", evidence
        )
    return LeafOutcome((), False, f"no {leaf.attestation} attestation", ())


def _holds(leaf: HoldsBadge, awards: Sequence[Held], as_of: datetime) -> LeafOutcome:
    slug, span = leaf.achievement, timedelta(days=leaf.for_days)
    evidence = tuple(_award(h) for h in awards)
    current = sorted((h for h in awards if h.current(as_of)), key=lambda h: h.valid_from)
    if not current:
        return LeafOutcome((), False, _why_not_held(slug, awards, as_of), evidence)
    events = []
    for h in current:
        due = h.valid_from + span
        if due <= as_of and (h.valid_until is None or due < h.valid_until):
            events.append(due)
    since = current[0].valid_from
    made = "" if current[0].stored else " (awarded in this evaluation)"
    if events:
        key = "" if not current[0].stored else f"award {current[0].key[:12]} "
        reason = f"{key}held since {since.date().isoformat()}{made}"
        if leaf.for_days:
            reason = f"held {slug} for {(as_of - since).days} days (needs {leaf.for_days}){made}"
        return LeafOutcome(tuple(sorted(events)), False, reason, evidence)
    held_days = (as_of - since).days
    reason = f"held {slug} for {held_days} of {leaf.for_days} days"
    ends = [h.valid_until for h in current if h.valid_until is not None]
    if len(ends) == len(current) and all(
        h.valid_from + span >= h.valid_until for h in current if h.valid_until
    ):
        reason += f"; it ends {_day(max(ends))}, before that"
    return LeafOutcome((), False, reason, evidence)


def _why_not_held(slug: str, awards: Sequence[Held], as_of: datetime) -> str:
    if not awards:
        return f"does not hold {slug}"
    latest = max(awards, key=lambda h: h.valid_from)
    if latest.status != "active":
        return f"the {slug} award is {latest.status}"
    if latest.valid_from > as_of:
        return f"the {slug} award starts {_day(latest.valid_from)}, after {_day(as_of)}"
    assert latest.valid_until is not None  # not current, active and started: it has ended
    return f"the {slug} award expired {_day(latest.valid_until)}"


def _completion(c: Completion) -> Evidence:
    return Evidence(
        "completion",
        c.at,
        {
            "record_key": c.key,
            "course": c.course,
            "completed": int(c.completed),
            "score": c.score,
            "score_kind": c.score_kind,
            "modules_completed": c.modules_done,
            "modules_total": c.modules_total,
        },
    )


def _award(h: Held) -> Evidence:
    return Evidence(
        "award",
        h.valid_from,
        {
            "achievement": h.achievement,
            "award_key": h.key if h.stored else None,
            "status": h.status if h.stored else "would be awarded",
            "valid_until": h.valid_until.isoformat() if h.valid_until else None,
        },
    )


def _day(when: datetime | None) -> str:
    return "on an unknown date" if when is None else f"on {when.date().isoformat()}"
