from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

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
    Where,
)
from badgeflow.models import (
    ACHIEVEMENT_ID,
    ATTESTATION,
    ATTESTED_AT,
    ATTESTED_BY,
    AWARD_KEY,
    AWARD_STATUS,
    COHORT,
    COMPLETED,
    COMPLETED_AT,
    COURSE_ID,
    JOINED_AT,
    LEARNER_EMAIL,
    RECORD_KEY,
    SCORE,
    SCORE_KIND,
    SOURCE,
    VALID_FROM,
    VALID_UNTIL,
)
from badgeflow.rules._explain_facts import Attestation, Completion, Held, Membership
from badgeflow.rules.explain import LearnerFacts, award_periods, evaluate_clause, explain
from badgeflow.rules.explain_render import explanation_json, render_text
from tests.badgeflow.test_rules import real_catalog

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
EMAIL = "ada@example.com"


def day(n: int) -> datetime:
    """Day n of 2026 (1 = Jan 1)."""
    return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=n - 1)


def row(
    course="DS101",
    at=10,
    *,
    key=None,
    score=None,
    kind=None,
    completed=True,
    source="lms",
    done=None,
    total=None,
):
    return Completion(
        key=key or f"{source}:{course}-{at}",
        source=source,
        course=course,
        completed=completed,
        at=None if at is None else day(at),
        score=score,
        score_kind=kind,
        modules_done=done,
        modules_total=total,
    )


def facts(*completions, awards=(), cohorts=(), attestations=()):
    return LearnerFacts(
        EMAIL, tuple(completions), tuple(awards), tuple(cohorts), tuple(attestations)
    )


def held(slug, start, end=None, status="active", key=None):
    return Held(
        key or f"k-{slug}-{start}", slug, day(start), None if end is None else day(end), status
    )


def check(clause, f, as_of=AS_OF):
    return evaluate_clause(clause, f, as_of=as_of)


# --- leaves -------------------------------------------------------------------------------


def test_course_completed_met_on_its_earliest_qualifying_completion():
    result = check(
        CourseCompleted("DS101", min_score=70), facts(row(at=20, score=80), row(at=10, score=90))
    )
    assert result.met and result.met_at == day(10)
    assert result.events == (day(10), day(20))
    assert "completed on 2026-01-10 (lms:DS101-10, score 90)" in result.reason
    assert {e.fields["record_key"] for e in result.evidence} == {"lms:DS101-10", "lms:DS101-20"}


@pytest.mark.parametrize(
    ("clause", "completion", "reason"),
    [
        (CourseCompleted("DS301"), row(), "no completion of DS301"),
        (CourseCompleted("DS101", min_score=70), row(score=65), "score 65 is below 70"),
        (CourseCompleted("DS101", min_score=70), row(), "no score recorded (needs 70)"),
        (CourseCompleted("DS101"), row(completed=False), "not completed"),
        (CourseCompleted("DS101"), row(at=None), "completed without a completion date"),
        (CourseCompleted("DS101"), row(at=200), "completed on 2026-07-19, after on 2026-06-01"),
        (
            CourseCompleted("DS101", all_modules=True),
            row(done=5, total=6),
            "5 of 6 modules completed",
        ),
        (CourseCompleted("DS101", all_modules=True), row(done=5), "module counts missing"),
        (
            CourseCompleted("DS101", min_modules=4),
            row(done=3, total=6),
            "3 modules completed, needs 4",
        ),
        (CourseCompleted("DS101", source="moodle"), row(), "no completion of DS101 from moodle"),
        (
            AssessmentPassed("DS101", 70),
            row(score=90, kind="course_total"),
            "not a final assessment",
        ),
        (
            AssessmentPassed("DS101", 70),
            row(score=60, kind="final_assessment"),
            "score 60 is below 70",
        ),
    ],
)
def test_course_leaves_say_why_they_fail(clause, completion, reason):
    result = check(clause, facts(completion))
    assert not result.met and result.met_at is None
    assert reason in result.reason


def test_course_leaf_thresholds_and_source_are_met():
    f = facts(row(score=75, kind="final_assessment", done=6, total=6, source="moodle"))
    for clause in (
        CourseCompleted("DS101", source="moodle", min_score=75, min_modules=6, all_modules=True),
        AssessmentPassed("DS101", 75, source="moodle"),
    ):
        assert check(clause, f).met_at == day(10)


