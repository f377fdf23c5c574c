from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from badgeflow.catalog import Catalog, load_catalog
from badgeflow.models import (
    ACHIEVEMENT_ID,
    AWARD_COLUMNS,
    AWARD_KEY,
    AWARD_STATUS,
    AWARDED_AT,
    COMPLETED,
    COMPLETED_AT,
    COMPLETION_COLUMNS,
    COURSE_ID,
    EVIDENCE_RECORD_IDS,
    LEARNER_EMAIL,
    LEARNER_NAME,
    MODULES_COMPLETED,
    MODULES_TOTAL,
    OUTCOME,
    OUTCOME_COLUMNS,
    REASON,
    RECORD_KEY,
    SCORE,
    SCORE_KIND,
    SOURCE,
    SOURCE_RECORD_ID,
    VALID_FROM,
    VALID_UNTIL,
)
from badgeflow.rules import AWARDED, NOT_YET_ELIGIBLE, award_key, evaluate

ROOT = Path(__file__).resolve().parents[2]
AS_OF = datetime(2025, 6, 1, tzinfo=UTC)


def real_catalog() -> Catalog:
    return load_catalog(ROOT / "badge_catalog")


def tiny_catalog() -> Catalog:
    return load_catalog(ROOT / "tests" / "fixtures" / "catalog" / "tiny")


def completion(
    key: str,
    email: str,
    course: str,
    at: str | datetime | None,
    *,
    score: float | None = None,
    done: int | None = None,
    total: int | None = None,
    completed: bool = True,
    name: str | None = "Ada Lovelace",
    source: str = "lms",
) -> dict:
    """One canonical completion row (every COMPLETION_COLUMNS key plus RECORD_KEY)."""
    row = dict.fromkeys(COMPLETION_COLUMNS)
    row.update(
        {
            SOURCE: source,
            SOURCE_RECORD_ID: key,
            RECORD_KEY: f"{source}:{key}",
            LEARNER_EMAIL: email,
            LEARNER_NAME: name,
            COURSE_ID: course,
            COMPLETED: completed,
            COMPLETED_AT: None
            if at is None
            else pd.Timestamp(at).tz_localize("UTC")
            if pd.Timestamp(at).tzinfo is None
            else pd.Timestamp(at),
            SCORE: score,
            # The demo catalog's DS390 is an `assessment:` clause; scores here are final ones.
            SCORE_KIND: "none" if score is None else "final_assessment",
            MODULES_COMPLETED: done,
            MODULES_TOTAL: total,
        }
    )
    return row


def frame(*rows: dict) -> pd.DataFrame:
    df = pd.DataFrame(list(rows), columns=[*COMPLETION_COLUMNS, RECORD_KEY])
    df[COMPLETED_AT] = pd.to_datetime(df[COMPLETED_AT], utc=True)
    df[SCORE] = df[SCORE].astype("float64")
    for column in (MODULES_COMPLETED, MODULES_TOTAL):
        df[column] = df[column].astype("Int64")
    return df


def no_awards() -> pd.DataFrame:
    return pd.DataFrame(columns=list(AWARD_COLUMNS))


def run(
    df: pd.DataFrame, *, catalog: Catalog | None = None, as_of: datetime = AS_OF, existing=None
):
    return evaluate(
        df,
        catalog or real_catalog(),
        as_of=as_of,
        existing_awards=no_awards() if existing is None else existing,
    )


def outcome_of(evaluation, record_key: str) -> tuple[str, str]:
    row = evaluation.outcomes.set_index(RECORD_KEY).loc[record_key]
    return row[OUTCOME], row[REASON]


def awards_of(evaluation, email: str | None = None) -> list[str]:
    awards = evaluation.awards
    if email is not None:
        awards = awards[awards[LEARNER_EMAIL] == email]
    return awards[ACHIEVEMENT_ID].tolist()


def test_single_course_badge():
    ev = run(frame(completion("1", "ada@x.org", "DS101", "2025-01-10T09:30")))
    assert list(ev.awards.columns) == list(AWARD_COLUMNS)
    award = ev.awards.iloc[0]
    assert award[ACHIEVEMENT_ID] == "data-foundations"
    assert award[AWARDED_AT] == pd.Timestamp("2025-01-10T09:30", tz="UTC")
    assert award[VALID_FROM] == award[AWARDED_AT]
    assert pd.isna(award[VALID_UNTIL])
    assert pd.isna(award[SCORE])
    assert award[EVIDENCE_RECORD_IDS] == ("lms:1",)
    assert award[LEARNER_NAME] == "Ada Lovelace"
    expected = hashlib.sha256(b"ada@x.org|data-foundations|perpetual").hexdigest()
    assert award[AWARD_KEY] == expected
    assert list(ev.outcomes.columns) == list(OUTCOME_COLUMNS)
    assert outcome_of(ev, "lms:1") == (AWARDED, "")


