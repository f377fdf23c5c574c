from __future__ import annotations

from datetime import UTC, datetime

import pytest

from badgeflow.lms.exports.values import parse_count, parse_date, parse_flag, parse_score


@pytest.mark.parametrize(
    ("text", "scale", "expected"),
    [
        ("85%", "percent", 85.0),
        ("85.00%", "fraction", 85.0),
        ("85", "percent", 85.0),
        ("0.85", "fraction", 85.0),
        ("0,85", "fraction", 85.0),
        ("82,5", "percent", 82.5),
        (None, "percent", None),
    ],
)
def test_score_forms(text, scale, expected):
    errors: list[str] = []

    assert parse_score("Score", text, errors, scale=scale) == expected
    assert errors == []


def test_unreadable_score_is_a_message():
    errors: list[str] = []

    assert parse_score("Score", "eighty", errors) is None
    assert errors == ["Score: 'eighty' is not a number"]


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("14/03/26, 16:41", "%d/%m/%y, %H:%M", datetime(2026, 3, 14, 16, 41, tzinfo=UTC)),
        ("14/03/2026 16:41", "%d/%m/%Y %H:%M", datetime(2026, 3, 14, 16, 41, tzinfo=UTC)),
        ("3/4/2026", "%m/%d/%Y", datetime(2026, 3, 4, tzinfo=UTC)),
        ("3/14/2026 4:41 PM", "%m/%d/%Y %I:%M %p", datetime(2026, 3, 14, 16, 41, tzinfo=UTC)),
        ("2026-03-14T16:41:00+01:00", "%d/%m/%Y", datetime(2026, 3, 14, 15, 41, tzinfo=UTC)),
    ],
)
def test_vendor_date_formats(text, fmt, expected):
    errors: list[str] = []

    assert parse_date("Date", text, errors, formats=(fmt,)) == expected
    assert errors == []


def test_a_date_in_no_format_names_the_formats_tried():
    errors: list[str] = []

    assert parse_date("Date", "31/02/2026", errors, formats=("%d/%m/%Y",)) is None
    assert errors == [
        "Date: '31/02/2026' is not an ISO 8601 date (YYYY-MM-DD[THH:MM:SS]) or one of %d/%m/%Y"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Completed", True), ("PASSED", True), ("Complete", True), ("Incomplete", False),
     ("in progress", False), (None, None)],
)  # fmt: skip
def test_status_vocabulary(text, expected):
    vocabulary = {
        "true": {"completed", "complete", "passed"},
        "false": {"incomplete", "in progress"},
    }

    assert parse_flag("Status", text, [], **vocabulary) is expected


def test_count_refuses_fractions():
    errors: list[str] = []

    assert parse_count("Modules", "6.0", errors) == 6
    assert parse_count("Modules", "4.5", errors) is None
    assert errors == ["Modules: '4.5' is not a whole number"]
