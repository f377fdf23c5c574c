from __future__ import annotations

from datetime import UTC, datetime

import pytest

from badgeflow.errors import SourceConfigError
from badgeflow.lms._blackboard_rules import (
    BlackboardCourseRule,
    course_key,
    derive,
    resolve_columns,
)

QUIZ = {"id": "_1_1", "name": "Quiz", "score": {"possible": 10}, "grading": {"type": "Attempts"}}
FINAL = {"id": "_2_1", "name": "Final", "score": {"possible": 50}, "grading": {"type": "Attempts"}}
TOTAL = {"id": "_3_1", "name": "Total", "externalGrade": True, "score": {"possible": 100}}
WHEN = "2026-09-01T10:00:00.000Z"


def graded(score=None, **extra):
    return {"status": "Graded", "score": score, **extra}


def tries(*dates, status="Completed"):
    return [{"id": f"_{i}_1", "status": status, "attemptDate": d} for i, d in enumerate(dates)]


@pytest.mark.parametrize(
    ("configured", "key"),
    [("DS101", "courseId:DS101"), ("_123_1", "_123_1"), ("courseId:X", "courseId:X"),
     ("externalId:SIS.1", "externalId:SIS.1"), ("uuid:abc", "uuid:abc"), ("_x_1", "courseId:_x_1")],
)  # fmt: skip
def test_course_key(configured, key):
    assert course_key(configured) == key


def test_a_rule_names_a_column_and_thresholds_are_percentages():
    with pytest.raises(ValueError, match="module_columns or a final_column"):
        BlackboardCourseRule("DS101")
    with pytest.raises(ValueError, match="percentages"):
        BlackboardCourseRule("DS101", final_column="Final", pass_threshold=120)


def test_columns_resolve_by_name_id_external_id_and_final_grade():
    columns = [QUIZ, {**FINAL, "externalId": "FIN"}, TOTAL]
    rule = BlackboardCourseRule("c", module_columns=("Quiz", "_2_1"), final_column="finalGrade")

    modules, final = resolve_columns(rule, columns, "course c")

    assert [m["id"] for m in modules] == ["_1_1", "_2_1"]
    assert final is TOTAL
    rule = BlackboardCourseRule("c", final_column="externalId:FIN")
    assert resolve_columns(rule, columns, "course c")[1]["id"] == "_2_1"
    with pytest.raises(SourceConfigError, match="no gradebook column 'finalGrade'"):
        resolve_columns(BlackboardCourseRule("c", final_column="finalGrade"), [QUIZ], "course c")


def test_completed_when_every_module_is_graded_and_the_final_passes():
    rule = BlackboardCourseRule(
        "c", module_columns=("Quiz",), final_column="Final", pass_threshold=70
    )
    grades = {"_1_1": graded(3), "_2_1": graded(35, overridden="2026-09-20T00:00:00Z")}
    attempts = {
        "_1_1": tries(WHEN),
        "_2_1": tries("2026-09-10T00:00:00Z", "2026-09-30T00:00:00Z", status="InProgress"),
    }

    out = derive(rule, [QUIZ], FINAL, grades, attempts)

    assert (out.completed, out.score, out.score_kind) == (True, 70.0, "final_assessment")
    assert (out.modules_completed, out.modules_total) == (1, 1)
    # the override is later than the graded attempts; the in-progress attempt does not count
    assert out.completed_at == datetime(2026, 9, 20, tzinfo=UTC)
    assert out.errors == []


def test_below_the_threshold_is_not_completed_but_keeps_its_score():
    rule = BlackboardCourseRule("c", final_column="Final", pass_threshold=70)

    out = derive(rule, [], FINAL, {"_2_1": graded(34.5)}, {"_2_1": tries(WHEN)})

    assert (out.completed, out.completed_at, out.score) == (False, None, 69.0)
    assert (out.modules_completed, out.modules_total) == (None, None)


def test_module_threshold_and_needs_grading():
    rule = BlackboardCourseRule("c", module_columns=("Quiz", "Final"), module_pass_threshold=50)
    grades = {"_1_1": graded(4), "_2_1": {"status": "NeedsGrading"}}

    out = derive(rule, [QUIZ, FINAL], None, grades, {})

    assert (out.completed, out.modules_completed, out.errors) == (False, 0, [])


def test_exempt_module_is_excused_but_an_exempt_final_cannot_be_judged():
    rule = BlackboardCourseRule("c", module_columns=("Quiz",), final_column="Final")
    grades = {"_1_1": graded(exempt=True), "_2_1": graded(exempt=True)}

    out = derive(rule, [QUIZ], FINAL, grades, {})

    assert (out.completed, out.modules_completed) == (None, 1)
    assert out.errors == ["score: column 'Final' is exempt: no score to judge"]


def test_text_grades_need_a_number_only_against_a_threshold():
    loose = BlackboardCourseRule("c", module_columns=("Quiz",))
    strict = BlackboardCourseRule("c", module_columns=("Quiz",), module_pass_threshold=60)
    grades = {"_1_1": {"status": "Graded", "text": "B+"}}
    attempts = {"_1_1": tries(WHEN)}

    assert derive(loose, [QUIZ], None, grades, attempts).completed is True
    out = derive(strict, [QUIZ], None, grades, attempts)
    assert (out.completed, out.errors) == (
        None,
        ["score: column 'Quiz': grade 'B+' has no numeric score"],
    )


@pytest.mark.parametrize(
    ("grade", "column", "error"),
    [
        (graded("lots"), FINAL, "score: column 'Final': score 'lots' is not a number"),
        (graded(5), {**FINAL, "score": {"possible": 0}}, "points possible is 0: no percentage"),
    ],
)
def test_unreadable_scores_are_parse_errors(grade, column, error):
    rule = BlackboardCourseRule("c", final_column="Final", pass_threshold=50)

    out = derive(rule, [], column, {"_2_1": grade}, {"_2_1": tries(WHEN)})

    assert out.completed is None and out.score is None
    assert error in out.errors[0]


def test_a_calculated_final_column_dates_from_the_modules():
    rule = BlackboardCourseRule("c", module_columns=("Quiz",), final_column="finalGrade")

    out = derive(
        rule, [QUIZ], TOTAL, {"_1_1": graded(9), "_3_1": graded(88)}, {"_1_1": tries(WHEN)}
    )

    assert (out.completed, out.score, out.score_kind) == (True, 88.0, "course_total")
    assert out.completed_at == datetime(2026, 9, 1, 10, tzinfo=UTC)


def test_dates_without_offset_are_errors():
    rule = BlackboardCourseRule("c", module_columns=("Quiz",))

    out = derive(rule, [QUIZ], None, {"_1_1": graded(9)}, {"_1_1": tries("2026-09-01T10:00:00")})

    assert out.completed is True and out.completed_at is None
    assert out.errors == [
        "completed_at: '2026-09-01T10:00:00' has no UTC offset",
        "completed_at: completed, but no graded attempt or override has a date",
    ]