def test_in_cohort_with_and_without_a_join_date():
    dated = facts(cohorts=[Membership("2026-autumn", day(30))])
    assert check(InCohort("2026-autumn"), dated).met_at == day(30)
    assert not check(InCohort("2026-autumn"), dated, as_of=day(20)).met
    assert (
        "joins 2026-autumn on 2026-01-30"
        in check(InCohort("2026-autumn"), dated, as_of=day(20)).reason
    )
    undated = check(InCohort("2026-autumn"), facts(cohorts=[Membership("2026-autumn", None)]))
    assert undated.met and undated.met_at is None
    missing = check(InCohort("2026-spring"), dated)
    assert not missing.met and missing.reason == "not in cohort 2026-spring"


def test_attested_by_a_manager_and_not_before_the_sign_off():
    f = facts(attestations=[Attestation("manager-signoff", "grace@example.com", day(40))])
    result = check(Attested("manager-signoff"), f)
    assert result.met_at == day(40) and "signed off by grace@example.com" in result.reason
    assert result.evidence[0].fields["attested_by"] == "grace@example.com"
    assert not check(Attested("manager-signoff"), f, as_of=day(39)).met
    assert check(Attested("other"), f).reason == "no other attestation"


def test_holds_badge_needs_a_current_active_award():
    assert check(HoldsBadge("data-applied"), facts(awards=[held("data-applied", 5)])).met_at == day(
        5
    )
    assert check(HoldsBadge("data-applied"), facts()).reason == "does not hold data-applied"
    revoked = check(
        HoldsBadge("data-applied"), facts(awards=[held("data-applied", 5, status="revoked")])
    )
    assert not revoked.met and "revoked" in revoked.reason
    expired = check(HoldsBadge("data-applied"), facts(awards=[held("data-applied", 5, 100)]))
    assert not expired.met and "expired on 2026-04-10" in expired.reason


def test_holds_badge_for_days_counts_the_time_held():
    f = facts(awards=[held("data-applied", 62)])  # 2026-03-03, 90 days before AS_OF
    short = check(HoldsBadge("data-applied", for_days=182), f)
    assert not short.met and short.reason == "held data-applied for 90 of 182 days"
    long = check(HoldsBadge("data-applied", for_days=60), f)
    assert long.met and long.met_at == day(122)
    ending = check(
        HoldsBadge("data-applied", for_days=60), facts(awards=[held("data-applied", 62, 200)])
    )
    assert ending.met  # ends after the 60 days are up
    too_short = check(
        HoldsBadge("data-applied", 60), facts(awards=[held("data-applied", 62, 100)]), as_of=day(90)
    )
    assert not too_short.met and "before that" in too_short.reason


# --- combinators --------------------------------------------------------------------------

A, B, C = CourseCompleted("A"), CourseCompleted("B"), CourseCompleted("C")
ABC = facts(row("A", 10), row("B", 20))  # C never completed


def test_all_of_is_met_at_the_latest_of_its_clauses():
    assert check(AllOf((A, B)), ABC).met_at == day(20)
    result = check(AllOf((A, B, C)), ABC)
    assert not result.met and result.reason == "2 of 3 met, needs 3"


def test_any_of_is_met_at_the_earliest():
    assert check(AnyOf((C, B, A)), ABC).met_at == day(10)
    assert not check(AnyOf((C,)), ABC).met


def test_at_least_k_is_met_at_the_kth_earliest():
    assert check(AtLeast(2, (A, B, C)), ABC).met_at == day(20)
    assert check(AtLeast(1, (A, B, C)), ABC).met_at == day(10)
    assert check(AtLeast(3, (A, B, C)), ABC).reason == "2 of 3 met, needs 3"


def test_undated_clauses_count_but_never_give_a_date():
    f = facts(row("A", 10), row("B", 20), cohorts=[Membership("x", None)])
    cohort = InCohort("x")
    assert check(AtLeast(2, (cohort, A, B)), f).met_at == day(10)
    assert check(AllOf((cohort, B)), f).met_at == day(20)
    assert check(AnyOf((cohort, B)), f).met_at == day(20)
    alone = check(AllOf((cohort, Not(C))), f)
    assert alone.met and alone.met_at is None


