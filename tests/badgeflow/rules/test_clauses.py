from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
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
from badgeflow.models import (
    ACHIEVEMENT_ID,
    ATTESTATION_COLUMNS,
    ATTESTED_AT,
    ATTESTED_BY,
    AWARDED_AT,
    COHORT_COLUMNS,
    EVIDENCE_RECORD_IDS,
    JOINED_AT,
    LEARNER_EMAIL,
    SCORE,
    SCORE_KIND,
)
from badgeflow.rules import AWARDED, NOT_YET_ELIGIBLE, evaluate
from tests.badgeflow.rules.catalogs import catalog
from tests.badgeflow.test_rules import completion, frame, no_awards, outcome_of

AS_OF = datetime(2025, 6, 1, tzinfo=UTC)


def ts(day: str) -> pd.Timestamp:
    return pd.Timestamp(day, tz="UTC")


def cohorts(*rows: tuple[str, str, str | None]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(COHORT_COLUMNS))
    df[JOINED_AT] = pd.to_datetime(df[JOINED_AT], utc=True)
    return df


def attestations(*rows: tuple[str, str, str]) -> pd.DataFrame:
    df = pd.DataFrame(
        [(e, a, "manager@x.org", at) for e, a, at in rows], columns=list(ATTESTATION_COLUMNS)
    )
    df[ATTESTED_AT] = pd.to_datetime(df[ATTESTED_AT], utc=True)
    assert ATTESTED_BY in df.columns
    return df


def run(rules, df, **kwargs):
    expiring = kwargs.pop("expiring", None)
    return evaluate(
        df,
        catalog(rules, expiring=expiring),
        as_of=kwargs.pop("as_of", AS_OF),
        existing_awards=kwargs.pop("existing", no_awards()),
        **kwargs,
    )


def awarded(ev) -> dict[str, pd.Timestamp]:
    return dict(zip(ev.awards[ACHIEVEMENT_ID], ev.awards[AWARDED_AT], strict=True))


def test_any_of_is_met_at_the_earliest_met_clause():
    rule = AnyOf((CourseCompleted("A"), CourseCompleted("B", min_score=80)))
    ev = run(
        {"x": rule},
        frame(
            completion("1", "a@x.org", "A", "2025-03-01"),
            completion("2", "a@x.org", "B", "2025-02-01", score=90),
            completion("3", "b@x.org", "B", "2025-02-01", score=50),
        ),
    )
    assert awarded(ev) == {"x": ts("2025-02-01")}
    assert outcome_of(ev, "lms:3") == (NOT_YET_ELIGIBLE, "B: score 50.0 is below 80")


def test_k_of_n_is_met_at_the_kth_earliest_date():
    rule = AtLeast(2, tuple(CourseCompleted(c) for c in ("A", "B", "C")))
    ev = run(
        {"x": rule},
        frame(
            completion("1", "a@x.org", "C", "2025-04-01"),
            completion("2", "a@x.org", "A", "2025-01-01"),
            completion("3", "a@x.org", "B", "2025-03-01"),
            completion("4", "b@x.org", "A", "2025-01-01"),
        ),
    )
    assert awarded(ev) == {"x": ts("2025-03-01")}
    assert ev.awards.iloc[0][LEARNER_EMAIL] == "a@x.org"
    assert ev.awards.iloc[0][EVIDENCE_RECORD_IDS] == ("lms:2", "lms:3")
    assert outcome_of(ev, "lms:4") == (
        NOT_YET_ELIGIBLE,
        "x: still needs 2 of (A completed; B completed; C completed)",
    )


def test_not_blocks_and_contributes_no_date():
    rule = AllOf((CourseCompleted("A"), Not(InCohort("staff"))))
    rows = frame(
        completion("1", "a@x.org", "A", "2025-01-01"),
        completion("2", "b@x.org", "A", "2025-01-02"),
    )
    ev = run({"x": rule}, rows, cohorts=cohorts(("B@x.org ", "staff", None)))
    assert ev.awards[LEARNER_EMAIL].tolist() == ["a@x.org"]
    assert awarded(ev) == {"x": ts("2025-01-01")}
    assert outcome_of(ev, "lms:2") == (
        NOT_YET_ELIGIBLE,
        "x: still needs not membership of the staff cohort",
    )


@pytest.mark.parametrize(
    ("joined", "expected"),
    [(None, "2025-01-01"), ("2025-02-01", "2025-02-01"), ("2025-07-01", None)],
)
def test_cohort_membership_dates(joined, expected):
    rule = AllOf((CourseCompleted("A"), InCohort("spring")))
    ev = run(
        {"x": rule},
        frame(completion("1", "a@x.org", "A", "2025-01-01")),
        cohorts=cohorts(("a@x.org", "spring", joined), ("a@x.org", "autumn", None)),
    )
    assert awarded(ev) == ({} if expected is None else {"x": ts(expected)})


def test_attestation_from_a_file_source_combines_with_courses():
    rule = AllOf((AssessmentPassed("A", pass_mark=70), Attested("manager-signoff")))
    rows = frame(
        completion("1", "a@x.org", "A", "2025-01-01", score=75),
        completion("2", "b@x.org", "A", "2025-01-01", score=75),
        completion("3", "c@x.org", "A", "2025-01-01", score=75),
    )
    rows[SCORE_KIND] = ["final_assessment", "final_assessment", "course_total"]
    ev = run(
        {"x": rule},
        rows,
        attestations=(
            attestations(
                ("a@x.org", "manager-signoff", "2025-03-01"), ("b@x.org", "other", "2025-03-01")
            )
        ),
    )
    assert awarded(ev) == {"x": ts("2025-03-01")}
    assert ev.awards.iloc[0][SCORE] == 75.0
    assert outcome_of(ev, "lms:2") == (
        NOT_YET_ELIGIBLE,
        "x: still needs the manager-signoff attestation",
    )
    assert outcome_of(ev, "lms:3") == (
        NOT_YET_ELIGIBLE,
        "A: the score is not a final assessment score",
    )


def test_a_course_from_one_source_only():
    rule = CourseCompleted("A", source="moodle")
    ev = run(
        {"x": rule},
        frame(
            completion("1", "a@x.org", "A", "2025-01-01", source="csv"),
            completion("2", "a@x.org", "A", "2025-02-01", source="moodle"),
        ),
    )
    assert awarded(ev) == {"x": ts("2025-02-01")}
    assert outcome_of(ev, "csv:1")[0] == NOT_YET_ELIGIBLE


def test_same_run_pathway_and_earned_badges_as_prerequisites():
    rules = {
        "t1": CourseCompleted("A"),
        "t2": AllOf((HoldsBadge("t1"), CourseCompleted("B"))),
        "t3": AllOf((HoldsBadge("t2"), AnyOf((CourseCompleted("C"), HoldsBadge("t1", 90))))),
    }
    ev = run(
        rules,
        frame(
            completion("1", "a@x.org", "A", "2025-01-01"),
            completion("2", "a@x.org", "B", "2025-01-15"),
        ),
    )
    # t3: t2 since 01-15, t1 held 90 days on 2025-04-01
    assert awarded(ev) == {"t1": ts("2025-01-01"), "t2": ts("2025-01-15"), "t3": ts("2025-04-01")}
    assert set(ev.outcomes["outcome"]) == {AWARDED}
