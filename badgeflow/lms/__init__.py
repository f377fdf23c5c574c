"""Completion sources: one connector per module behind the `CompletionSource` Protocol."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final
from zoneinfo import ZoneInfo

from badgeflow.errors import ConfigurationError
from badgeflow.lms._http import RetryPolicy
from badgeflow.lms.base import CompletionSource
from badgeflow.lms.canvas import CanvasSource
from badgeflow.lms.csv_export import CsvExportSource
from badgeflow.lms.exports import ExportOptions
from badgeflow.lms.moodle import MoodleSource
from badgeflow.settings import (
    CanvasSourceSettings,
    CsvSourceSettings,
    MoodleSourceSettings,
    SourceSettings,
)

__all__ = [
    "CONNECTORS",
    "CanvasSource",
    "CompletionSource",
    "CsvExportSource",
    "MoodleSource",
    "build_source",
    "retry_policy",
]


def retry_policy(settings: MoodleSourceSettings | CanvasSourceSettings) -> RetryPolicy:
    """The retry policy an HTTP source's settings ask for.

    Args:
        settings: an HTTP source's settings.

    Returns:
        `RetryPolicy` with the configured attempts and total wait.
    """
    return RetryPolicy(
        max_attempts=settings.retry_attempts, max_total_wait=settings.retry_max_wait_seconds
    )


def _csv(settings: CsvSourceSettings) -> CompletionSource:
    options = ExportOptions(
        format=settings.format,
        course_id=settings.course_id,
        course_name=settings.course_name,
        zone=ZoneInfo(settings.timezone),
        date_formats=tuple(settings.date_formats),
        score_column=settings.score_column,
        pass_score=settings.pass_score,
        score_scale=settings.score_scale,
    )
    return CsvExportSource(settings.name, settings.path, options)


def _moodle(settings: MoodleSourceSettings) -> CompletionSource:
    return MoodleSource(
        settings.name,
        settings.base_url,
        settings.token.get_secret_value(),
        course_ids=settings.course_ids,
        final_assessment=settings.final_assessment,
        timeout=settings.timeout_seconds,
        retry=retry_policy(settings),
    )


def _canvas(settings: CanvasSourceSettings) -> CompletionSource:
    return CanvasSource(
        settings.name,
        settings.base_url,
        settings.token.get_secret_value(),
        course_ids=settings.course_ids,
        final_assessment=settings.final_assessment,
        timeout=settings.timeout_seconds,
        per_page=settings.per_page,
        retry=retry_policy(settings),
    )


CONNECTORS: Final[dict[str, Callable[[Any], CompletionSource]]] = {
    "csv": _csv,
    "moodle": _moodle,
    "canvas": _canvas,
}
"""Builds a connector from its settings, keyed by the settings' ``kind``."""


def build_source(settings: SourceSettings) -> CompletionSource:
    """Build the connector a source's settings describe.

    Args:
        settings: one entry of ``Settings.sources``.

    Returns:
        A ready `CompletionSource`; it does no I/O until asked for completions.

    Raises:
        ConfigurationError: no connector is registered for the settings' kind.

    Examples:
        >>> from pathlib import Path
        >>> build_source(CsvSourceSettings(name="partner", path=Path("export.csv")))
        CsvExportSource(name='partner', path='export.csv')
    """
    try:
        factory = CONNECTORS[settings.kind]
    except KeyError:
        raise ConfigurationError(f"no connector for source kind {settings.kind!r}") from None
    return factory(settings)
