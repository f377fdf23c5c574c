from __future__ import annotations

import json
import logging
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from badgeflow.contracts import CLOCK_SKEW, load_suite, validate_completions
from badgeflow.errors import ContractError
from badgeflow.models import (
    COMPLETED_AT,
    LEARNER_EMAIL,
    PARSE_ERRORS,
    REASON,
    RECORD_KEY,
    ROW_NUMBER,
    SCORE,
)
from tests.data.test_data_contracts import AS_OF, CONTRACTS, simple_completions


@pytest.fixture(scope="module")
def suite():
    return load_suite(CONTRACTS)


def test_missing_suite(tmp_path: Path):
    with pytest.raises(ContractError, match="data contract 'lms_completions.v1' not found"):
        load_suite(tmp_path)


def test_suite_that_is_not_json(tmp_path: Path):
    (tmp_path / "lms_completions.v1.json").write_text("{nope")
    with pytest.raises(ContractError, match="is not valid JSON"):
        load_suite(tmp_path)


def test_suite_with_another_name(tmp_path: Path):
    shutil.copy(CONTRACTS / "lms_completions.v1.json", tmp_path / "other.v1.json")
    with pytest.raises(ContractError, match="must be a suite named 'other.v1'"):
        load_suite(tmp_path, "other.v1")


@pytest.mark.parametrize(
    "broken",
    [
        {"type": "expect_the_moon", "kwargs": {}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"min_value": 0}},
    ],
)
def test_suite_with_a_broken_expectation(tmp_path: Path, broken):
    data = json.loads((CONTRACTS / "lms_completions.v1.json").read_text())
    data["expectations"].append(broken)
    (tmp_path / "lms_completions.v1.json").write_text(json.dumps(data))
    with pytest.raises(ContractError, match="is not a valid GX suite|GX built 22 of 23"):
        load_suite(tmp_path)


def test_missing_required_column_makes_the_input_unusable(suite):
    df = simple_completions().drop(columns=[LEARNER_EMAIL, SCORE])
    with pytest.raises(ContractError, match="lacks required column\\(s\\) learner_email, score"):
        validate_completions(df, suite=suite, as_of=AS_OF)


def test_clock_skew_is_tolerated(suite):
    df = simple_completions()
    df.at[0, COMPLETED_AT] = AS_OF + CLOCK_SKEW - timedelta(seconds=1)
    df.at[1, COMPLETED_AT] = AS_OF + CLOCK_SKEW + timedelta(seconds=1)
    report = validate_completions(df, suite=suite, as_of=AS_OF)
    assert report.quarantined[ROW_NUMBER].tolist() == [2]


def test_record_key_and_row_number_fall_back(suite):
    df = (
        simple_completions()
        .drop(columns=[ROW_NUMBER, PARSE_ERRORS])
        .set_index(simple_completions().index + 100)
    )
    df.loc[101, SCORE] = 101.0
    report = validate_completions(df, suite=suite, as_of=AS_OF)
    row = report.quarantined.iloc[0]
    assert (row[RECORD_KEY], row[ROW_NUMBER], row[REASON]) == (
        "csv-main:r1",
        2,
        "score 101 is outside 0-100",
    )
    assert report.accepted.index.tolist() == [100, 102, 103]


def test_empty_frame(suite):
    report = validate_completions(simple_completions(0), suite=suite, as_of=AS_OF)
    assert report.rows_in == 0 and report.accepted.empty and report.quarantined.empty


def test_naive_clock_is_rejected(suite):
    with pytest.raises(ValueError, match="timezone-aware"):
        validate_completions(simple_completions(), suite=suite, as_of=AS_OF.replace(tzinfo=None))


def test_gx_is_quiet(suite, capfd, caplog):
    caplog.set_level(logging.WARNING)
    df = simple_completions(200)
    df.at[3, SCORE] = 400.0
    validate_completions(df, suite=suite, as_of=AS_OF)
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # no tqdm progress bars, no prints
    assert [r for r in caplog.records if r.name.startswith("great_expectations")] == []
