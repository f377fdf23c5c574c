"""Every data contract passes its `simple` data and fails each `simple-err-<defect>` case.

The canonical suite is also checked on literal frames; every suite (canonical and one per
export format) is checked against its fixture folder, discovered from ``data_contracts/``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from badgeflow.contracts import load_suite, validate_completions
from badgeflow.contracts_export import screen_export
from badgeflow.contracts_gen import EMAIL_PATTERN, build_export_suite, export_suite_name
from badgeflow.lms.csv_export import CsvExportSource
from badgeflow.lms.exports import PROFILES, read_table
from badgeflow.models import (
    COLUMN_NAME,
    COMPLETED,
    COMPLETED_AT,
    COMPLETION_COLUMNS,
    COURSE_ID,
    COURSE_NAME,
    EXPECTATION,
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
    VALUE,
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


# --- Every suite in data_contracts/ against its fixture folder -------------------------------
# tests/fixtures/contracts/<suite>/ holds simple.csv (passes), simple-err-<defect>.csv (fails)
# and expected.json: defect -> the first failure's expectation, column and offending value.
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "contracts"
FIXTURE_AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SUITES = sorted(p.stem for p in CONTRACTS.glob("*.json"))
ERROR_CASES = [
    (name, path.name.removeprefix("simple-err-").removesuffix(".csv"))
    for name in SUITES
    for path in sorted((FIXTURES / name).glob("simple-err-*.csv"))
]


@functools.cache
def _suite(name: str):
    return load_suite(CONTRACTS, name)


def quarantine_of(name: str, path: Path) -> tuple[pd.DataFrame, int]:
    """Run a fixture through its suite as the pipeline does: (quarantined rows, rows in)."""
    if name.startswith("export_"):
        profile = PROFILES[name.removeprefix("export_").rsplit(".v", 1)[0]]
        table = read_table(path.read_bytes(), path)
        screen = screen_export(table, profile, _suite(name), source="fixture")
        return screen.quarantined, len(table.rows)
    frame = CsvExportSource("fixture", path).fetch_completions(None, fetched_at=FIXTURE_AS_OF)
    report = validate_completions(frame, suite=_suite(name), as_of=FIXTURE_AS_OF)
    return report.quarantined, report.rows_in


def test_there_is_a_suite_per_export_format_and_the_canonical_one():
    assert set(SUITES) == {"lms_completions.v1"} | {f"export_{fmt}.v1" for fmt in PROFILES}


@pytest.mark.parametrize("name", SUITES)
def test_every_suite_has_fixtures(name):
    folder = FIXTURES / name
    assert (folder / "simple.csv").is_file(), f"{folder}/simple.csv is missing"
    defects = {d for n, d in ERROR_CASES if n == name}
    assert defects, f"{folder} has no simple-err-<defect>.csv"
    expected = json.loads((folder / "expected.json").read_text("utf-8"))
    assert set(expected) == defects


def test_every_fixture_folder_belongs_to_a_suite():
    assert {p.name for p in FIXTURES.iterdir()} <= set(SUITES)


@pytest.mark.parametrize("name", SUITES)
def test_simple_fixture_passes(name):
    quarantined, rows_in = quarantine_of(name, FIXTURES / name / "simple.csv")
    assert rows_in >= 3
    assert quarantined.empty, quarantined[REASON].tolist()


@pytest.mark.parametrize(("name", "defect"), ERROR_CASES)
def test_simple_err_fixture_fails_for_the_right_reason(name, defect):
    expected = json.loads((FIXTURES / name / "expected.json").read_text("utf-8"))[defect]

    quarantined, _ = quarantine_of(name, FIXTURES / name / f"simple-err-{defect}.csv")

    assert list(quarantined.columns) == list(QUARANTINE_COLUMNS)
    assert len(quarantined) == 1, quarantined[REASON].tolist()
    row = quarantined.iloc[0]
    assert {
        "expectation": row[EXPECTATION],
        "column": row[COLUMN_NAME],
        "value": None if pd.isna(row[VALUE]) else row[VALUE],
    } == expected, row[REASON]
    assert row[REASON] and row[SOURCE] == "fixture"
    assert isinstance(row[RAW], dict) and row[RAW]  # the row's own cells, for the fix


@pytest.mark.parametrize("profile", PROFILES.values(), ids=list(PROFILES))
def test_export_suites_are_generated_from_the_profiles(profile):
    path = CONTRACTS / f"{export_suite_name(profile)}.json"
    assert json.loads(path.read_text("utf-8")) == build_export_suite(profile), (
        "stale: run `python -m badgeflow.contracts_gen data_contracts`"
    )
    assert all(e.meta.get("reason") for e in _suite(export_suite_name(profile)).expectations)


def test_export_suites_check_emails_as_the_canonical_suite_does():
    canonical = json.loads((CONTRACTS / "lms_completions.v1.json").read_text("utf-8"))
    regexes = {
        e["kwargs"]["column"]: e["kwargs"]["regex"]
        for e in canonical["expectations"]
        if e["type"] == "expect_column_values_to_match_regex"
    }
    assert regexes[LEARNER_EMAIL] == EMAIL_PATTERN
