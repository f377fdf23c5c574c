from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from badgeflow.errors import SourceError
from badgeflow.lms import CompletionSource, CsvExportSource
from badgeflow.lms._frame import FRAME_COLUMNS
from badgeflow.models import (
    COMPLETED,
    COMPLETED_AT,
    COURSE_ID,
    FETCHED_AT,
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
    SOURCE,
    SOURCE_RECORD_ID,
    SOURCE_SYSTEM,
)

EXPORTS = Path(__file__).parents[2] / "fixtures" / "contracts" / "lms_completions.v1"
FETCHED = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
HEADER = (
    "learner_id,learner_email,learner_name,course_id,course_name,completed,completed_at,"
    "score,modules_completed,modules_total"
)


def fetch(path: Path, name: str = "partner") -> pd.DataFrame:
    return CsvExportSource(name, path).fetch_completions(None, fetched_at=FETCHED)


def write(tmp_path: Path, content: bytes, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_is_a_completion_source():
    assert isinstance(CsvExportSource("partner", EXPORTS / "simple.csv"), CompletionSource)


def test_simple_export_reads_into_the_canonical_frame():
    frame = fetch(EXPORTS / "simple.csv")

    assert tuple(frame.columns) == FRAME_COLUMNS
    assert len(frame) == 4
    assert frame[PARSE_ERRORS].tolist() == [(), (), (), ()]
    assert frame[ROW_NUMBER].tolist() == [2, 3, 4, 5]  # file lines: the header is line 1
    assert set(frame[SOURCE]) == {"partner"}
    assert set(frame[SOURCE_SYSTEM]) == {"csv"}
    assert set(frame[FETCHED_AT]) == {pd.Timestamp(FETCHED)}
    assert frame[SOURCE_RECORD_ID].tolist() == ["R-001", "R-002", "R-003", "R-004"]
    assert frame[COMPLETED].tolist() == [True, True, False, True]
    second = frame.iloc[1]
    assert second[LEARNER_ID] == "L-002"
    assert second[LEARNER_EMAIL] == "rahul.mehta@example.com"
    assert second[LEARNER_NAME] == "Rahul Mehta"
    assert second[COURSE_ID] == "SQL110"
    assert second[COMPLETED_AT] == pd.Timestamp("2026-03-20T09:15:00Z")
    assert second[SCORE] == 88.5
    assert second[SCORE_KIND] == "final_assessment"
    assert (second[MODULES_COMPLETED], second[MODULES_TOTAL]) == (6, 6)
    assert pd.isna(second[PROGRESS_PCT])
    # A date without a time is midnight UTC; a missing date stays missing.
    assert frame.iloc[3][COMPLETED_AT] == pd.Timestamp("2026-05-08T00:00:00Z")
    assert pd.isna(frame.iloc[2][COMPLETED_AT])
    assert frame.iloc[0][SCORE_KIND] == "none"


def test_raw_keeps_the_row_as_read():
    frame = fetch(EXPORTS / "simple.csv")

    raw = frame.iloc[1][RAW]
    assert raw["score"] == "88.5"
    assert raw["completed_at"] == "2026-03-20T09:15:00Z"
    assert raw["learner_email"] == "rahul.mehta@example.com"


# Defects the connector must report (parse errors) and defects it must pass on untouched for
# the data contract to judge; either way the row is kept.
ERROR_FIXTURES = {
    "score-not-a-number": ("score: 'abc' is not a number", SCORE),
    "date-invalid": ("completed_at: '31/02/2026' is not an ISO 8601 date", COMPLETED_AT),
    "completed-unknown": ("completed: 'maybe' is not one of", COMPLETED),
    "score-out-of-range": (None, None),
    "date-in-future": (None, None),
    "completed-without-date": (None, None),
    "email-invalid": (None, None),
    "modules-exceed-total": (None, None),
}


def test_every_error_fixture_is_covered():
    names = {p.name.removeprefix("simple-err-").removesuffix(".csv") for p in EXPORTS.glob("*.csv")}
    assert names - {"simple"} == set(ERROR_FIXTURES)


@pytest.mark.parametrize("defect", sorted(ERROR_FIXTURES))
def test_error_fixture_keeps_every_row(defect):
    message, column = ERROR_FIXTURES[defect]

    frame = fetch(EXPORTS / f"simple-err-{defect}.csv")

    assert len(frame) == 4
    assert frame[ROW_NUMBER].tolist() == [2, 3, 4, 5]
    clean = [0, 2, 3]
    assert frame.iloc[clean][PARSE_ERRORS].tolist() == [(), (), ()]
    errors = frame.iloc[1][PARSE_ERRORS]
    if message is None:
        assert errors == ()
    else:
        assert len(errors) == 1
        assert errors[0].startswith(message)
        assert pd.isna(frame.iloc[1][column])


def test_values_outside_the_rules_are_passed_on_for_the_contract():
    assert fetch(EXPORTS / "simple-err-score-out-of-range.csv").iloc[1][SCORE] == 140
    future = fetch(EXPORTS / "simple-err-date-in-future.csv").iloc[1][COMPLETED_AT]
    assert future == pd.Timestamp("2031-03-20T09:15:00Z")
    email = fetch(EXPORTS / "simple-err-email-invalid.csv").iloc[1][LEARNER_EMAIL]
    assert email == "rahul.mehta(at)example.com"


def test_utf8_with_byte_order_mark(tmp_path):
    content = f"{HEADER}\nL-1,chloe@example.com,Chloé Dubois,DS101,Intro,yes,2026-01-02,,4,4\n"
    frame = fetch(write(tmp_path, b"\xef\xbb\xbf" + content.encode("utf-8")))

    assert frame.iloc[0][LEARNER_ID] == "L-1"  # not "\ufeffL-1" under a "\ufefflearner_id" key
    assert frame.iloc[0][LEARNER_NAME] == "Chloé Dubois"
    assert "learner_id" in frame.iloc[0][RAW]


def test_cp1252_export_from_excel(tmp_path):
    content = (
        f"{HEADER}\r\nL-1,chloe@example.com,Chloé Dubois – Ops,DS101,Intro,1,2026-01-02,,4,4\r\n"
    )
    frame = fetch(write(tmp_path, content.encode("cp1252")))

    assert frame.iloc[0][LEARNER_NAME] == "Chloé Dubois – Ops"
    assert frame.iloc[0][PARSE_ERRORS] == ()


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_delimiters(tmp_path, delimiter):
    rows = [
        HEADER.split(","),
        [
            "L-1",
            "a@example.com",
            "Ann, Jr.",
            "SQL110",
            "SQL",
            "true",
            "2026-01-02",
            "82,5",
            "6",
            "6",
        ],
    ]
    content = "\n".join(delimiter.join(r) for r in rows) + "\n"
    frame = fetch(write(tmp_path, content.encode("utf-8")))

    row = frame.iloc[0]
    assert (row[LEARNER_ID], row[LEARNER_NAME], row[COURSE_ID]) == ("L-1", "Ann, Jr.", "SQL110")
    assert row[SCORE] == 82.5  # a decimal comma, as such exports write it
    assert row[MODULES_TOTAL] == 6


def test_header_names_are_trimmed_and_case_insensitive_and_extra_columns_kept(tmp_path):
    header = " Learner_ID ,LEARNER_EMAIL,learner_name,course_id,course_name,completed," + (
        "completed_at,score,modules_completed,modules_total,cohort"
    )
    content = f"{header}\nL-1,A@Example.com ,Ann,DS101,Intro,no,,,0,4,2026-spring\n"
    frame = fetch(write(tmp_path, content.encode("utf-8")))

    row = frame.iloc[0]
    assert row[LEARNER_ID] == "L-1"
    assert row[LEARNER_EMAIL] == "a@example.com"
    assert not pd.isna(row[COMPLETED])
    assert not row[COMPLETED]
    assert row[RAW]["cohort"] == "2026-spring"
    assert row[SOURCE_RECORD_ID] == "L-1:DS101"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("Yes", True),
        ("1", True),
        ("Completed", True),
        ("false", False),
        ("no", False),
        ("0", False),
        ("", None),
    ],
)
def test_completed_values(tmp_path, text, expected):
    content = f"{HEADER}\nL-1,a@example.com,Ann,DS101,Intro,{text},,,,\n"
    value = fetch(write(tmp_path, content.encode())).iloc[0][COMPLETED]

    assert (None if pd.isna(value) else bool(value)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-04T10:00:00Z", "2026-03-04T10:00:00Z"),
        ("2026-03-04T10:00:00+02:00", "2026-03-04T08:00:00Z"),
        ("2026-03-04 10:00:00", "2026-03-04T10:00:00Z"),
        ("2026-03-04", "2026-03-04T00:00:00Z"),
    ],
)
def test_dates_become_utc(tmp_path, text, expected):
    content = f"{HEADER}\nL-1,a@example.com,Ann,DS101,Intro,true,{text},,,\n"
    value = fetch(write(tmp_path, content.encode())).iloc[0][COMPLETED_AT]

    assert value == pd.Timestamp(expected)
    assert str(value.tz) == "UTC"


