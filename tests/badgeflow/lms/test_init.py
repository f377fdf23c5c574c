from __future__ import annotations

from pathlib import Path

from badgeflow.lms import CONNECTORS, CsvExportSource, MoodleSource, build_source
from badgeflow.settings import CsvSourceSettings, MoodleSourceSettings, Settings


def test_every_source_kind_has_a_connector():
    kinds = {
        model.model_fields["kind"].default for model in (CsvSourceSettings, MoodleSourceSettings)
    }

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
