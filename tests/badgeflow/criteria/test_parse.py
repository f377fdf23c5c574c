from __future__ import annotations

import textwrap

import pytest
import yaml

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
    Where,
    walk,
)
from badgeflow.criteria.parse import parse_rule


def parse(text: str):
    top = yaml.compose(textwrap.dedent(text), Loader=yaml.SafeLoader)
    rules = next(v for k, v in top.value if k.value == "rules")
    return parse_rule(rules, "a.yaml")


def problems(text: str) -> list[str]:
    return [str(p) for p in parse(text)[1]]


EVERY_KIND = """\
name: x
rules:
  all:
    - holds: data-foundations
    - holds: data-applied
      for_days: 182
    - course: DS301
      all_modules: true
    - course: SQL110
      min_score: 75.5
      min_modules: 6
      source: canvas-demo
    - assessment: DS390
      pass_mark: 70
      source: partner
    - cohort: spring-2026
    - attested: manager-signoff
    - at_least: 2
      of: [{course: A}, {course: B}, {course: C}]
    - any:
        - cohort: x
        - course: D
    - not: {cohort: contractors}
"""


def test_every_clause_kind_is_parsed():
    rule, found = parse(EVERY_KIND)
    assert found == []
    assert rule == AllOf(
        (
            HoldsBadge("data-foundations"),
            HoldsBadge("data-applied", 182),
            CourseCompleted("DS301", all_modules=True),
            CourseCompleted("SQL110", source="canvas-demo", min_score=75.5, min_modules=6),
            AssessmentPassed("DS390", 70, source="partner"),
            InCohort("spring-2026"),
            Attested("manager-signoff"),
            AtLeast(2, (CourseCompleted("A"), CourseCompleted("B"), CourseCompleted("C"))),
            AnyOf((InCohort("x"), CourseCompleted("D"))),
            Not(InCohort("contractors")),
        )
    )


def test_every_clause_carries_its_file_and_line():
    rule, _ = parse(EVERY_KIND)
    lines = [(type(n).__name__, n.where) for n in walk(rule)]
    assert lines[:8] == [
        ("AllOf", Where("a.yaml", 3)),
        ("HoldsBadge", Where("a.yaml", 4)),
        ("HoldsBadge", Where("a.yaml", 5)),
        ("CourseCompleted", Where("a.yaml", 7)),
        ("CourseCompleted", Where("a.yaml", 9)),
        ("AssessmentPassed", Where("a.yaml", 13)),
        ("InCohort", Where("a.yaml", 16)),
        ("Attested", Where("a.yaml", 17)),
    ]
    assert [str(n.where) for n in walk(rule) if isinstance(n, Not | AnyOf)] == [
        "a.yaml:20",
        "a.yaml:23",
    ]


def test_a_single_clause_is_a_rule():
    rule, found = parse("rules:\n  course: DS101\n  completed: true\n")
    assert (rule, found) == (CourseCompleted("DS101"), [])


