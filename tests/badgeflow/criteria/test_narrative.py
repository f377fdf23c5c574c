from __future__ import annotations

import pytest

from badgeflow.criteria import (
    AllOf,
    AnyOf,
    AssessmentPassed,
    AtLeast,
    Attested,
    CourseCompleted,
    HoldsBadge,
    InCohort,
    Not,
)
from badgeflow.criteria.narrative import lint_narrative, narrate

COURSES = {"DS101": "Introduction to Data Skills", "DS390": "Proctored Exam", "SQL110": "SQL"}
BADGES = {"data-applied": "Applied Data Analysis", "data-foundations": "Data Foundations"}


def test_generated_narrative_reads_as_plain_english():
    rule = AllOf(
        (
            HoldsBadge("data-foundations"),
            HoldsBadge("data-applied", 182),
            AssessmentPassed("DS390", 70),
            AtLeast(2, (CourseCompleted("DS101"), CourseCompleted("SQL110", min_score=75))),
            Not(InCohort("contractors")),
            AnyOf((Attested("manager-signoff"), InCohort("spring-2026"))),
        )
    )
    assert narrate(rule, courses=COURSES, badges=BADGES, valid_for_days=730) == (
        "Awarded to learners who meet **all** of the following:\n"
        "\n"
        "1. hold the **Data Foundations** badge\n"
        "2. hold the **Applied Data Analysis** badge for at least 182 days\n"
        '3. achieve a final assessment score of at least 70% in **DS390** "Proctored Exam"\n'
        "4. meet **at least 2 of** the following:\n"
        '   - complete the course **DS101** "Introduction to Data Skills"\n'
        '   - complete the course **SQL110** "SQL" with a score of at least 75%\n'
        "5. **not** be a member of cohort *contractors*\n"
        "6. meet **at least one** of the following:\n"
        "   - have a *manager-signoff* attestation on file (a sign-off)\n"
        "   - be a member of cohort *spring-2026*\n"
        "\n"
        "The badge is valid for **730 days** from the date it is awarded; meet the criteria "
        "again after it expires to renew it.\n"
    )


def test_a_single_course_is_one_sentence_with_every_threshold():
    rule = AllOf(
        (CourseCompleted("SQL110", source="canvas", min_score=75, min_modules=6, all_modules=True),)
    )
    assert narrate(rule, courses=COURSES, badges={}) == (
        'Awarded to learners who complete the course **SQL110** "SQL" with every module '
        "completed, at least 6 modules completed and a score of at least 75% (as recorded by "
        "canvas).\n"
    )


def test_nested_lists_indent_under_their_parent():
    rule = AnyOf(
        (
            AllOf((CourseCompleted("A"), Not(AnyOf((CourseCompleted("B"), CourseCompleted("C")))))),
            CourseCompleted("D"),
        )
    )
    assert narrate(rule, courses={}, badges={}).splitlines()[2:] == [
        "1. meet **all** of the following:",
        "   - complete the course **A**",
        "   - **not** meet **at least one** of the following:",
        "     - complete the course **B**",
        "     - complete the course **C**",
        "2. complete the course **D**",
    ]


RULE = AllOf(
    (
        HoldsBadge("data-applied", 182),
        CourseCompleted("DS101", min_modules=6, all_modules=True),
        AssessmentPassed("DS390", 70),
        AtLeast(2, (InCohort("a"), InCohort("b"), InCohort("c"))),
    )
)
GOOD = (
    "Hold **Applied Data Analysis** for 182 days, complete DS101 (all 6 modules), score at "
    "least 70% in DS390, and be in two of the cohorts a, b, c. Valid for 365 days."
)


def lint(text: str, rule=RULE, valid_for_days: int | None = 365) -> list[str]:
    return lint_narrative(text, rule, courses=COURSES, badges=BADGES, valid_for_days=valid_for_days)


def test_a_narrative_that_states_the_rule_passes():
    assert lint(GOOD) == []
    assert lint(GOOD.replace("two of", "2 of")) == []


def test_the_generated_narrative_passes_its_own_lint():
    text = narrate(RULE, courses=COURSES, badges=BADGES, valid_for_days=365)
    assert lint(text) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("DS101", "the intro course", "does not mention course DS101, which the rule requires"),
        ("all 6 modules", "every module", "does not state the minimum modules of DS101 (6)"),
        ("(all 6 modules)", "(6 modules)", "does not say that every module of DS101 is required"),
        ("70%", "a pass", "does not state the pass mark of DS390 (70)"),
        (
            "**Applied Data Analysis**",
            "tier 2",
            "does not name the badge 'Applied Data Analysis' (data-applied)",
        ),
        (
            "182 days",
            "six months",
            "does not state the days 'Applied Data Analysis' must be held (182)",
        ),
        ("two of", "some of", "does not state k = 2 of an `at_least`"),
        ("365", "a year", "does not state the validity period (valid_for_days) (365)"),
    ],
)
def test_each_missing_part_of_the_rule_is_named(old: str, new: str, expected: str):
    assert old in GOOD
    assert lint(GOOD.replace(old, new)) == [expected]


def test_a_course_the_rule_does_not_name_is_an_error():
    assert lint(GOOD + " Then take SQL110 and XY999.") == [
        "mentions course SQL110, which the rule does not name",
        "mentions course XY999, which the rule does not name",
    ]


def test_a_percentage_the_rule_does_not_have_is_an_error():
    assert lint(GOOD + " Most learners score 85 %.") == [
        "mentions 85 %, which is not a threshold of the rule (its thresholds: 70%)"
    ]


def test_a_min_score_is_a_threshold_too():
    rule = CourseCompleted("SQL110", min_score=75.5)
    assert lint("Complete SQL110 with at least 75.5%.", rule, None) == []
    assert lint("Complete SQL110 with at least 75%.", rule, None) == [
        "does not state the minimum score of SQL110 (75.5)",
        "mentions 75%, which is not a threshold of the rule (its thresholds: 75.5%)",
    ]