def test_not_is_met_when_its_clause_is_not():
    assert check(Not(C), ABC).met and not check(Not(A), ABC).met
    assert check(Not(A), ABC).children[0].met
    assert check(Not(A), ABC).reason == "A completed is met"
    assert check(Not(C), ABC).reason == "C completed: not met, as required"


def test_where_is_kept_on_every_result():
    clause = AllOf((CourseCompleted("A", where=Where("x.yaml", 4)),), where=Where("x.yaml", 3))
    result = check(clause, ABC)
    assert str(result.where) == "x.yaml:3" and str(result.children[0].where) == "x.yaml:4"


# --- periods, pathways, catalog -----------------------------------------------------------


def expiring(days=100):
    return (
        real_catalog().achievement("data-foundations").model_copy(update={"valid_for_days": days})
    )


def test_a_period_starts_when_the_rule_is_met_and_ends_after_valid_for_days():
    assert award_periods(expiring(), facts(row("DS101", 10)), as_of=day(50)) == [
        (day(10), day(110))
    ]
    never = real_catalog().achievement("data-foundations")
    assert award_periods(never, facts(row("DS101", 10)), as_of=AS_OF) == [(day(10), None)]
    assert award_periods(never, facts(), as_of=AS_OF) == []


def test_an_ended_period_is_renewed_by_a_later_completion_only():
    assert award_periods(expiring(), facts(row("DS101", 10), row("DS101", 20)), as_of=AS_OF) == []
    renewed = facts(row("DS101", 10), row("DS101", 20), row("DS101", 120))
    assert award_periods(expiring(), renewed, as_of=AS_OF) == [(day(120), day(220))]


def pathway_learner():
    return facts(row("DS101", 10), row("DS201", 20, score=80))


def test_a_prerequisite_earned_in_the_same_evaluation_counts_with_the_catalog():
    catalog = real_catalog()
    applied = catalog.achievement("data-applied")
    alone = explain(applied, pathway_learner(), as_of=AS_OF)
    assert not alone.result.met
    assert alone.result.children[0].reason == "does not hold data-foundations"
    together = explain(applied, pathway_learner(), as_of=AS_OF, catalog=catalog)
    assert together.result.met and together.result.met_at == day(20)
    assert together.result.children[0].reason.endswith("(awarded in this evaluation)")
    assert together.periods == ((day(20), None),) and not together.holds


def test_a_revoked_prerequisite_is_not_made_again():
    catalog = real_catalog()
    from badgeflow.rules import award_key

    key = award_key(EMAIL, "data-foundations", valid_from=day(10), expires=False)
    f = LearnerFacts(
        EMAIL,
        pathway_learner().completions,
        (Held(key, "data-foundations", day(10), None, "revoked"),),
    )
    result = explain(catalog.achievement("data-applied"), f, as_of=AS_OF, catalog=catalog)
    assert not result.result.met and "revoked" in result.result.children[0].reason


def test_certification_needs_six_months_of_the_previous_tier():
    catalog = real_catalog()
    f = LearnerFacts(
        EMAIL,
        (row("DS301", 100, done=5, total=5), row("DS390", 110, score=74, kind="final_assessment")),
        (held("data-foundations", 1), held("data-applied", 62)),
    )
    result = explain(
        catalog.achievement("certified-data-practitioner"), f, as_of=AS_OF, catalog=catalog
    )
    assert not result.result.met
    reasons = [c.reason for c in result.result.children]
    assert "held data-applied for 90 of 182 days" in reasons
    later = explain(
        catalog.achievement("certified-data-practitioner"), f, as_of=day(300), catalog=catalog
    )
    assert later.result.met and later.result.met_at == day(62 + 182)


