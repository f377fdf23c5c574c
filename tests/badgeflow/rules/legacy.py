"""The old flat view of a rule (`RuleSet`), read by the old evaluator kept as the test oracle.

`Achievement.rule` (a clause tree) is the criteria; `legacy_rules` derives this flat view from
it for `tests.badgeflow.rules.oracle`. Only an `AllOf` of courses and held badges can be viewed
this way; an `AssessmentPassed` is viewed as a course with ``min_score = pass_mark`` (the flat
view cannot check ``score_kind``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from badgeflow.criteria import AllOf, AssessmentPassed, Clause, CourseCompleted, HoldsBadge
from badgeflow.errors import CatalogError

__all__ = ["CourseRule", "HoldsRule", "Rule", "RuleSet", "legacy_rules"]

_SLUG = r"^[a-z0-9][a-z0-9-]*$"
_FROZEN = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class CourseRule(BaseModel):
    """A condition on one course: met by any single completion row that passes every check."""

    model_config = _FROZEN

    course: str = Field(min_length=1, description="LMS course id, e.g. SQL110.")
    completed: Literal[True] = Field(True, description="The course must be completed.")
    min_score: float | None = Field(None, ge=0, le=100, description="Minimum score (0-100).")
    min_modules: int | None = Field(None, ge=0, description="Minimum modules completed.")
    all_modules: bool = Field(False, description="modules_completed == modules_total, both set.")


class HoldsRule(BaseModel):
    """A condition on another award: held (and not expired) for at least ``for_days``."""

    model_config = _FROZEN

    holds: str = Field(pattern=_SLUG, description="Slug of the achievement to hold.")
    for_days: int = Field(0, ge=0, description="Days the award must have been held.")


Rule = CourseRule | HoldsRule


class RuleSet(BaseModel):
    """The flat criteria: badges held, then course and holding-period conditions."""

    model_config = _FROZEN

    prerequisites: tuple[Annotated[str, Field(pattern=_SLUG)], ...] = ()
    all_of: tuple[Rule, ...] = ()

    @property
    def course_rules(self) -> tuple[CourseRule, ...]:
        """The course conditions, in catalog order."""
        return tuple(r for r in self.all_of if isinstance(r, CourseRule))

    @property
    def holds_rules(self) -> tuple[HoldsRule, ...]:
        """The holding-period conditions, in catalog order."""
        return tuple(r for r in self.all_of if isinstance(r, HoldsRule))


def legacy_rules(rule: Clause) -> RuleSet:
    """View a clause tree as the old flat `RuleSet`.

    Args:
        rule: an achievement's rule.

    Returns:
        Every held badge as a prerequisite, each ``for_days`` as a holding condition, each
        course (or assessment) as a course condition.

    Raises:
        CatalogError: the rule uses ``any``, ``not``, ``at_least``, cohorts, attestations or
            sources, which only the clause-tree evaluator understands.
    """
    clauses = rule.clauses if isinstance(rule, AllOf) else (rule,)
    prerequisites: list[str] = []
    conditions: list[Rule] = []
    for clause in clauses:
        if isinstance(clause, HoldsBadge):
            prerequisites.append(clause.achievement)
            if clause.for_days:
                conditions.append(HoldsRule(holds=clause.achievement, for_days=clause.for_days))
        elif isinstance(clause, CourseCompleted) and clause.source is None:
            conditions.append(
                CourseRule(
                    course=clause.course,
                    min_score=clause.min_score,
                    min_modules=clause.min_modules,
                    all_modules=clause.all_modules,
                )
            )
        elif isinstance(clause, AssessmentPassed) and clause.source is None:
            conditions.append(CourseRule(course=clause.course, min_score=clause.pass_mark))
        else:
            raise CatalogError(
                f"{clause.where or 'rule'}: {type(clause).__name__} needs the clause-tree "
                "evaluator; the flat RuleSet view cannot express it"
            )
    return RuleSet(prerequisites=tuple(dict.fromkeys(prerequisites)), all_of=tuple(conditions))