def test_several_bad_values_in_one_row_are_all_reported(tmp_path):
    content = f"{HEADER}\nL-1,a@example.com,Ann,DS101,Intro,sure,2026-02-31,n/a,six,4.5\n"
    frame = fetch(write(tmp_path, content.encode()))

    errors = frame.iloc[0][PARSE_ERRORS]
    assert sorted(e.split(":")[0] for e in errors) == [
        "completed",
        "completed_at",
        "modules_completed",
        "modules_total",
        "score",
    ]
    row = frame.iloc[0]
    assert all(pd.isna(row[c]) for c in (COMPLETED, COMPLETED_AT, SCORE, MODULES_TOTAL))


def test_rows_with_the_wrong_number_of_fields_are_kept(tmp_path):
    content = (
        f"{HEADER}\n"
        "L-1,a@example.com,Ann,DS101,Intro,true,2026-01-02,,4,4,surprise\n"
        "\n"
        "L-2,b@example.com,Bob,DS101\n"
    )
    frame = fetch(write(tmp_path, content.encode()))

    assert frame[LEARNER_ID].tolist() == ["L-1", "L-2"]
    assert frame[ROW_NUMBER].tolist() == [2, 4]  # the blank line holds no row but counts
    assert frame.iloc[0][PARSE_ERRORS] == ("row has 11 fields, the header 10",)
    assert frame.iloc[1][PARSE_ERRORS] == ("row has fewer fields than the header (10)",)


