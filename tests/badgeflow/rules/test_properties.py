"""Invariants of the vectorised evaluator on a catalog written in the tree language.

The catalog has no `Not` (adding facts can only make a `Not` false) and no expiring badge
(an earlier qualifying date can fall into a period that has already lapsed), so adding
completions never removes an award here without exception.
"""

from __future__ import annotations

import random

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from badgeflow.criteria import AllOf, AnyOf, AtLeast, CourseCompleted, HoldsBadge, InCohort
from badgeflow.models import (
    ACHIEVEMENT_ID,
    AWARD_KEY,
    AWARDED_AT,
    COHORT_COLUMNS,
    LEARNER_EMAIL,
    RECORD_KEY,
)
from badgeflow.rules import evaluate
from badgeflow.rules._expiry import required_badges
from tests.badgeflow.rules.catalogs import catalog
from tests.badgeflow.test_rules import frame, no_awards
from tests.badgeflow.test_rules_properties import AS_OF, PROPERTY, build, row_lists

CATALOG = catalog(
    {
        "found": AnyOf((CourseCompleted("DS101"), CourseCompleted("SQL110", min_score=75))),
        "applied": AllOf((HoldsBadge("found"), CourseCompleted("DS201", min_score=70))),
        "broad": AtLeast(
            2,
            (
                CourseCompleted("DS301", all_modules=True),
                CourseCompleted("DS390"),
                CourseCompleted("PRV120"),
            ),
        ),
        "expert": AllOf(
            (
                HoldsBadge("applied", for_days=100),
                HoldsBadge("broad"),
                AnyOf((CourseCompleted("DS390", min_score=70), InCohort("mentors"))),
            )
        ),
    }
)
COHORTS = pd.DataFrame([("bob@x.org", "mentors", None)], columns=list(COHORT_COLUMNS))
FEWER = settings(PROPERTY, max_examples=30)


def run(rows: list[dict]):
    return evaluate(
        frame(*rows), CATALOG, as_of=AS_OF, existing_awards=no_awards(), cohorts=COHORTS
    )


def held(evaluation) -> set[tuple[str, str]]:
    awards = evaluation.awards
    return set(zip(awards[LEARNER_EMAIL], awards[ACHIEVEMENT_ID], strict=True))


@FEWER
@given(row_lists, row_lists)
def test_adding_completions_never_removes_an_award(first, more):
    before = run(build(first))
    after = run([*build(first), *build(more, offset=len(first))])
    assert held(before) <= held(after)


@FEWER
@given(row_lists, st.randoms(use_true_random=False))
def test_row_order_does_not_matter(fields, rnd: random.Random):
    rows = build(fields)
    shuffled = rows[:]
    rnd.shuffle(shuffled)
    a, b = run(rows), run(shuffled)
    pd.testing.assert_frame_equal(
        a.awards.sort_values(AWARD_KEY).reset_index(drop=True),
        b.awards.sort_values(AWARD_KEY).reset_index(drop=True),
    )
    pd.testing.assert_frame_equal(
        a.outcomes.set_index(RECORD_KEY).sort_index(), b.outcomes.set_index(RECORD_KEY).sort_index()
    )


@FEWER
@given(row_lists)
def test_an_awarded_tier_implies_its_required_badges(fields):
    awards = run(build(fields)).awards
    assert "expert" in CATALOG.achievements and required_badges(CATALOG.achievements["expert"].rule)
    for award in awards.itertuples(index=False):
        email, slug = getattr(award, LEARNER_EMAIL), getattr(award, ACHIEVEMENT_ID)
        for needed in required_badges(CATALOG.achievements[slug].rule):
            earlier = awards[
                (awards[LEARNER_EMAIL] == email)
                & (awards[ACHIEVEMENT_ID] == needed)
                & (awards[AWARDED_AT] <= getattr(award, AWARDED_AT))
            ]
            assert len(earlier) == 1, (slug, needed)
