from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from badgeflow.demo import demo_csv_path, demo_dataset_path
from badgeflow.fakelms.moodle import FakeMoodle, MoodleDataset
from badgeflow.lms import CsvExportSource, MoodleSource
from badgeflow.models import (
    COMPLETED,
    COMPLETED_AT,
    COURSE_ID,
    LEARNER_EMAIL,
    MODULES_COMPLETED,
    MODULES_TOTAL,
    PARSE_ERRORS,
    SCORE,
)

RUN = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
CATALOG_COURSES = {"DS101", "DS201", "DS301", "DS390", "SQL110", "PRV120"}


@pytest.fixture(scope="module")
def moodle() -> pd.DataFrame:
    dataset = MoodleDataset.load(demo_dataset_path())
    with FakeMoodle(dataset, "demo-token") as server:
        source = MoodleSource(
            "moodle-main", server.base_url, "demo-token", final_assessment="final-exam"
        )
        return source.fetch_completions(None, fetched_at=RUN)


@pytest.fixture(scope="module")
def partner() -> pd.DataFrame:
    return CsvExportSource("partner-academy", demo_csv_path()).fetch_completions(
        None, fetched_at=RUN
    )


def test_dataset_shape():
    dataset = MoodleDataset.load(demo_dataset_path())

    assert len(dataset.users) == 30
    assert {c.idnumber for c in dataset.courses} == CATALOG_COURSES | {"ONB100"}
    assert all(u.email.endswith(("@example.com", "@example.org")) for u in dataset.users)


def test_moodle_yields_a_row_per_enrolment_in_courses_with_criteria(moodle):
    assert len(moodle) == 63
    assert int(moodle[COMPLETED].sum()) == 56
    assert set(moodle[COURSE_ID]) == CATALOG_COURSES
    assert moodle[PARSE_ERRORS].map(len).sum() == 0
    assert moodle[LEARNER_EMAIL].nunique() == 30


def test_csv_has_fifteen_rows_and_one_unparseable_value(partner):
    assert len(partner) == 15
    bad = partner[partner[PARSE_ERRORS].map(len) > 0]
    assert bad[PARSE_ERRORS].tolist() == [("score: 'eighty-five' is not a number",)]


def test_csv_carries_the_defects_the_contract_must_catch(partner):
    assert "maria.gomez(at)example.org" in set(partner[LEARNER_EMAIL])
    assert (partner[SCORE] > 100).sum() == 1
    assert (partner[COMPLETED].astype(bool) & partner[COMPLETED_AT].isna()).sum() == 1
    assert (partner[COMPLETED_AT] > pd.Timestamp(RUN)).sum() == 1


def test_dates_lie_in_the_demo_window(moodle, partner):
    window = (pd.Timestamp("2025-09-01", tz="UTC"), pd.Timestamp("2026-11-21", tz="UTC"))
    dates = pd.concat([moodle[COMPLETED_AT], partner[COMPLETED_AT]]).dropna()

    outside = dates[(dates < window[0]) | (dates >= window[1])]
    assert outside.tolist() == [pd.Timestamp("2031-03-01T10:00:00Z")]  # the deliberate bad row


def test_some_learners_appear_in_both_sources(moodle, partner):
    shared = set(moodle[LEARNER_EMAIL]) & set(partner[LEARNER_EMAIL])

    assert shared == {
        "rahul.mehta@example.com",
        "elena.petrova@example.com",
        "aisha.khan@example.com",
        "grace.oconnor@example.com",
    }


def test_several_learners_can_reach_certified(moodle, partner):
    both = pd.concat([moodle, partner], ignore_index=True)
    done = both[both[COMPLETED].fillna(False).astype(bool)]

    course = done[COURSE_ID]

    def learners(mask: pd.Series) -> set[str]:
        return set(done.loc[mask, LEARNER_EMAIL])

    before_may = done[COMPLETED_AT] < pd.Timestamp("2026-05-01", tz="UTC")
    early_applied = learners((course == "DS201") & (done[SCORE] >= 70) & before_may)
    all_modules = learners((course == "DS301") & (done[MODULES_COMPLETED] == done[MODULES_TOTAL]))
    passed_exam = learners((course == "DS390") & (done[SCORE] >= 70))

    certified = learners(course == "DS101") & early_applied & all_modules & passed_exam
    assert certified == {
        "amelia.hart@example.com",
        "rahul.mehta@example.com",  # exam from the partner export
        "sofia.alvarez@example.com",
        "wei.chen@example.com",
        "elena.petrova@example.com",  # exam from the partner export
    }


def test_sql110_has_eligible_and_not_yet_eligible_learners(moodle):
    sql = moodle[(moodle[COURSE_ID] == "SQL110") & moodle[COMPLETED].astype(bool)]
    eligible = sql[(sql[MODULES_COMPLETED] == 6) & (sql[SCORE] >= 75)]

    assert len(eligible) == 5
    daniel = sql[sql[LEARNER_EMAIL] == "daniel.kim@example.com"].iloc[0]
    assert (daniel[SCORE], daniel[MODULES_COMPLETED]) == (70.0, 5)


def test_canvas_demo_yields_catalog_courses_and_new_learners(moodle):
    from badgeflow.demo import demo_canvas_path
    from badgeflow.fakelms.canvas import CanvasDataset, FakeCanvas
    from badgeflow.lms import CanvasSource

    with FakeCanvas(CanvasDataset.load(demo_canvas_path()), "demo-canvas-token") as server:
        canvas = CanvasSource(
            "canvas-demo", server.base_url, "demo-canvas-token", final_assessment="Final exam"
        ).fetch_completions(None, fetched_at=RUN)

    assert len(canvas) == 7
    assert int(canvas[COMPLETED].sum()) == 5
    assert set(canvas[COURSE_ID]) <= CATALOG_COURSES
    assert canvas[PARSE_ERRORS].map(len).sum() == 0
    assert not set(canvas[LEARNER_EMAIL]) & set(moodle[LEARNER_EMAIL])
    dates = canvas[COMPLETED_AT].dropna()
    assert dates.between(
        pd.Timestamp("2025-09-01", tz="UTC"), pd.Timestamp("2026-11-21", tz="UTC")
    ).all()