def test_old_form_means_all_of_the_held_badges_then_the_conditions():
    rule, found = parse(
        """\
        rules:
          prerequisites: [data-foundations]
          all_of:
            - course: DS201
              completed: true
              min_score: 70
            - holds: data-foundations
              for_days: 30
        """
    )
    assert found == []
    assert rule == AllOf(
        (
            HoldsBadge("data-foundations"),
            CourseCompleted("DS201", min_score=70),
            HoldsBadge("data-foundations", 30),
        )
    )
    assert isinstance(rule, AllOf) and rule.clauses[0].where == Where("a.yaml", 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "rules:\n  course: A\n  min_scor: 5\n",
            "a.yaml:3: unknown key 'min_scor' in a `course` clause (allowed: course, "
            "min_score, min_modules, all_modules, source, completed)",
        ),
        (
            "rules:\n  all:\n    - holds: a\n      pass_mark: 1\n",
            "a.yaml:4: unknown key 'pass_mark' in a `holds` clause (allowed: holds, for_days)",
        ),
        (
            "rules:\n  course: A\n  min_score: high\n",
            "a.yaml:3: `min_score` must be a number from 0 to 100; got 'high'",
        ),
        (
            "rules:\n  course: A\n  min_score: 101\n",
            "a.yaml:3: `min_score` must be a number from 0 to 100; got 101",
        ),
        (
            "rules:\n  course: A\n  min_modules: 2.5\n",
            "a.yaml:3: `min_modules` must be a whole number from 0 or more; got 2.5",
        ),
        (
            "rules:\n  course: A\n  all_modules: sure\n",
            "a.yaml:3: `all_modules` must be true or false; got 'sure'",
        ),
        ("rules:\n  course: [A, B]\n", "a.yaml:2: `course` must be a name (text); got a list"),
        (
            "rules:\n  holds: Data_Foundations\n",
            "a.yaml:2: `holds`: 'Data_Foundations' is not an achievement slug (a-z, 0-9, -)",
        ),
        (
            "rules:\n  holds: a\n  for_days: -1\n",
            "a.yaml:3: `for_days` must be a whole number from 0 or more; got -1",
        ),
        ("rules:\n  all: []\n", "a.yaml:2: `all` must be a non-empty list; got a list"),
        ("rules:\n  any: {course: A}\n", "a.yaml:2: `any` must be a non-empty list; got a mapping"),
        (
            "rules:\n  at_least: 3\n  of: [{course: A}, {course: B}]\n",
            "a.yaml:2: `at_least: 3` is out of range: `of` lists 2 clause(s), so k must be 1 to 2",
        ),
        (
            "rules:\n  at_least: 0\n  of: [{course: A}]\n",
            "a.yaml:2: `at_least: 0` is out of range: `of` lists 1 clause(s), so k must be 1 to 1",
        ),
        (
            "rules:\n  at_least: 1\n",
            "a.yaml:2: `at_least` needs `of`: the list of clauses to count",
        ),
        (
            "rules:\n  all:\n    - course: A\n      holds: b\n",
            "a.yaml:3: two clause keys (course, holds) in one mapping; write each clause as its "
            "own item of an `all:` or `any:` list",
        ),
        (
            "rules:\n  all:\n    - min_score: 50\n",
            "a.yaml:3: no clause key among min_score; a clause needs one of: all, any, not, "
            "at_least, holds, course, assessment, cohort, attested",
        ),
        (
            "rules:\n  all:\n    - DS101\n",
            "a.yaml:3: a clause must be a mapping with one of all, any, not, at_least, holds, "
            "course, assessment, cohort, attested; got 'DS101'",
        ),
        ("rules:\n  assessment: DS390\n", "a.yaml:2: `assessment` needs `pass_mark` (0 to 100)"),
        (
            "rules:\n  not: [{cohort: x}]\n",
            "a.yaml:2: a clause must be a mapping with one of all, any, not, at_least, holds, "
            "course, assessment, cohort, attested; got a list",
        ),
        (
            "rules:\n  course: A\n  completed: false\n",
            "a.yaml:3: `completed` can only be true (a course must be completed)",
        ),
        ("rules:\n  course: A\n  course: B\n", "a.yaml:3: duplicate key 'course'"),
        (
            "rules:\n  prerequisites: [a]\n",
            "a.yaml:2: the old rules form needs `all_of`: a non-empty list of clauses",
        ),
        (
            "rules:\n  prerequisites: [a]\n  all_of: [{course: A}]\n  any_of: []\n",
            "a.yaml:4: unknown key 'any_of' in the old rules form (allowed: prerequisites, "
            "all_of; or write one clause, e.g. `all:`)",
        ),
    ],
)
def test_errors_name_the_file_and_line(text: str, expected: str):
    assert problems(text) == [expected]


def test_every_problem_is_collected():
    found = problems(
        """\
        rules:
          all:
            - course: A
              min_scor: 1
            - holds: x
              for_days: soon
            - any: []
        """
    )
    assert [p.split(":")[1] for p in found] == ["4", "6", "7"]


def test_an_integer_course_id_is_read_as_text():
    rule, found = parse("rules:\n  course: 101\n")
    assert (rule, found) == (CourseCompleted("101"), [])