def test_from_frames_picks_one_learner_and_normalises():
    completions = pd.DataFrame(
        [
            {
                RECORD_KEY: "lms:1",
                SOURCE: "lms",
                LEARNER_EMAIL: " Ada@Example.com ",
                COURSE_ID: "DS101",
                COMPLETED: True,
                COMPLETED_AT: pd.Timestamp("2026-01-10", tz="UTC"),
                SCORE: 90.0,
                SCORE_KIND: None,
            },
            {
                RECORD_KEY: "lms:2",
                SOURCE: "lms",
                LEARNER_EMAIL: "bo@example.com",
                COURSE_ID: "DS101",
                COMPLETED: True,
                COMPLETED_AT: pd.Timestamp("2026-01-10", tz="UTC"),
                SCORE: None,
                SCORE_KIND: None,
            },
        ]
    )
    awards = pd.DataFrame(
        [
            {
                AWARD_KEY: "k",
                LEARNER_EMAIL: EMAIL,
                ACHIEVEMENT_ID: "x",
                VALID_FROM: day(3),
                VALID_UNTIL: pd.NaT,
                AWARD_STATUS: "suspended",
            }
        ]
    )
    cohorts = pd.DataFrame([{LEARNER_EMAIL: EMAIL, COHORT: "c", JOINED_AT: pd.NaT}])
    attestations = pd.DataFrame(
        [
            {
                LEARNER_EMAIL: EMAIL,
                ATTESTATION: "a",
                ATTESTED_BY: "m@example.com",
                ATTESTED_AT: day(4),
            }
        ]
    )
    f = LearnerFacts.from_frames(
        "ADA@example.com",
        completions=completions,
        awards=awards,
        cohorts=cohorts,
        attestations=attestations,
    )
    assert [c.key for c in f.completions] == ["lms:1"] and f.completions[0].score == 90.0
    assert f.completions[0].modules_done is None and f.completions[0].at == day(10)
    assert f.awards == (Held("k", "x", day(3), None, "suspended"),)
    assert f.cohorts == (Membership("c", None),)
    assert f.attestations == (Attestation("a", "m@example.com", day(4)),)


def test_render_text_and_json():
    catalog = real_catalog()
    e = explain(
        catalog.achievement("data-applied"), pathway_learner(), as_of=AS_OF, catalog=catalog
    )
    text = render_text(e)
    assert text.splitlines()[0] == f"data-applied for {EMAIL} as of {AS_OF.isoformat()}: MET"
    assert "holds no award of it" in text and "would award it from 2026-01-20" in text
    assert "✓ all of since 2026-01-20: 2 of 2 met" in text
    assert "├─ ✓ holds data-foundations since 2026-01-10" in text
    assert "└─ ✓ DS201 completed with score >= 70" in text
    plain = render_text(e, ascii=True)
    assert plain.isascii() and "`- [x] DS201 completed" in plain and "|- [x] holds" in plain
    data = json.loads(json.dumps(explanation_json(e)))
    assert data["met"] is True and data["rule"]["clause"] == "AllOf"
    assert data["rule"]["children"][1]["evidence"][0]["record_key"] == "lms:DS201-20"


def test_render_shows_where_each_clause_was_written_and_a_stored_award():
    rule = AllOf(
        (HoldsBadge("data-foundations", where=Where("a.yaml", 9)), Not(CourseCompleted("X"))),
        where=Where("a.yaml", 8),
    )
    achievement = real_catalog().achievement("data-applied")
    f = facts(awards=[held("data-foundations", 5), held("data-applied", 6, key="k-applied-123456")])
    e = explain(achievement.model_copy(), f, as_of=AS_OF)
    assert e.holds and "already holds it: award k-applied-12 from 2026-01-06" in render_text(e)
    from badgeflow.rules.explain import Explanation

    tree = render_text(Explanation(EMAIL, "x", AS_OF, evaluate_clause(rule, f, as_of=AS_OF)))
    assert "✓ all of since 2026-01-05: 2 of 2 met  [a.yaml:8]" in tree
    assert "├─ ✓ holds data-foundations since 2026-01-05" in tree and "[a.yaml:9]" in tree
    assert "└─ ✓ not: X completed: not met, as required" in tree
    assert "   └─ ✗ X completed: no completion of X" in tree
    node = explanation_json(e)["rule"]["children"][0]
    assert node["evidence"][0] == {
        "kind": "award",
        "at": day(5).isoformat(),
        "achievement": "data-foundations",
        "award_key": "k-data-foundations-5",
        "status": "active",
        "valid_until": None,
    }