def test_award_key_uses_the_start_date_for_expiring_badges():
    start = datetime(2025, 3, 4, 23, 59, tzinfo=UTC)
    assert award_key("a@x.org", "data-privacy-basics", valid_from=start, expires=True) == (
        hashlib.sha256(b"a@x.org|data-privacy-basics|2025-03-04").hexdigest()
    )
    assert award_key("a@x.org", "x", valid_from=start, expires=False) == (
        hashlib.sha256(b"a@x.org|x|perpetual").hexdigest()
    )


@pytest.mark.parametrize(
    ("score", "outcome", "reason"),
    [
        (69.5, NOT_YET_ELIGIBLE, "DS201: score 69.5 is below 70"),
        (70.0, AWARDED, ""),
        (None, NOT_YET_ELIGIBLE, "DS201: no score recorded (needs at least 70)"),
    ],
)
def test_score_threshold(score, outcome, reason):
    ev = run(
        frame(
            completion("1", "ada@x.org", "DS101", "2025-01-01"),
            completion("2", "ada@x.org", "DS201", "2025-02-01", score=score),
        )
    )
    assert outcome_of(ev, "lms:2") == (outcome, reason)


# A passing SQL110 row also counts towards the Data Mentor badge, whose other needs are then
# listed too; a failing score fails both badges' SQL110 conditions, said once.
SIGNOFF = "one of (the manager-signoff attestation; membership of the 2026-autumn cohort)"
MENTOR = f"data-mentor: still needs the data-applied badge; {SIGNOFF}"


@pytest.mark.parametrize(
    ("score", "done", "total", "reason"),
    [
        (70.0, 5, 6, "SQL110: score 70.0 is below 75; 5 of 6 modules completed"),
        (90.0, 6, 7, f"SQL110: 6 of 7 modules completed; {MENTOR}"),
        (90.0, 5, 5, f"SQL110: 5 of 5 modules completed (needs at least 6); {MENTOR}"),
        (90.0, 6, None, f"SQL110: module counts missing; {MENTOR}"),
        (None, 6, 6, "SQL110: no score recorded (needs at least 75)"),
    ],
)
def test_sql_essentials_reasons(score, done, total, reason):
    ev = run(
        frame(
            completion(
                "1", "bob@x.org", "SQL110", "2025-01-01", score=score, done=done, total=total
            )
        )
    )
    assert ev.awards.empty
    assert outcome_of(ev, "lms:1") == (NOT_YET_ELIGIBLE, reason)


def test_sql_essentials_awarded_at_thresholds():
    ev = run(frame(completion("1", "bob@x.org", "SQL110", "2025-01-01", score=75, done=6, total=6)))
    assert awards_of(ev) == ["sql-essentials"]
    assert ev.awards.iloc[0][SCORE] == 75.0


def test_not_completed_and_future_rows():
    ev = run(
        frame(
            completion("1", "a@x.org", "DS101", None, completed=False),
            completion("2", "b@x.org", "DS101", "2025-06-02"),
        )
    )
    assert ev.awards.empty
    assert outcome_of(ev, "lms:1") == (NOT_YET_ELIGIBLE, "DS101: not completed")
    assert "after the evaluation time" in outcome_of(ev, "lms:2")[1]


def test_missing_prerequisite_reason():
    ev = run(frame(completion("1", "ada@x.org", "DS201", "2025-02-01", score=90)))
    assert ev.awards.empty
    assert outcome_of(ev, "lms:1") == (
        NOT_YET_ELIGIBLE,
        "data-applied: still needs the data-foundations badge",
    )


def test_prerequisite_earned_later_sets_the_award_date():
    ev = run(
        frame(
            completion("1", "ada@x.org", "DS201", "2025-02-01", score=90),
            completion("2", "ada@x.org", "DS101", "2025-03-01"),
        )
    )
    applied = ev.awards.set_index(ACHIEVEMENT_ID).loc["data-applied"]
    assert applied[AWARDED_AT] == pd.Timestamp("2025-03-01", tz="UTC")
    assert applied[SCORE] == 90.0
    assert applied[EVIDENCE_RECORD_IDS] == ("lms:1",)


