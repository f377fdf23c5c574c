"""Each vendor's completion report, read from its fixture and every encoding/delimiter variant."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from badgeflow.errors import SourceConfigError
from badgeflow.lms import CsvExportSource
from badgeflow.lms._frame import FRAME_COLUMNS
from badgeflow.lms.exports import PROFILES, ExportOptions
from badgeflow.models import (
    COMPLETED,
    COMPLETED_AT,
    COURSE_ID,
    COURSE_NAME,
    LEARNER_EMAIL,
    LEARNER_ID,
    LEARNER_NAME,
    MODULES_COMPLETED,
    MODULES_TOTAL,
    PARSE_ERRORS,
    PROGRESS_PCT,
    RAW,
    ROW_NUMBER,
    SCORE,
    SCORE_KIND,
    SOURCE_RECORD_ID,
    SOURCE_SYSTEM,
)

EXPORTS = Path(__file__).parents[3] / "fixtures" / "lms" / "exports"
FETCHED = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
FILE_TIME = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # Canvas: completion time = the export's
EMAILS = [
    "amelie.dubois@example.com",
    "juergen.mueller@example.com",
    "sofia.alvarez@example.com",
    "wei.chen@example.com",
]
VARIANTS = ["simple", "simple-bom", "simple-cp1252", "simple-semicolon", "simple-tab"]
OPTIONS = {
    "moodle": ExportOptions(course_id="DS101", course_name="Introduction to Data Skills"),
    "canvas": ExportOptions(course_id="SQL110", pass_score=70),
    "blackboard": ExportOptions(course_id="DS201", pass_score=70),
}


def t(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


# vendor -> (course_id, completed, completed_at, score, score_kind, modules, progress)
EXPECTED = {
    "moodle": (
        "DS101",
        [True, False, False, True],
        [t("2026-03-14T16:41Z"), None, None, t("2026-05-21T11:06Z")],
        [None] * 4,
        ["none"] * 4,
        [(2, 2), (1, 2), (0, 2), (2, 2)],
        [None] * 4,
    ),
    "canvas": (
        "SQL110",
        [True, False, False, True],
        [t(FILE_TIME.isoformat()), None, None, t(FILE_TIME.isoformat())],
        [90.0, 40.0, 0.0, 76.0],
        ["course_total"] * 4,
        [(2, 2), (1, 2), (0, 2), (2, 2)],
        [None] * 4,
    ),
    "talentlms": (
        "SQL Essentials",  # the report names the course by title only
        [True, False, False, True],
        [t("2026-03-14T16:41Z"), None, None, t("2026-05-21T11:06Z")],
        [85.0, None, None, 76.5],
        ["course_total", "none", "none", "course_total"],
        [(None, None)] * 4,
        [100.0, 40.0, 0.0, 100.0],
    ),
    "docebo": (
        "DS101",
        [True, False, False, True],
        [t("2026-03-14T16:41Z"), None, None, t("2026-05-21T11:06Z")],
        [85.0, None, None, 76.5],
        ["course_total", "none", "none", "course_total"],
        [(None, None)] * 4,
        [None] * 4,
    ),
    "cornerstone": (
        "5b1c0e2a-0001",
        [True, False, False, True],
        [t("2026-03-14T16:41Z"), None, None, t("2026-05-21T11:06Z")],
        [85.0, None, None, 76.5],
        ["course_total", "none", "none", "course_total"],
        [(None, None)] * 4,
        [None] * 4,
    ),
    "litmos": (
        "SQL110",
        [True, False, False, True],
        [t("2026-03-14T16:41Z"), None, None, t("2026-05-21T11:06Z")],
        [85.0, None, None, 76.5],
        ["course_total", "none", "none", "course_total"],
        [(None, None)] * 4,
        [100.0, 40.0, 0.0, 100.0],
    ),
    "360learning": (
        "64b7f0c2a1e4d3f5a6b7c8d9",
        [True, False, False, True],
        [t("2026-03-14T16:41Z"), None, None, t("2026-05-21T11:06Z")],
        [85.0, None, None, 76.5],
        ["course_total", "none", "none", "course_total"],
        [(None, None)] * 4,
        [100.0, 40.0, 0.0, 100.0],
    ),
    "blackboard": (
        "DS201",
        [True, False, False, True],  # Total out of 60 against pass_score 70
        [t("2026-03-14T16:41Z"), None, None, t("2026-05-21T11:06Z")],  # Last Access
        [90.0, 100 * 8 / 60, None, 80.0],
        ["course_total", "course_total", "none", "course_total"],
        [(2, 2), (1, 2), (0, 2), (2, 2)],
        [None] * 4,
    ),
}


def read(vendor: str, variant: str = "simple", tmp_path: Path | None = None, **options):
    path = EXPORTS / vendor / f"{variant}.csv"
    if tmp_path is not None:
        path = Path(shutil.copy(path, tmp_path / path.name))
        stamp = FILE_TIME.timestamp()
        os.utime(path, (stamp, stamp))
    base = OPTIONS.get(vendor, ExportOptions())
    chosen = ExportOptions(**{**base.__dict__, **options})
    source = CsvExportSource(f"{vendor}-export", path, chosen)
    return source, source.fetch_completions(None, fetched_at=FETCHED)


def test_every_vendor_has_a_fixture_and_an_expectation():
    assert set(EXPECTED) == set(PROFILES) - {"badgeflow"}
    assert {p.name for p in EXPORTS.iterdir()} == set(EXPECTED)


@pytest.mark.parametrize("vendor", sorted(EXPECTED))
def test_vendor_report_reads_into_the_canonical_frame(vendor, tmp_path):
    course, completed, completed_at, score, kind, modules, progress = EXPECTED[vendor]

    source, frame = read(vendor, tmp_path=tmp_path)

    assert source.format == vendor  # recognised from the header ("auto")
    assert tuple(frame.columns) == FRAME_COLUMNS
    assert frame[PARSE_ERRORS].tolist() == [()] * 4
    assert set(frame[SOURCE_SYSTEM]) == {vendor}
    assert frame[LEARNER_EMAIL].tolist() == EMAILS
    assert frame[COURSE_ID].tolist() == [course] * 4
    assert frame[COMPLETED].tolist() == completed
    assert [None if pd.isna(v) else v for v in frame[COMPLETED_AT]] == completed_at
    assert [None if pd.isna(v) else pytest.approx(v) for v in frame[SCORE]] == score
    assert frame[SCORE_KIND].tolist() == kind
    got = [
        tuple(None if pd.isna(v) else int(v) for v in pair)
        for pair in zip(frame[MODULES_COMPLETED], frame[MODULES_TOTAL], strict=True)
    ]
    assert got == modules
    assert [None if pd.isna(v) else v for v in frame[PROGRESS_PCT]] == progress
    assert frame[LEARNER_NAME].str.contains("Amélie").iloc[0]
    assert frame[SOURCE_RECORD_ID].is_unique
    assert all(rid.endswith(f":{course}") for rid in frame[SOURCE_RECORD_ID])


@pytest.mark.parametrize("variant", VARIANTS[1:])
@pytest.mark.parametrize("vendor", sorted(EXPECTED))
def test_encoding_and_delimiter_variants_read_the_same(vendor, variant, tmp_path):
    _, simple = read(vendor, tmp_path=tmp_path)
    source, frame = read(vendor, variant, tmp_path=tmp_path)

    expected_encoding = {"simple-bom": "utf-8-sig", "simple-cp1252": "cp1252"}
    assert source.encoding == expected_encoding.get(variant, "utf-8")
    assert source.delimiter == {"simple-semicolon": ";", "simple-tab": "\t"}.get(variant, ",")
    pd.testing.assert_frame_equal(frame.drop(columns=[RAW]), simple.drop(columns=[RAW]))


def test_blackboard_own_download_is_utf16_tab_delimited(tmp_path):
    _, simple = read("blackboard", tmp_path=tmp_path)
    source, frame = read("blackboard", "simple-utf16", tmp_path=tmp_path)

    assert (source.encoding, source.delimiter) == ("utf-16", "\t")
    pd.testing.assert_frame_equal(frame.drop(columns=[RAW]), simple.drop(columns=[RAW]))


ERRORS = {
    "moodle": (COMPLETED, "Course complete: 'yesterday' is not an ISO 8601 date"),
    "canvas": (SCORE, "Final Score: 'forty' is not a number"),
    "talentlms": (COMPLETED_AT, "Completion date: '31/02/2026' is not an ISO 8601 date"),
    "docebo": (COMPLETED_AT, "Completion Date: '31/02/2026' is not an ISO 8601 date"),
    "cornerstone": (
        COMPLETED_AT,
        "Transcript Completed Date: '13/45/2026' is not an ISO 8601 date",
    ),
    "litmos": (SCORE, "Score: 'n/a' is not a number"),
    "360learning": (COMPLETED, "Status: 'Maybe' is not one of"),
    "blackboard": (SCORE, "Total [Total Pts: up to 60 Score] |1003: 'eight' is not a number"),
}


@pytest.mark.parametrize("vendor", sorted(ERRORS))
def test_an_unparseable_value_is_a_parse_error_and_the_row_stays(vendor, tmp_path):
    column, message = ERRORS[vendor]

    _, frame = read(vendor, "simple-err-unparseable", tmp_path=tmp_path)

    assert frame[LEARNER_EMAIL].tolist() == EMAILS
    assert [len(e) for e in frame[PARSE_ERRORS]] == [0, 1, 0, 0]
    assert frame.iloc[1][PARSE_ERRORS][0].startswith(message)
    assert pd.isna(frame.iloc[1][column])


def test_row_number_is_the_file_line_even_across_quoted_newlines():
    _, frame = read("cornerstone")

    # Every Training Title spans two lines ("Data Privacy\nBasics").
    assert frame[ROW_NUMBER].tolist() == [2, 4, 6, 8]
    assert set(frame[COURSE_NAME]) == {"Data Privacy\nBasics"}


def test_canvas_points_possible_row_is_not_a_learner_and_scales_assignments(tmp_path):
    _, frame = read("canvas", tmp_path=tmp_path, score_column="Final Exam")

    assert frame[ROW_NUMBER].tolist() == [3, 4, 5, 6]
    # Final Exam (102) is out of 50 points: 45 -> 90 %, 38 -> 76 %; no grade -> not done.
    assert frame[SCORE].tolist()[::3] == [90.0, 76.0]
    assert frame[COMPLETED].tolist() == [True, False, False, True]
    assert frame.iloc[0][SCORE_KIND] == "final_assessment"


def test_moodle_dates_are_local_time_in_the_configured_zone():
    from zoneinfo import ZoneInfo

    _, frame = read("moodle", zone=ZoneInfo("Europe/Paris"))

    assert frame.iloc[0][COMPLETED_AT] == t("2026-03-14T15:41Z")  # CET = UTC+1
    assert frame.iloc[3][COMPLETED_AT] == t("2026-05-21T09:06Z")  # CEST = UTC+2


@pytest.mark.parametrize(
    ("vendor", "options", "message"),
    [
        ("moodle", {"course_id": None}, "set the source's course_id"),
        ("canvas", {"pass_score": None}, "set the source's pass_score"),
        ("blackboard", {"score_column": "Midterm"}, "'Module 1 Quiz', 'Final Exam', 'Total'"),
    ],
)
def test_missing_report_settings_are_config_errors(vendor, options, message):
    with pytest.raises(SourceConfigError, match=message):
        read(vendor, **options)


def test_learner_ids_come_from_the_report():
    _, docebo = read("docebo")
    _, moodle = read("moodle")

    assert docebo[LEARNER_ID].tolist()[:2] == ["adubois", "jmueller"]
    assert docebo[LEARNER_NAME].tolist()[1] == "Jürgen Müller"  # first + last
    assert moodle[LEARNER_ID].tolist()[:2] == ["11", "12"]
    assert moodle[SOURCE_RECORD_ID].tolist()[0] == "11:DS101"


def test_since_drops_older_completions_and_keeps_rows_without_a_date():
    source = CsvExportSource("docebo-export", EXPORTS / "docebo" / "simple.csv")

    frame = source.fetch_completions(datetime(2026, 4, 1, tzinfo=UTC), fetched_at=FETCHED)

    # Amélie completed on 2026-03-14: before the watermark; the two in progress stay.
    assert frame[LEARNER_EMAIL].tolist() == EMAILS[1:]
    assert frame[ROW_NUMBER].tolist() == [3, 4, 5]


def test_settings_build_a_vendor_source():
    from badgeflow.lms import build_source
    from badgeflow.settings import CsvSourceSettings

    settings = CsvSourceSettings(
        name="bb-export",
        path=EXPORTS / "blackboard" / "simple-tab.csv",
        format="blackboard",
        course_id="DS201",
        pass_score=70,
        score_column="Final Exam",
        timezone="America/New_York",
    )
    source = build_source(settings)
    frame = source.fetch_completions(None, fetched_at=FETCHED)

    assert repr(source).endswith("format='blackboard')")
    # Final Exam is out of 50: 45 -> 90 % passes, 38 -> 76 % passes; Last Access is EDT.
    assert frame[COMPLETED].tolist() == [True, False, False, True]
    assert frame.iloc[0][COMPLETED_AT] == t("2026-03-14T20:41Z")
    assert frame.iloc[0][SCORE_KIND] == "final_assessment"


def test_unknown_time_zone_is_refused_by_settings():
    from pydantic import ValidationError

    from badgeflow.settings import CsvSourceSettings

    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        CsvSourceSettings(name="x", path=Path("x.csv"), timezone="Mars/Olympus")
