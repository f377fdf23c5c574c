"""The criteria language as a tree: what an achievement's ``rules:`` say, with no parsing.

A rule is a tree of clauses. Leaves test one kind of fact about a learner; `AllOf`, `AnyOf`,
`AtLeast` and `Not` combine them. The parser (`badgeflow.criteria.parse`) builds these from
YAML and records where each clause was written (`Where`), so every error and every line of
``badgeflow explain`` can point at the file and line.

Semantics (the one definition both evaluators follow: the vectorised `badgeflow.rules.evaluate`
and the per-learner `badgeflow.rules.explain`), at the batch clock ``as_of``. Facts dated after
``as_of`` do not exist yet.

Leaves, each met at a set of dates (its *events*):

- `CourseCompleted`: a completion row of ``course`` (and of ``source``, when given) with
  ``completed`` true, ``completed_at`` set, and every threshold met (``score >= min_score``,
  ``modules_completed >= min_modules``, ``modules_completed == modules_total`` with both set
  when ``all_modules``). Events: the ``completed_at`` of each such row.
- `AssessmentPassed`: like `CourseCompleted` with ``score >= pass_mark``, and the row's
  ``score_kind`` must be ``final_assessment`` (a course-total score is not an assessment).
- `InCohort`: the learner is listed in the cohort file under ``cohort``. Event: ``joined_at``
  when the file gives one, else the clause is met with no date (it never delays an award).
- `Attested`: the attestation file has a row for the learner with this ``attestation`` name
  (a manager's sign-off). Events: each ``attested_at``.
- `HoldsBadge`: the learner holds ``achievement``: an active (not revoked or suspended) award
  that has started and not expired at ``as_of``, awarded before or in this same evaluation.
  With ``for_days`` > 0 it must have been held that long: event ``valid_from + for_days``,
  which must be at or before ``as_of`` (and, for an expiring award, before it ends).

Combinators, each met at one date (the earliest moment it became true):

- `AllOf`: every clause met; date = the latest of the clauses' earliest dates.
- `AnyOf`: some clause met; date = the earliest of the met clauses' earliest dates.
- `AtLeast`: at least ``k`` clauses met; date = the k-th earliest of their earliest dates.
- `Not`: the clause is not met at ``as_of``; it contributes no date.

A clause "with no date" (`InCohort` without ``joined_at``, `Not`) is ignored when taking the
latest/earliest; a rule whose clauses all lack dates is met at ``as_of``.

An award starts (``valid_from``) on the date its rule became met. For an achievement with
``valid_for_days`` it ends that many days later. The candidate starts of a new period are that
date and every later leaf event (outside `Not`) up to ``as_of``, excluding those inside an
active stored award of the achievement (it covers them; with the achievement's
``renewal_window_days`` only up to that many days before it ends); the first candidate whose period
still runs at ``as_of`` starts the award. A period that would already have ended at ``as_of``
is not issued (expired on arrival) and blocks nothing: a learner who re-completed a yearly
course within the last year gets the current period, even on a first run over years of
history. So one evaluation makes at most one new period per learner and achievement. A
renewal keeps the first award's ``awarded_at`` and starts a new validity period; a period
whose key is already stored (even revoked) is never made again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

__all__ = [
    "AllOf",
    "AnyOf",
    "AssessmentPassed",
    "AtLeast",
    "Attested",
    "Clause",
    "CourseCompleted",
    "HoldsBadge",
    "InCohort",
    "Leaf",
    "Not",
    "Where",
    "courses",
    "held_achievements",
    "leaves",
    "walk",
]


@dataclass(frozen=True, slots=True)
class Where:
    """Where a clause was written: file and 1-based line (for errors and explanations)."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class CourseCompleted:
    """A completed course, optionally with thresholds and from one source only."""

    course: str
    source: str | None = None
    min_score: float | None = None
    min_modules: int | None = None
    all_modules: bool = False
    where: Where | None = field(default=None, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class AssessmentPassed:
    """A final assessment (``score_kind == "final_assessment"``) passed at ``pass_mark``."""

    course: str
    pass_mark: float
    source: str | None = None
    where: Where | None = field(default=None, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class InCohort:
    """Membership of a cohort listed in the cohort file."""

    cohort: str
    where: Where | None = field(default=None, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Attested:
    """An attestation (for example a manager's sign-off) listed in the attestation file."""

    attestation: str
    where: Where | None = field(default=None, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class HoldsBadge:
    """Another achievement held (earned badge, prerequisite), for at least ``for_days``."""

    achievement: str
    for_days: int = 0
    where: Where | None = field(default=None, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every clause."""

    clauses: tuple[Clause, ...]
    where: Where | None = field(default=None, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one clause."""

    clauses: tuple[Clause, ...]
    where: Where | None = field(default=None, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class AtLeast:
    """At least ``k`` of the clauses (``1 <= k <= len(clauses)``)."""

    k: int
    clauses: tuple[Clause, ...]
    where: Where | None = field(default=None, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Not:
    """The clause is not met."""

    clause: Clause
    where: Where | None = field(default=None, compare=False, kw_only=True)


Leaf = CourseCompleted | AssessmentPassed | InCohort | Attested | HoldsBadge
Clause = Leaf | AllOf | AnyOf | AtLeast | Not


def walk(clause: Clause) -> Iterator[Clause]:
    """Yield the clause and every clause below it, depth first, in written order."""
    yield clause
    if isinstance(clause, AllOf | AnyOf | AtLeast):
        for child in clause.clauses:
            yield from walk(child)
    elif isinstance(clause, Not):
        yield from walk(clause.clause)


def leaves(clause: Clause) -> Iterator[Leaf]:
    """Yield the leaves of a rule, in written order."""
    for node in walk(clause):
        if not isinstance(node, AllOf | AnyOf | AtLeast | Not):
            yield node


def held_achievements(clause: Clause) -> tuple[str, ...]:
    """Achievements the rule refers to (`HoldsBadge`), in written order, without repeats."""
    return tuple(dict.fromkeys(n.achievement for n in leaves(clause) if isinstance(n, HoldsBadge)))


def courses(clause: Clause) -> tuple[str, ...]:
    """Courses the rule refers to (`CourseCompleted`, `AssessmentPassed`), without repeats."""
    return tuple(
        dict.fromkeys(
            n.course for n in leaves(clause) if isinstance(n, CourseCompleted | AssessmentPassed)
        )
    )
