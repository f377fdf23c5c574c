from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from badgeflow.models import (
    ACHIEVEMENT_ID,
    AWARD_KEY,
    AWARDED_AT,
    COMPLETED_AT,
    LEARNER_EMAIL,
    REASON,
    RECORD_KEY,
    VALID_FROM,
    VALID_UNTIL,
)
from tests.badgeflow.rules.legacy import legacy_rules
from tests.badgeflow.test_rules import completion, frame, real_catalog, run

CATALOG = real_catalog()
AS_OF = datetime(2025, 6, 1, tzinfo=UTC)
START = datetime(2022, 1, 1, tzinfo=UTC)
COURSES = (
    ("DS101", "DS201", "DS301", "DS390") * 2 + ("SQL110", "SQL110", "OTHER1") + ("PRV120",) * 4
)
EMAILS = ("ada@x.org", "ADA@x.org", "bob@x.org")
SPAN = (AS_OF - START).days
# Half the dates fall in the last ~15 months, so expiring badges are often still current at
# AS_OF (an award whose period has already ended is not issued); the rest spread over
# 2022-2025, so lapsed periods and long holding periods happen too.
days = st.one_of(
    st.integers(min_value=0, max_value=SPAN + 10),
    st.integers(min_value=SPAN - 450, max_value=SPAN + 10),
)

# Biased towards passing values so pathways and renewals actually happen in the examples.
row_fields = st.fixed_dictionaries(
    {
        "email": st.sampled_from(EMAILS),
        "course": st.sampled_from(COURSES),
        "day": days,
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
    day = days.filter(lambda d: d <= SPAN)
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


LAPSED = re.compile(r"([a-z0-9-]+): qualified on [-0-9]+, but that award would have expired")


def lapsed(evaluation) -> set[tuple[str, str]]:
    """(learner, slug) pairs whose only qualifying period had already ended at as_of."""
    return {
        (email, slug)
        for email, reason in zip(
            evaluation.outcomes[LEARNER_EMAIL], evaluation.outcomes[REASON], strict=True
        )
        for slug in LAPSED.findall(reason)
    }


@PROPERTY
@given(row_lists, row_lists)
def test_adding_completions_never_removes_an_award(first, more):
    # An added earlier completion (e.g. of a prerequisite, or starting a holding period
    # sooner) can move the date a badge was qualified for into a period that has already
    # ended: then, and only then, may an award go, and the outcomes must say so.
    before = run(frame(*build(first)), catalog=CATALOG)
    after = run(frame(*build(first), *build(more, offset=len(first))), catalog=CATALOG)
    gone = lapsed(after)
    for email, slug in held(before) - held(after):
        chain = {slug, *CATALOG.achievement(slug).dependencies}
        assert any((email, s) in gone for s in chain), (email, slug, gone)


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
        for prerequisite in legacy_rules(CATALOG.achievement(slug).rule).prerequisites:
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


@PROPERTY
@given(row_lists)
def test_new_awards_are_current_at_as_of(fields):
    awards = run(frame(*build(fields)), catalog=CATALOG).awards
    assert (awards[VALID_FROM] <= AS_OF).all()
    assert (awards[VALID_UNTIL].isna() | (awards[VALID_UNTIL] > AS_OF)).all()


@PROPERTY
@given(row_lists, st.integers(min_value=1, max_value=45))
def test_nightly_runs_renew_without_overlap(fields, lag):
    # A run `lag` days after each completion (and one at AS_OF), each seeing the rows so far
    # and the awards stored by earlier runs, as in production: renewals happen here.
    rows = build(fields)
    nights = sorted({min(f["day"] + lag, SPAN) for f in fields} | {SPAN})
    stored = run(frame(), catalog=CATALOG).awards
    for night in nights:
        as_of = START + timedelta(days=night)
        seen = frame(*(r for r in rows if r[COMPLETED_AT] <= as_of))
        new = run(seen, catalog=CATALOG, as_of=as_of, existing=stored).awards
        assert (new[VALID_FROM] <= as_of).all()
        assert (new[VALID_UNTIL].isna() | (new[VALID_UNTIL] > as_of)).all()
        if not new.empty:
            stored = new if stored.empty else pd.concat([stored, new], ignore_index=True)
        assert run(seen, catalog=CATALOG, as_of=as_of, existing=stored).awards.empty
    assert stored[AWARD_KEY].is_unique
    for _, periods in stored.groupby([LEARNER_EMAIL, ACHIEVEMENT_ID]):
        periods = periods.sort_values(VALID_FROM)
        ends = periods[VALID_UNTIL].iloc[:-1]
        assert ends.notna().all()
        assert (periods[VALID_FROM].iloc[1:].to_numpy() >= ends.to_numpy()).all()
