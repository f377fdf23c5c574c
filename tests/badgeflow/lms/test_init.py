from __future__ import annotations

import typing
from pathlib import Path

from badgeflow.lms import CONNECTORS, CanvasSource, CsvExportSource, MoodleSource, build_source
from badgeflow.settings import (
    CsvSourceSettings,
    Settings,
    SourceSettings,
)


def test_every_source_kind_has_a_connector():
    union = typing.get_args(typing.get_args(SourceSettings)[0])
    kinds = {model.model_fields["kind"].default for model in union}

    assert {"csv", "moodle", "canvas"} <= kinds
    assert set(CONNECTORS) == kinds


def test_builds_a_csv_source():
    source = build_source(CsvSourceSettings(name="partner", path=Path("exports/partner.csv")))

    assert isinstance(source, CsvExportSource)
    assert source.name == "partner"
    assert source.path == Path("exports/partner.csv")


def test_builds_a_moodle_source_from_settings():
    settings = Settings(
        sources=[
            {
                "kind": "moodle",
                "name": "moodle-main",
                "base_url": "https://moodle.example.edu/",
                "token": "abc123",
                "course_ids": ["DS101"],
                "final_assessment": "final-exam",
                "timeout_seconds": 12,
            }
        ]
    )

    source = build_source(settings.sources[0])

    assert isinstance(source, MoodleSource)
    assert source.name == "moodle-main"
    assert source.base_url == "https://moodle.example.edu"
    assert source.course_ids == ("DS101",)
    assert source.final_assessment == "final-exam"
    assert source.timeout == 12
    assert "abc123" not in repr(source)


def test_builds_a_canvas_source_with_its_retry_policy():
    settings = Settings(
        sources=[
            {
                "kind": "canvas",
                "name": "canvas-main",
                "base_url": "https://school.instructure.com/",
                "token": "tok-abcdef",
                "course_ids": ["sis_course_id:DS101"],
                "per_page": 50,
                "retry_attempts": 2,
                "retry_max_wait_seconds": 5,
                "overlap": "PT6H",
            }
        ]
    )

    source = build_source(settings.sources[0])

    assert isinstance(source, CanvasSource)
    assert source.base_url == "https://school.instructure.com"
    assert source.course_ids == ("sis_course_id:DS101",)
    assert source.per_page == 50
    assert (source._retry.max_attempts, source._retry.max_total_wait) == (2, 5.0)
    assert settings.sources[0].overlap.total_seconds() == 6 * 3600
    assert "tok-abcdef" not in repr(source)
