"""Criteria narratives: generate one from a rule, or lint a written one against its rule.

The generated narrative is Markdown in plain English, e.g.::

    Awarded to learners who meet **all** of the following:

    1. hold the **Data Foundations** badge
    2. meet **at least 2 of** the following:
       - complete the course **DS101** "Introduction to Data Skills"
       ...

A written narrative must agree with its rule (`lint_narrative`): it mentions every course
id, held badge's name, threshold, ``k`` of ``at_least``, ``for_days`` and validity period
of the rule, and it mentions no course id or percentage that the rule does not have.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

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
    Not,
    leaves,
    walk,
)

__all__ = ["lint_narrative", "narrate"]

_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_COURSE_LIKE = re.compile(r"(?<![A-Za-z0-9-])[A-Z]{2,}[0-9]{2,}(?![A-Za-z0-9])")
_PERCENT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s?%")
_EVERY_MODULE = re.compile(r"every module|all (?:\d+ |of the )?modules", re.IGNORECASE)


def narrate(
    rule: Clause,
    *,
    courses: Mapping[str, str],
    badges: Mapping[str, str],
    valid_for_days: int | None = None,
    renewal_window_days: int | None = None,
) -> str:
    """Write the criteria narrative of a rule.

    Args:
        rule: the clause tree.
        courses: course id -> course name (from ``courses.yaml``); unknown ids show bare.
        badges: achievement slug -> display name; unknown slugs show bare.
        valid_for_days: the achievement's validity period, if it expires.
        renewal_window_days: how long before expiry meeting the criteria again renews it.

    Returns:
        Markdown text.
    """
    words = _Words(courses, badges)
    head, children = words.item(rule)
    text = f"Awarded to learners who {head}"
    text += "\n\n" + "\n".join(words.render(children, "", numbered=True)) if children else "."
    if valid_for_days:
        when = (
            f"within the last **{renewal_window_days} days** before it expires, or at any "
            "time after,"
            if renewal_window_days
            else "after it expires"
        )
        text += (
            f"\n\nThe badge is valid for **{valid_for_days} days** from the date it is "
            f"awarded; meet the criteria again {when} to renew it."
        )
    return text + "\n"


def lint_narrative(
    narrative: str,
    rule: Clause,
    *,
    courses: Iterable[str],
    badges: Mapping[str, str],
    valid_for_days: int | None = None,
) -> list[str]:
    """Check a written narrative against its rule, both ways.

    Args:
        narrative: the written ``criteria.narrative``.
        rule: the achievement's rule.
        courses: every registered course id (to spot courses the rule does not name).
        badges: achievement slug -> display name.
        valid_for_days: the achievement's validity period, if it expires.

    Returns:
        One message per disagreement; empty when the two agree.
    """
    found: list[str] = []
    named = set()
    thresholds: set[float] = set()
    for leaf in leaves(rule):
        if isinstance(leaf, CourseCompleted | AssessmentPassed):
            named.add(leaf.course)
            if not _has_word(narrative, leaf.course):
                found.append(f"does not mention course {leaf.course}, which the rule requires")
        if isinstance(leaf, CourseCompleted):
            _need(found, narrative, leaf.min_score, f"the minimum score of {leaf.course}")
            _need(found, narrative, leaf.min_modules, f"the minimum modules of {leaf.course}")
            if leaf.all_modules and not _EVERY_MODULE.search(narrative):
                found.append(f"does not say that every module of {leaf.course} is required")
            thresholds.update([leaf.min_score] if leaf.min_score is not None else [])
        elif isinstance(leaf, AssessmentPassed):
            _need(found, narrative, leaf.pass_mark, f"the pass mark of {leaf.course}")
            thresholds.add(leaf.pass_mark)
        elif isinstance(leaf, HoldsBadge) and leaf.achievement in badges:  # else: unknown
            name = badges[leaf.achievement]
            if name.lower() not in narrative.lower():
                found.append(f"does not name the badge {name!r} ({leaf.achievement})")
            _need(found, narrative, leaf.for_days or None, f"the days {name!r} must be held")
    for node in walk(rule):
        if isinstance(node, AtLeast) and not _has_k(narrative, node.k):
            found.append(f"does not state k = {node.k} of an `at_least`")
    _need(found, narrative, valid_for_days, "the validity period (valid_for_days)")
    mentioned = {m.group(0) for m in _COURSE_LIKE.finditer(narrative)}
    mentioned |= {c for c in courses if _has_word(narrative, c)}
    for course in sorted(mentioned - named):
        found.append(f"mentions course {course}, which the rule does not name")
    for match in _PERCENT.finditer(narrative):
        if float(match.group(1)) not in thresholds:
            known = ", ".join(f"{t:g}%" for t in sorted(thresholds)) or "none"
            found.append(
                f"mentions {match.group(0)}, which is not a threshold of the rule "
                f"(its thresholds: {known})"
            )
    return found


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(word)}(?![A-Za-z0-9])", text) is not None


def _has_number(text: str, number: float) -> bool:
    pattern = rf"(?<![\d.]){re.escape(f'{number:g}')}(?:\.0+)?(?!\d|\.\d)"
    return re.search(pattern, text) is not None


def _has_k(text: str, k: int) -> bool:
    word = _WORDS[k] if k < len(_WORDS) else None
    return _has_number(text, k) or (word is not None and _has_word(text.lower(), word))


def _need(found: list[str], text: str, number: float | None, what: str) -> None:
    if number is not None and not _has_number(text, number):
        found.append(f"does not state {what} ({number:g})")


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


class _Words:
    def __init__(self, courses: Mapping[str, str], badges: Mapping[str, str]) -> None:
        self.courses = courses
        self.badges = badges

    def course(self, course: str) -> str:
        name = self.courses.get(course)
        return f'**{course}** "{name}"' if name else f"**{course}**"

    def item(self, clause: Clause) -> tuple[str, tuple[Clause, ...]]:
        if isinstance(clause, AllOf | AnyOf) and len(clause.clauses) == 1:
            return self.item(clause.clauses[0])
        if isinstance(clause, AllOf):
            return "meet **all** of the following:", clause.clauses
        if isinstance(clause, AnyOf):
            return "meet **at least one** of the following:", clause.clauses
        if isinstance(clause, AtLeast):
            return f"meet **at least {clause.k} of** the following:", clause.clauses
        if isinstance(clause, Not):
            head, children = self.item(clause.clause)
            return f"**not** {head}", children
        return self.leaf(clause), ()

    def leaf(self, clause: Clause) -> str:
        if isinstance(clause, CourseCompleted):
            parts = ["every module completed"] if clause.all_modules else []
            if clause.min_modules is not None:
                parts.append(f"at least {clause.min_modules} modules completed")
            if clause.min_score is not None:
                parts.append(f"a score of at least {clause.min_score:g}%")
            text = f"complete the course {self.course(clause.course)}"
            text += " with " + _join(parts) if parts else ""
            return text + (f" (as recorded by {clause.source})" if clause.source else "")
        if isinstance(clause, AssessmentPassed):
            text = f"achieve a final assessment score of at least {clause.pass_mark:g}% in "
            text += self.course(clause.course)
            return text + (f" (as recorded by {clause.source})" if clause.source else "")
        if isinstance(clause, HoldsBadge):
            name = self.badges.get(clause.achievement, clause.achievement)
            days = f" for at least {clause.for_days} days" if clause.for_days else ""
            return f"hold the **{name}** badge{days}"
        if isinstance(clause, InCohort):
            return f"be a member of cohort *{clause.cohort}*"
        if isinstance(clause, Attested):
            return f"have a *{clause.attestation}* attestation on file (a sign-off)"
        raise TypeError(f"not a clause: {clause!r}")

    def render(self, clauses: tuple[Clause, ...], indent: str, *, numbered: bool) -> list[str]:
        lines: list[str] = []
        for n, clause in enumerate(clauses, start=1):
            head, children = self.item(clause)
            marker = f"{n}." if numbered else "-"
            lines.append(f"{indent}{marker} {head}")
            lines.extend(self.render(children, indent + " " * (len(marker) + 1), numbered=False))
        return lines
