"""The vectorised evaluator and the per-learner reference (`rules.explain`) agree.

Both follow the semantics written in `badgeflow.criteria.nodes`; here hypothesis draws the
catalog's clause trees (every node kind, expiring and not), the completions, the cohort and
attestation files and the stored awards, and the two must make exactly the same awards.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from badgeflow.criteria import (
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
)
from badgeflow.models import (
    ACHIEVEMENT_ID,
    ATTESTATION_COLUMNS,
    AWARD_KEY,
    COHORT_COLUMNS,
    LEARNER_EMAIL,
    VALID_FROM,
    VALID_UNTIL,
)
from badgeflow.rules import evaluate
from badgeflow.rules.reference import reference_awards
from tests.badgeflow.rules.catalogs import catalog
from tests.badgeflow.test_rules import completion, frame, no_awards
from tests.badgeflow.test_rules_properties import PROPERTY

AS_OF = datetime(2025, 6, 1, tzinfo=UTC)
START = AS_OF - timedelta(days=1000)
EMAILS = ("ada@x.org", "bob@x.org", "cy@x.org")
COURSES = ("C1", "C2", "C3")
COLUMNS = [AWARD_KEY, LEARNER_EMAIL, ACHIEVEMENT_ID, VALID_FROM, VALID_UNTIL]

leaf = st.one_of(
    st.builds(
        CourseCompleted,
        st.sampled_from(COURSES),
        min_score=st.sampled_from([None, 50.0, 80.0]),
        all_modules=st.booleans(),
    ),
    st.builds(AssessmentPassed, st.sampled_from(COURSES), st.sampled_from([60.0, 75.0])),
    st.builds(InCohort, st.sampled_from(["north", "south"])),
    st.builds(Attested, st.just("signoff")),
)


def combine(children: st.SearchStrategy[Clause]) -> st.SearchStrategy[Clause]:
    many = st.lists(children, min_size=1, max_size=3).map(tuple)
    return st.one_of(
        many.map(AllOf),
        many.map(AnyOf),
        many.flatmap(lambda cs: st.integers(1, len(cs)).map(lambda k: AtLeast(k, cs))),
        children.map(Not),
    )


rules = st.recursive(leaf, combine, max_leaves=4)


@st.composite
def catalogs(draw):
    """Three achievements: a, then b and c which may hold a (and c may hold b)."""
    a = draw(rules)
    b = draw(rules)
    c = draw(rules)
    if draw(st.booleans()):
        b = AllOf((HoldsBadge("a", for_days=draw(st.sampled_from([0, 60]))), b))
    if draw(st.booleans()):
        c = AnyOf((HoldsBadge("b"), c)) if draw(st.booleans()) else AllOf((HoldsBadge("a"), c))
    expiring = {
        slug: days
        for slug in ("a", "b", "c")
        if (days := draw(st.sampled_from([None, 200, 400]))) is not None
    }
    windows = {
        slug: window
        for slug in expiring
        if (window := draw(st.sampled_from([None, 60, 150]))) is not None
    }
    return catalog({"a": a, "b": b, "c": c}, expiring=expiring, windows=windows)


day = st.integers(min_value=0, max_value=1010)
completions = st.lists(
    st.fixed_dictionaries(
        {
            "email": st.sampled_from(EMAILS),
            "course": st.sampled_from(COURSES),
            "day": day,
            "score": st.sampled_from([None, 40.0, 65.0, 90.0]),
            "kind": st.sampled_from(["final_assessment", "course_total"]),
            "modules": st.sampled_from([(4, 4), (2, 4), (None, None)]),
        }
    ),
    max_size=12,
)
cohort_rows = st.lists(
    st.tuples(st.sampled_from(EMAILS), st.sampled_from(["north", "south"]), st.none() | day),
    max_size=3,
)
attestation_rows = st.lists(st.tuples(st.sampled_from(EMAILS), day), max_size=3)


def build(rows, cohorts, attestations):
    df = frame(
        *(
            completion(
                str(i),
                r["email"],
                r["course"],
                START + timedelta(days=r["day"]),
                score=r["score"],
                done=r["modules"][0],
                total=r["modules"][1],
            )
            for i, r in enumerate(rows)
        )
    )
    df["score_kind"] = [r["kind"] for r in rows] if rows else []
    cohort_frame = pd.DataFrame(
        [
            (e, c, None if d is None else pd.Timestamp(START + timedelta(days=d)))
            for e, c, d in cohorts
        ],
        columns=list(COHORT_COLUMNS),
    )
    cohort_frame["joined_at"] = pd.to_datetime(cohort_frame["joined_at"], utc=True)
    signoffs = pd.DataFrame(
        [(e, "signoff", "manager@x.org", START + timedelta(days=d)) for e, d in attestations],
        columns=list(ATTESTATION_COLUMNS),
    )
    signoffs["attested_at"] = pd.to_datetime(signoffs["attested_at"], utc=True)
    return df, cohort_frame, signoffs


def normalised(awards: pd.DataFrame) -> list[dict]:
    out = awards[COLUMNS].copy()
    for column in (VALID_FROM, VALID_UNTIL):
        out[column] = pd.to_datetime(out[column], utc=True)
    return out.sort_values([LEARNER_EMAIL, ACHIEVEMENT_ID], ignore_index=True).to_dict("records")


@settings(PROPERTY, max_examples=80)
@given(catalogs(), completions, cohort_rows, attestation_rows)
def test_vectorised_and_reference_make_the_same_awards(cat, rows, cohorts, attestations):
    df, cohort_frame, signoffs = build(rows, cohorts, attestations)
    got = evaluate(
        df,
        cat,
        as_of=AS_OF,
        existing_awards=no_awards(),
        cohorts=cohort_frame,
        attestations=signoffs,
    )
    expected = reference_awards(df, cat, as_of=AS_OF, cohorts=cohort_frame, attestations=signoffs)
    assert normalised(got.awards) == normalised(expected)


@settings(PROPERTY, max_examples=200)
@given(catalogs(), completions, completions, cohort_rows, attestation_rows)
def test_they_agree_on_a_second_night_with_stored_awards(cat, first, more, cohorts, signed):
    """Night one's awards are stored; night two (more completions, later clock) agrees too."""
    df, cohort_frame, signoffs = build(first, cohorts, signed)
    night_one = AS_OF - timedelta(days=150)
    stored = evaluate(
        df[df["completed_at"] <= night_one],
        cat,
        as_of=night_one,
        existing_awards=no_awards(),
        cohorts=cohort_frame,
        attestations=signoffs,
    ).awards
    both, _, _ = build(first + more, cohorts, signed)
    got = evaluate(
        both,
        cat,
        as_of=AS_OF,
        existing_awards=stored,
        cohorts=cohort_frame,
        attestations=signoffs,
    )
    expected = reference_awards(
        both,
        cat,
        as_of=AS_OF,
        existing_awards=stored,
        cohorts=cohort_frame,
        attestations=signoffs,
    )
    assert normalised(got.awards) == normalised(expected)


def test_a_prerequisite_renewed_in_the_window_renews_the_badge_holding_it():
    """Found by the property above: every current award of a held badge is an event."""
    cat = catalog(
        {
            "a": Not(Not(Attested("signoff"))),  # met with no date: at each night's clock
            "c": AllOf((HoldsBadge("a"), Not(CourseCompleted("C1")))),
        },
        expiring={"a": 200, "c": 200},
        windows={"a": 60, "c": 60},
    )
    df, cohort_frame, signoffs = build([], [], [("ada@x.org", 0)])
    night_one = AS_OF - timedelta(days=150)
    stored = evaluate(
        df, cat, as_of=night_one, existing_awards=no_awards(), attestations=signoffs
    ).awards
    assert sorted(stored[ACHIEVEMENT_ID]) == ["a", "c"]
    got = evaluate(df, cat, as_of=AS_OF, existing_awards=stored, attestations=signoffs)
    expected = reference_awards(df, cat, as_of=AS_OF, existing_awards=stored, attestations=signoffs)
    assert normalised(got.awards) == normalised(expected)
    assert sorted(got.awards[ACHIEVEMENT_ID]) == ["a", "c"]  # both renewed early, today