def test_prerequisite_from_existing_award_counts_and_is_not_reissued():
    first = run(frame(completion("1", "ada@x.org", "DS101", "2024-01-01")))
    later = run(
        frame(completion("2", "Ada@X.org", "DS201", "2025-02-01", score=80, source="moodle")),
        existing=first.awards,
    )
    assert awards_of(later) == ["data-applied"]
    assert outcome_of(later, "moodle:2") == (AWARDED, "")


def test_learners_are_matched_by_normalised_email_across_sources():
    ev = run(
        frame(
            completion("1", "Ada@X.org ", "DS101", "2025-01-01", source="csv"),
            completion("2", "ada@x.org", "DS201", "2025-02-01", score=80, source="moodle"),
        )
    )
    assert awards_of(ev, "ada@x.org") == ["data-foundations", "data-applied"]
    assert set(ev.outcomes[LEARNER_EMAIL]) == {"ada@x.org"}


def test_revoked_prerequisite_does_not_count_and_is_not_reissued():
    first = run(frame(completion("1", "ada@x.org", "DS101", "2024-01-01")))
    stored = first.awards.assign(**{AWARD_STATUS: "revoked"})
    ev = run(
        frame(
            completion("1", "ada@x.org", "DS101", "2024-01-01"),
            completion("2", "ada@x.org", "DS201", "2025-02-01", score=80),
        ),
        existing=stored,
    )
    assert ev.awards.empty
    assert outcome_of(ev, "lms:1") == (
        NOT_YET_ELIGIBLE,
        "data-foundations: the award for this period was revoked or suspended",
    )
    assert "still needs the data-foundations badge" in outcome_of(ev, "lms:2")[1]


def _pathway(as_of: datetime, *, ds301_done: int = 8):
    return run(
        frame(
            completion("1", "ada@x.org", "DS101", "2024-01-10"),
            completion("2", "ada@x.org", "DS201", "2024-02-10", score=80),
            completion("3", "ada@x.org", "DS301", "2024-05-10", done=ds301_done, total=8),
            completion("4", "ada@x.org", "DS390", "2024-06-10", score=72.5),
        ),
        as_of=as_of,
    )


def test_certification_after_six_months_of_application():
    ev = _pathway(datetime(2025, 1, 1, tzinfo=UTC))
    assert awards_of(ev) == ["data-foundations", "data-applied", "certified-data-practitioner"]
    cert = ev.awards.set_index(ACHIEVEMENT_ID).loc["certified-data-practitioner"]
    reached = pd.Timestamp("2024-02-10", tz="UTC") + timedelta(days=182)
    assert cert[AWARDED_AT] == reached
    assert cert[VALID_UNTIL] == reached + timedelta(days=730)
    assert cert[SCORE] == 72.5
    assert cert[EVIDENCE_RECORD_IDS] == ("lms:3", "lms:4")
    assert set(ev.outcomes[OUTCOME]) == {AWARDED}


def test_certification_waits_for_the_holding_period():
    ev = _pathway(datetime(2024, 7, 1, tzinfo=UTC))
    assert awards_of(ev) == ["data-foundations", "data-applied"]
    assert outcome_of(ev, "lms:4") == (
        NOT_YET_ELIGIBLE,
        "certified-data-practitioner: still needs data-applied held for 182 days (held 142 so "
        f"far); data-mentor: still needs {SIGNOFF}",
    )


def test_certification_needs_every_module():
    ev = _pathway(datetime(2025, 1, 1, tzinfo=UTC), ds301_done=7)
    assert "certified-data-practitioner" not in awards_of(ev)
    assert outcome_of(ev, "lms:3") == (NOT_YET_ELIGIBLE, "DS301: 7 of 8 modules completed")
    assert outcome_of(ev, "lms:4") == (
        NOT_YET_ELIGIBLE,
        "certified-data-practitioner: still needs DS301 completed with all modules; "
        f"data-mentor: still needs {SIGNOFF}",
    )


