from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from badgeflow.models import ACHIEVEMENT_ID, AWARD_KEY, AWARDED_AT, LEARNER_EMAIL, RECORD_KEY
from tests.badgeflow.test_rules import completion, frame, real_catalog, run

CATALOG = real_catalog()
AS_OF = datetime(2025, 6, 1, tzinfo=UTC)
START = datetime(2022, 1, 1, tzinfo=UTC)
COURSES = ("DS101", "DS201", "DS301", "DS390") * 3 + ("SQL110", "PRV120", "PRV120", "OTHER1")
EMAILS = ("ada@x.org", "ADA@x.org", "bob@x.org")

# Biased towards passing values so pathways and renewals actually happen in the examples.
row_fields = st.fixed_dictionaries(
    {
        "email": st.sampled_from(EMAILS),
        "course": st.sampled_from(COURSES),
        "day": st.integers(min_value=0, max_value=(AS_OF - START).days + 10),
        "completed": st.sampled_from((True, True, True, False)),
        "score": st.one_of(
            st.sampled_from((None, 69.0, 70.0, 75.0, 95.0)),
            st.integers(min_value=0, max_value=100).map(float),
        ),
        "modules": st.sampled_from(((6, 6), (8, 8), (5, 6), (7, 8), (None, None), (6, None))),
    }
)


@st.composite
def pathway_rows(draw) -> list[dict]:
    """The four Data Skills courses for one learner, passed, in any order of dates."""
    email = draw(st.sampled_from(EMAILS))
    day = st.integers(min_value=0, max_value=(AS_OF - START).days)
    passing = {"completed": True, "score": 85.0, "modules": (8, 8)}
    return [
        {"email": email, "course": course, "day": draw(day), **passing}
        for course in ("DS101", "DS201", "DS301", "DS390")
    ]


row_lists = st.builds(
    lambda noise, paths: noise + [row for path in paths for row in path],
    st.lists(row_fields, max_size=20),
    st.lists(pathway_rows(), max_size=2),
)
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def build(fields: list[dict], offset: int = 0) -> list[dict]:
    return [
        completion(
            str(offset + i),
            f["email"],
            f["course"],
            START + timedelta(days=f["day"]),
            score=f["score"],
            done=f["modules"][0],
            total=f["modules"][1],
            completed=f["completed"],
        )
        for i, f in enumerate(fields)
    ]


def held(evaluation) -> set[tuple[str, str]]:
    return set(
        zip(evaluation.awards[LEARNER_EMAIL], evaluation.awards[ACHIEVEMENT_ID], strict=True)
    )


@PROPERTY
@given(row_lists, row_lists)
def test_adding_completions_never_removes_an_award(first, more):
    before = run(frame(*build(first)), catalog=CATALOG)
    after = run(frame(*build(first), *build(more, offset=len(first))), catalog=CATALOG)
    assert held(before) <= held(after)


@PROPERTY
@given(row_lists, st.randoms(use_true_random=False))
def test_evaluation_is_order_independent(fields, rnd: random.Random):
    rows = build(fields)
    shuffled = rows[:]
    rnd.shuffle(shuffled)
    a = run(frame(*rows), catalog=CATALOG)
    b = run(frame(*shuffled), catalog=CATALOG)
    pd.testing.assert_frame_equal(
        a.awards.sort_values(AWARD_KEY).reset_index(drop=True),
        b.awards.sort_values(AWARD_KEY).reset_index(drop=True),
    )
    pd.testing.assert_frame_equal(
        a.outcomes.sort_values(RECORD_KEY).reset_index(drop=True),
        b.outcomes.sort_values(RECORD_KEY).reset_index(drop=True),
    )


@PROPERTY
@given(row_lists)
def test_a_pathway_award_implies_its_prerequisites(fields):
    awards = run(frame(*build(fields)), catalog=CATALOG).awards
    for award in awards.itertuples(index=False):
        slug = getattr(award, ACHIEVEMENT_ID)
        for prerequisite in CATALOG.achievement(slug).rules.prerequisites:
            earlier = awards[
                (awards[LEARNER_EMAIL] == getattr(award, LEARNER_EMAIL))
                & (awards[ACHIEVEMENT_ID] == prerequisite)
                & (awards[AWARDED_AT] <= getattr(award, AWARDED_AT))
            ]
            assert len(earlier) >= 1, (slug, prerequisite)


@PROPERTY
@given(row_lists)
def test_counts_add_up(fields):
    df = frame(*build(fields))
    ev = run(df, catalog=CATALOG)
    assert len(ev.outcomes) == len(df)
    assert ev.outcomes[RECORD_KEY].tolist() == df[RECORD_KEY].tolist()
    assert ev.awards[AWARD_KEY].is_unique


@PROPERTY
@given(row_lists)
def test_feeding_back_awards_gives_no_new_awards(fields):
    df = frame(*build(fields))
    first = run(df, catalog=CATALOG)
    second = run(df, catalog=CATALOG, existing=first.awards)
    assert second.awards.empty
    pd.testing.assert_frame_equal(first.outcomes, second.outcomes)
