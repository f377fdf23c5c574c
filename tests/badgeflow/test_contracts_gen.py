"""Export suites derived from the profiles: date patterns, names, writing the files."""

from __future__ import annotations

import json
import re

import pytest

from badgeflow.contracts_gen import (
    build_export_suite,
    date_pattern,
    export_suite_name,
    write_export_suites,
)
from badgeflow.lms.exports import PROFILES


@pytest.mark.parametrize(
    ("formats", "good", "bad"),
    [
        (
            ("%m/%d/%Y %I:%M %p",),
            ["3/14/2026 4:41 PM", "12/01/2026 11:06 am"],
            ["14/3/2026 4:41 PM"],
        ),
        (("%d/%m/%Y, %H:%M:%S",), ["14/03/2026, 16:41:00"], ["14/03/2026 16:41:00", "13/45/2026"]),
        (("%d/%m/%y, %H:%M",), ["14/03/26, 16:41"], ["14/03/2026, 16:41"]),
        ((), ["2026-03-14", "2026-03-14T16:41:00Z", "2026-03-14 16:41:00+02:00"], ["yesterday"]),
    ],
)
def test_date_pattern_accepts_iso_and_the_profile_formats(formats, good, bad):
    pattern = re.compile(date_pattern(formats))
    assert all(pattern.match(v) for v in good)
    assert not any(pattern.match(v) for v in bad)


def test_a_format_directive_without_a_pattern_is_refused():
    with pytest.raises(ValueError, match="%j"):
        date_pattern(("%Y-%j",))


def test_suites_are_named_and_versioned_by_format():
    assert export_suite_name(PROFILES["360learning"]) == "export_360learning.v1"


def test_status_check_of_moodle_accepts_a_date_in_the_status_cell():
    suite = build_export_suite(PROFILES["moodle"])
    status = next(
        e["kwargs"]["regex"]
        for e in suite["expectations"]
        if e["kwargs"]["column"] == "Course complete" and "regex" in e["kwargs"]
    )
    assert re.match(status, "14/03/26, 16:41") and re.match(status, "Not completed")
    assert not re.match(status, "yesterday")


def test_every_expectation_names_its_column_and_value_in_its_reason():
    for profile in PROFILES.values():
        for expectation in build_export_suite(profile)["expectations"]:
            column = expectation["kwargs"]["column"]
            assert column in expectation["meta"]["reason"]
            if "regex" in expectation["kwargs"]:
                assert f"{{{column}}}" in expectation["meta"]["reason"]


def test_write_export_suites(tmp_path):
    written = write_export_suites(tmp_path)

    assert sorted(p.name for p in written) == sorted(f"export_{fmt}.v1.json" for fmt in PROFILES)
    assert json.loads(written[0].read_text())["name"] == written[0].name.removesuffix(".json")
