from __future__ import annotations

import typing
from pathlib import Path

import pydantic
import pytest

from badgeflow.lms import (
    CONNECTORS,
    BlackboardSource,
    CanvasSource,
    CornerstoneSource,
    CsvExportSource,
    MoodleSource,
    build_source,
)
from badgeflow.settings import (
    BlackboardSourceSettings,
    CsvSourceSettings,
    Settings,
    SourceSettings,
)


def test_every_source_kind_has_a_connector():
    union, _discriminator = typing.get_args(SourceSettings)
    models = typing.get_args(union)
    kinds = {model.model_fields["kind"].default for model in models}

    assert len(models) >= 5 and "moodle" in kinds
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


def test_builds_a_blackboard_source_with_its_course_rules():
    settings = Settings(
        sources=[
            {
                "kind": "blackboard",
                "name": "bb-main",
                "base_url": "https://learn.example.edu/",
                "client_id": "app-key",
                "client_secret": "app-secret-123",
                "courses": [
                    {
                        "course": "DS101",
                        "module_columns": ["Module 1 quiz"],
                        "final_column": "Final exam",
                        "pass_threshold": 70,
                    }
                ],
                "retry_attempts": 2,
            }
        ]
    )

    source = build_source(settings.sources[0])

    assert isinstance(source, BlackboardSource)
    assert source.base_url == "https://learn.example.edu"
    (rule,) = source.courses
    assert (rule.course, rule.module_columns, rule.final_column) == (
        "DS101",
        ("Module 1 quiz",),
        "Final exam",
    )
    assert rule.pass_threshold == 70
    assert source._retry.max_attempts == 2
    assert "app-secret-123" not in repr(source)


def test_a_blackboard_course_must_name_a_column():
    with pytest.raises(pydantic.ValidationError, match="module_columns or final_column"):
        BlackboardSourceSettings(
            name="bb", base_url="https://l", client_id="k", client_secret="s",
            courses=[{"course": "DS101"}],
        )  # fmt: skip


def test_builds_a_cornerstone_source_with_its_scope_and_retry_policy():
    settings = Settings(
        sources=[
            {
                "kind": "cornerstone",
                "name": "csod-main",
                "base_url": "https://acme.csod.com/",
                "client_id": "badgeflow-edge",
                "client_secret": "csod-secret-abcdef",
                "course_ids": ["E2470B68-32FC-4380-B69D-27513B697D51"],
                "scope": "all",
                "completed_status_group": None,
                "page_size": 500,
                "retry_attempts": 3,
            }
        ]
    )

    source = build_source(settings.sources[0])

    assert isinstance(source, CornerstoneSource)
    assert source.base_url == "https://acme.csod.com"
    assert source.course_ids == ("e2470b68-32fc-4380-b69d-27513b697d51",)
    assert source.completed_status_group is None
    assert source.page_size == 500
    assert source.auth.scope == "all" and source.auth.style == "json"
    assert source.auth.token_url == "https://acme.csod.com/services/api/oauth2/token"
    assert source._retry.max_attempts == 3
    assert "csod-secret-abcdef" not in repr(source)