def at(day: str) -> datetime:
    """Midnight UTC on `day` (an ISO date): the as_of of a nightly run."""
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def test_expiring_badge_is_not_renewed_while_valid():
    # evaluated while the first period (2024-01-10 .. 2025-01-09) is still running
    ev = run(
        frame(
            completion("1", "bob@x.org", "PRV120", "2024-01-10"),
            completion("2", "bob@x.org", "PRV120", "2024-06-10"),
        ),
        as_of=at("2024-07-01"),
    )
    assert awards_of(ev) == ["data-privacy-basics"]
    award = ev.awards.iloc[0]
    assert award[VALID_FROM] == pd.Timestamp("2024-01-10", tz="UTC")
    assert award[VALID_UNTIL] == pd.Timestamp("2024-01-10", tz="UTC") + timedelta(days=365)
    assert award[EVIDENCE_RECORD_IDS] == ("lms:1",)
    assert outcome_of(ev, "lms:2") == (AWARDED, "")


def test_expiring_badge_is_renewed_after_it_expires():
    # Nightly runs, each seeing the completions so far and the awards stored by earlier runs.
    first, retake, renewal = (
        completion("1", "bob@x.org", "PRV120", "2023-01-10"),
        completion("2", "bob@x.org", "PRV120", "2023-06-10"),
        completion("3", "bob@x.org", "PRV120", "2024-03-01"),
    )
    night1 = run(frame(first), as_of=at("2023-01-11"))
    stored = night1.awards
    night2 = run(frame(first, retake), as_of=at("2023-06-11"), existing=stored)
    assert night2.awards.empty  # still valid: the retake does not start a new period
    assert outcome_of(night2, "lms:2") == (AWARDED, "")
    # the first period ended on 2024-01-10; only the renewal is new
    night3 = run(frame(first, retake, renewal), as_of=at("2024-03-02"), existing=stored)
    assert night3.awards[VALID_FROM].tolist() == [pd.Timestamp("2024-03-01", tz="UTC")]
    history = pd.concat([night1.awards, night3.awards], ignore_index=True)
    starts = history[VALID_FROM].tolist()
    assert starts == [pd.Timestamp("2023-01-10", tz="UTC"), pd.Timestamp("2024-03-01", tz="UTC")]
    assert history[VALID_UNTIL].tolist() == [s + timedelta(days=365) for s in starts]
    assert history[AWARD_KEY].nunique() == 2
    assert history[EVIDENCE_RECORD_IDS].tolist() == [("lms:1",), ("lms:3",)]
    # both periods are stored: re-running adds nothing, that night or later in the period
    for day in ("2024-03-02", "2024-12-01"):
        again = run(frame(first, retake, renewal), as_of=at(day), existing=history)
        assert again.awards.empty, day


def test_existing_active_award_blocks_an_overlapping_period():
    stored = run(
        frame(completion("9", "bob@x.org", "PRV120", "2024-05-01")), as_of=at("2024-05-02")
    ).awards
    assert len(stored) == 1
    # an earlier completion arrives late, while the stored award is valid
    late = frame(completion("1", "bob@x.org", "PRV120", "2024-03-01"))
    assert awards_of(run(late, as_of=at("2024-06-01"))) == ["data-privacy-basics"]
    ev = run(late, as_of=at("2024-06-01"), existing=stored)
    assert ev.awards.empty
    assert outcome_of(ev, "lms:1") == (AWARDED, "")


def test_expired_prerequisite_does_not_count():
    basics = completion("1", "cy@x.org", "B1", "2025-01-01")
    rows = frame(basics, completion("2", "cy@x.org", "A1", "2025-02-01", score=60))
    while_valid = run(rows, catalog=tiny_catalog(), as_of=at("2025-03-01"))
    assert awards_of(while_valid) == ["basics", "advanced"]
    # basics (2025-01-01 .. 2025-04-11) was stored by the nightly run after B1; the A1
    # completion is only evaluated after basics expired
    stored = run(frame(basics), catalog=tiny_catalog(), as_of=at("2025-01-02"))
    assert awards_of(stored) == ["basics"]
    expired = run(rows, catalog=tiny_catalog(), as_of=at("2025-06-01"), existing=stored.awards)
    assert expired.awards.empty
    assert outcome_of(expired, "lms:2") == (
        NOT_YET_ELIGIBLE,
        "advanced: still needs the basics badge",
    )