def test_non_finite_numbers_are_parse_errors(tmp_path):
    content = f"{HEADER}\nL-1,a@example.com,Ann,DS101,Intro,true,2026-01-02,nan,4,4\n"
    frame = fetch(write(tmp_path, content.encode()))

    assert frame.iloc[0][PARSE_ERRORS] == ("score: 'nan' is not a finite number",)


def test_record_id_falls_back_to_the_row_when_ids_are_missing(tmp_path):
    content = (
        f"{HEADER}\n,A@example.com,Ann,DS101,Intro,true,2026-01-02,,4,4\n"
        ",,Bob,DS101,Intro,true,2026-01-02,,4,4\n"
    )

    ids = fetch(write(tmp_path, content.encode()))[SOURCE_RECORD_ID].tolist()

    assert ids == ["a@example.com:DS101", "line:3"]


def test_since_keeps_newer_completions_and_rows_without_a_date():
    source = CsvExportSource("partner", EXPORTS / "simple.csv")

    late = source.fetch_completions(datetime(2026, 3, 20, 9, 15, tzinfo=UTC), fetched_at=FETCHED)
    never = source.fetch_completions(datetime(2030, 1, 1, tzinfo=UTC), fetched_at=FETCHED)

    # R-001 (2025-10-02) is older; R-002 is exactly on the bound; R-003 has no date.
    assert late[SOURCE_RECORD_ID].tolist() == ["R-002", "R-003", "R-004"]
    assert late[ROW_NUMBER].tolist() == [3, 4, 5]
    assert never[SOURCE_RECORD_ID].tolist() == ["R-003"]


def test_missing_file_is_a_source_error_naming_the_path(tmp_path):
    missing = tmp_path / "nope.csv"

    with pytest.raises(SourceError, match="nope.csv"):
        fetch(missing)


def test_header_without_required_columns_is_a_source_error(tmp_path):
    path = write(tmp_path, b"email,course\na@example.com,DS101\n")

    with pytest.raises(SourceError, match="badgeflow lacks required column"):
        fetch(path)


def test_empty_file_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="empty"):
        fetch(write(tmp_path, b""))


def test_header_only_gives_an_empty_canonical_frame(tmp_path):
    frame = fetch(write(tmp_path, (HEADER + "\n").encode()))

    assert frame.empty
    assert tuple(frame.columns) == FRAME_COLUMNS
    assert str(frame[COMPLETED_AT].dtype) == "datetime64[us, UTC]"


def test_renamed_columns_map_a_differently_labelled_report_onto_its_format(tmp_path):
    from badgeflow.lms.exports import ExportOptions

    original = Path(__file__).resolve().parents[2] / "fixtures/lms/exports/talentlms/simple.csv"
    text = original.read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    assert header.startswith("User,Email,Course,Completion status")
    relabelled = header.replace("Completion status", "Status").replace("Score", "Result (%)")
    path = write(tmp_path, (relabelled + "\n" + rest).encode("utf-8"))
    talentlms = ExportOptions(format="talentlms")

    with pytest.raises(SourceError, match="Completion status"):
        CsvExportSource("t", path, talentlms).fetch_completions(None, fetched_at=FETCHED)

    renamed = ExportOptions(
        format="talentlms",
        rename_columns={"Status": "Completion status", "Result (%)": "Score"},
    )
    frame = CsvExportSource("t", path, renamed).fetch_completions(None, fetched_at=FETCHED)
    expected = CsvExportSource("t", original, talentlms).fetch_completions(None, fetched_at=FETCHED)
    columns = [c for c in expected.columns if c not in ("raw", "source_record_id")]
    pd.testing.assert_frame_equal(frame[columns], expected[columns])
