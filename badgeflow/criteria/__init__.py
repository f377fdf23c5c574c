"""The criteria language: clause trees (`nodes`) and, from YAML, their parser."""

from __future__ import annotations

from badgeflow.criteria.nodes import (
    AllOf,
    AnyOf,
    AssessmentPassed,
    AtLeast,
    Attested,
    Clause,
    CourseCompleted,
    HoldsBadge,
    InCohort,
    Leaf,
    Not,
    Where,
    courses,
    held_achievements,
    leaves,
    walk,
)

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
