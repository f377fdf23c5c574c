"""Raw exports screened against their vendor's contract before mapping."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from badgeflow.contracts_export import export_frame, load_export_suite, screen_export
from badgeflow.errors import ContractError
from badgeflow.lms.csv_export import CsvExportSource
from badgeflow.lms.exports import PROFILES, ExportOptions, Table, read_table
from badgeflow.models import (
    COLUMN_NAME,
    EXPECTATION,
    LEARNER_EMAIL,
    QUARANTINE_COLUMNS,
    RAW,
    REASON,
    RECORD_KEY,
    ROW_NUMBER,
    SOURCE,
    VALUE,
)

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = REPO / "data_contracts"
FIXTURES = REPO / "tests" / "fixtures" / "contracts"
FETCHED = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def table_of(header: tuple[str, ...], *rows: tuple[str, ...]) -> Table:
    return Table("utf-8", ",", header, 1, tuple((i + 2, r) for i, r in enumerate(rows)))


def test_frame_uses_the_first_label_of_each_field_whatever_the_file_says():
    moodle = PROFILES["moodle"]
    table = table_of(
        ("ID", "Name", "Email", "Course complete"),
        ("11", " Ada ", "ada@example.com", ""),
    )

    frame = export_frame(table, moodle)

    assert frame.to_dict("records") == [
        {
            "ID": "11",
            "Name": "Ada",
            "Email address": "ada@example.com",
            "Course complete": None,
            "Course complete date": None,  # optional and absent: empty, so its checks pass
        }
    ]


def test_a_missing_required_column_makes_the_whole_file_unusable():
    talentlms = PROFILES["talentlms"]
    table = table_of(("User", "Email", "Completion status"), ("Ada", "ada@example.com", "Yes"))

    with pytest.raises(ContractError, match=r"lacks required column\(s\) Course; the whole file"):
        screen_export(table, talentlms, load_export_suite(CONTRACTS, talentlms), source="t")


def test_every_failure_of_a_row_is_in_its_reason_and_the_first_in_the_detail():
    docebo = PROFILES["docebo"]
    path = FIXTURES / "export_docebo.v1" / "simple.csv"
    table = read_table(path.read_bytes(), path)
    line, cells = table.rows[1]
    broken = list(cells)
    broken[3], broken[8] = "jm(at)example.com", "n/a"  # Email, Score
    table = Table(table.encoding, ",", table.header, 1, ((line, tuple(broken)),))

    screen = screen_export(table, docebo, load_export_suite(CONTRACTS, docebo), source="d")

    row = screen.quarantined.iloc[0]
    assert row[REASON] == (
        "Email 'jm(at)example.com' is not a valid email; Score 'n/a' is not a number"
    )
    assert (row[EXPECTATION], row[COLUMN_NAME], row[VALUE]) == (
        "expect_column_values_to_match_regex",
        "Email",
        "jm(at)example.com",
    )
    assert (row[SOURCE], row[ROW_NUMBER], row[RECORD_KEY]) == ("d", line, f"d:line:{line}")
    assert row[RAW]["Score"] == "n/a"
    assert screen.table.rows == ()
    assert sum(screen.reason_counts.values()) == 2


def test_an_empty_export_passes():
    moodle = PROFILES["moodle"]
    table = table_of(("ID", "Name", "Course complete"))

    screen = screen_export(table, moodle, load_export_suite(CONTRACTS, moodle), source="m")

    assert screen.quarantined.empty and list(screen.quarantined.columns) == list(QUARANTINE_COLUMNS)


def test_the_source_drops_rejected_rows_before_mapping(tmp_path):
    path = tmp_path / "talentlms.csv"
    shutil.copyfile(FIXTURES / "export_talentlms.v1" / "simple-err-email-invalid.csv", path)
    options = ExportOptions(format="talentlms")
    screened = CsvExportSource("t", path, options, contracts_dir=CONTRACTS)

    frame = screened.fetch_completions(None, fetched_at=FETCHED)

    unscreened = CsvExportSource("t", path, options).fetch_completions(None, fetched_at=FETCHED)
    assert len(unscreened) == 4
    assert len(frame) == 3
    assert "juergen.mueller(at)example.com" not in frame[LEARNER_EMAIL].tolist()
    assert screened.quarantined[ROW_NUMBER].tolist() == [3]
    assert screened.quarantined[VALUE].tolist() == ["juergen.mueller(at)example.com"]
    pd.testing.assert_frame_equal(frame, unscreened.drop(index=1).reset_index(drop=True))


def test_a_source_without_contracts_dir_quarantines_nothing():
    path = FIXTURES / "export_talentlms.v1" / "simple-err-email-invalid.csv"
    source = CsvExportSource("t", path)

    assert len(source.fetch_completions(None, fetched_at=FETCHED)) == 4
    assert source.quarantined.empty
