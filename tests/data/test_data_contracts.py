"""Every data contract passes its `simple` data and fails each `simple-err-<defect>` case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from badgeflow.contracts import load_suite, validate_completions
from badgeflow.models import (
    COMPLETED,
    COMPLETED_AT,
    COMPLETION_COLUMNS,
    COURSE_ID,
    COURSE_NAME,
    FETCHED_AT,
    LEARNER_EMAIL,
    LEARNER_ID,
    LEARNER_NAME,
    MODULES_COMPLETED,
    MODULES_TOTAL,
    PARSE_ERRORS,
    PROGRESS_PCT,
    QUARANTINE_COLUMNS,
    RAW,
    REASON,
    RECORD_KEY,
    ROW_NUMBER,
    SCORE,
    SCORE_KIND,
    SOURCE,
    SOURCE_RECORD_ID,
    SOURCE_SYSTEM,
)

CONTRACTS = Path(__file__).resolve().parents[2] / "data_contracts"
AS_OF = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def simple_completions(n: int = 4) -> pd.DataFrame:
    """A fresh, clean canonical completion frame as a connector returns it."""
    courses = ("DS101", "SQL110", "PRV120", "DS201")
    rows = []
    for i in range(n):
        rows.append(
            {
                SOURCE: "csv-main",
                SOURCE_SYSTEM: "csv",
                SOURCE_RECORD_ID: f"r{i}",
                LEARNER_ID: f"u{i % 3}",
                LEARNER_EMAIL: f"learner{i % 3}@example.org",
                LEARNER_NAME: f"Learner {i % 3}",
                COURSE_ID: courses[i % len(courses)],
                COURSE_NAME: "A course",
                COMPLETED: i % 5 != 4,
                COMPLETED_AT: None if i % 5 == 4 else AS_OF - timedelta(days=30 + i),
                SCORE: None if i % 7 == 6 else float(60 + i % 40),
                SCORE_KIND: "percent",
                MODULES_COMPLETED: 6,
                MODULES_TOTAL: 6,
                PROGRESS_PCT: 100.0,
                FETCHED_AT: AS_OF,
                RAW: {"id": f"r{i}"},
                ROW_NUMBER: i + 1,
                PARSE_ERRORS: (),
            }
        )
    df = pd.DataFrame(rows, columns=[*COMPLETION_COLUMNS, ROW_NUMBER, PARSE_ERRORS])
    df[COMPLETED_AT] = pd.to_datetime(df[COMPLETED_AT], utc=True)
    df[SCORE] = df[SCORE].astype("float64")
    for column in (MODULES_COMPLETED, MODULES_TOTAL):
        df[column] = df[column].astype("Int64")
    return df


def _set(**values) -> Callable[[pd.DataFrame], None]:
    def apply(df: pd.DataFrame) -> None:
        for column, value in values.items():
            df.at[1, column] = value

    return apply


# defect name -> (how to break row 1 of `simple`, the expected quarantine reason)
ERRORS: dict[str, tuple[Callable[[pd.DataFrame], None], str]] = {
    "bad-email": (_set(learner_email="bob(at)x"), "learner_email 'bob(at)x' is not a valid email"),
    "missing-email": (_set(learner_email=None), "learner_email is missing"),
    "score-out-of-range": (_set(score=140.0), "score 140 is outside 0-100"),
    "negative-score": (_set(score=-0.5), "score -0.5 is outside 0-100"),
    "completed-without-date": (
        _set(completed=True, completed_at=pd.NaT),
        "completed is true but completed_at is missing",
    ),
    "future-date": (
        _set(completed_at=AS_OF + timedelta(days=2)),
        "completed_at 2025-06-03T12:00:00+00:00 is in the future",
    ),
    "modules-mismatch": (
        _set(modules_completed=7, modules_total=6),
        "modules_completed 7 exceeds modules_total 6",
    ),
    "negative-modules": (_set(modules_completed=-1), "modules_completed -1 is negative"),
    "missing-course": (_set(course_id=None), "course_id is missing"),
    "parse-error": (
        _set(parse_errors=("score: 'abc' is not a number",)),
        "score: 'abc' is not a number",
    ),
}


@pytest.fixture(scope="module")
def suite():
    return load_suite(CONTRACTS)


def test_simple_passes(suite):
    df = simple_completions(12)
    report = validate_completions(df, suite=suite, as_of=AS_OF)
    assert report.quarantined.empty, report.quarantined[REASON].tolist()
    pd.testing.assert_frame_equal(report.accepted, df)
    assert report.rows_in == 12
    assert all(r["success"] for r in report.expectation_results)


@pytest.mark.parametrize("defect", sorted(ERRORS))
def test_simple_err_fails_with_reason(suite, defect):
    df = simple_completions()
    breaking, reason = ERRORS[defect]
    breaking(df)
    report = validate_completions(df, suite=suite, as_of=AS_OF)
    assert list(report.quarantined.columns) == list(QUARANTINE_COLUMNS)
    assert report.quarantined[REASON].tolist() == [reason]
    quarantined = report.quarantined.iloc[0]
    assert (quarantined[SOURCE], quarantined[ROW_NUMBER]) == ("csv-main", 2)
    assert quarantined[RECORD_KEY] == "csv-main:r1"
    assert quarantined[RAW] == {"id": "r1"}
    assert report.accepted[SOURCE_RECORD_ID].tolist() == ["r0", "r2", "r3"]
    assert report.rows_in == len(report.accepted) + len(report.quarantined) == 4


def test_every_reason_of_a_row_is_reported(suite):
    df = simple_completions()
    _set(learner_email="bob(at)x", score=140.0)(df)
    report = validate_completions(df, suite=suite, as_of=AS_OF)
    assert report.quarantined[REASON].tolist() == [
        "learner_email 'bob(at)x' is not a valid email; score 140 is outside 0-100"
    ]


def test_suite_file_round_trips(suite):
    assert suite.name == "lms_completions.v1"
    types = {e.expectation_type for e in suite.expectations}
    assert {
        "expect_column_to_exist",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_be_between",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_values_to_be_in_set",
    } <= types
    assert all(e.meta.get("reason") for e in suite.expectations)