def test_rerun_with_fed_back_awards_is_idempotent():
    rows = frame(
        completion("1", "ada@x.org", "DS101", "2024-01-10"),
        completion("2", "ada@x.org", "DS201", "2024-02-10", score=80),
        completion("3", "ada@x.org", "DS301", "2024-05-10", done=8, total=8),
        completion("4", "ada@x.org", "DS390", "2024-06-10", score=90),
        completion("5", "bob@x.org", "PRV120", "2023-01-10"),
        completion("6", "bob@x.org", "PRV120", "2024-03-01"),
        completion("7", "bob@x.org", "SQL110", "2024-03-01", score=60, done=6, total=6),
    )
    earlier = run(rows, as_of=at("2023-01-11")).awards  # bob's first privacy period
    assert earlier[ACHIEVEMENT_ID].tolist() == ["data-privacy-basics"]
    first = run(rows, as_of=at("2024-12-01"), existing=earlier)
    assert len(first.awards) == 4  # ada's three tiers and bob's renewal
    stored = pd.concat([earlier, first.awards], ignore_index=True).assign(
        **{AWARD_STATUS: "active"}
    )
    second = run(rows, as_of=at("2024-12-01"), existing=stored)
    assert second.awards.empty
    pd.testing.assert_frame_equal(first.outcomes, second.outcomes)


def test_lapsed_period_is_not_awarded():
    ev = run(frame(completion("1", "bob@x.org", "PRV120", "2024-01-10")))
    assert ev.awards.empty
    assert outcome_of(ev, "lms:1") == (
        NOT_YET_ELIGIBLE,
        "data-privacy-basics: qualified on 2024-01-10, but that award would have expired on "
        f"2025-01-09; complete it again to renew; {MENTOR}",
    )


@pytest.mark.parametrize(
    ("before_end", "awarded"), [(timedelta(0), False), (timedelta(seconds=1), True)]
)
def test_a_period_ending_exactly_at_as_of_has_lapsed(before_end, awarded):
    done = datetime(2024, 1, 10, 9, 30, tzinfo=UTC)
    end = done + timedelta(days=365)
    ev = run(frame(completion("1", "bob@x.org", "PRV120", done)), as_of=end - before_end)
    assert awards_of(ev) == (["data-privacy-basics"] if awarded else [])
    if awarded:
        assert ev.awards.iloc[0][VALID_UNTIL] == pd.Timestamp(end)


@pytest.mark.parametrize("later", ["2024-06-10", "2025-03-01"])
def test_a_later_completion_inside_the_window_is_awarded(later):
    ev = run(
        frame(
            completion("1", "bob@x.org", "PRV120", "2024-01-10"),
            completion("2", "bob@x.org", "PRV120", later),
        )
    )
    assert awards_of(ev) == ["data-privacy-basics"]
    award = ev.awards.iloc[0]
    start = pd.Timestamp(later, tz="UTC")
    assert award[VALID_FROM] == award[AWARDED_AT] == start
    assert award[VALID_UNTIL] == start + timedelta(days=365)
    assert award[EVIDENCE_RECORD_IDS] == ("lms:2",)
    assert outcome_of(ev, "lms:2") == (AWARDED, "")


def test_non_expiring_badges_do_not_age():
    ev = run(
        frame(
            completion("1", "ada@x.org", "DS101", "2012-03-01"),
            completion("2", "ada@x.org", "DS201", "2013-04-01", score=90),
        )
    )
    assert awards_of(ev) == ["data-foundations", "data-applied"]
    assert ev.awards[VALID_FROM].tolist() == [
        pd.Timestamp("2012-03-01", tz="UTC"),
        pd.Timestamp("2013-04-01", tz="UTC"),
    ]
    assert ev.awards[VALID_UNTIL].isna().all()
    assert set(ev.outcomes[OUTCOME]) == {AWARDED}


def test_outcomes_cover_every_row_in_input_order():
    rows = frame(
        completion("b", "a@x.org", "XYZ999", "2025-01-01"),
        completion("a", "a@x.org", "DS101", "2025-01-01"),
    )
    ev = run(rows)
    assert ev.outcomes[RECORD_KEY].tolist() == ["lms:b", "lms:a"]
    assert outcome_of(ev, "lms:b") == (NOT_YET_ELIGIBLE, "XYZ999: no achievement uses this course")


def test_empty_input():
    ev = run(frame())
    assert ev.awards.empty and list(ev.awards.columns) == list(AWARD_COLUMNS)
    assert ev.outcomes.empty and list(ev.outcomes.columns) == list(OUTCOME_COLUMNS)


def test_naive_clock_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        run(frame(), as_of=datetime(2025, 1, 1))


def test_missing_column_is_rejected():
    with pytest.raises(ValueError, match="lacks column"):
        run(frame().drop(columns=[COURSE_ID]))
