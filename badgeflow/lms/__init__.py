"""Completion sources: one connector per module behind the `CompletionSource` Protocol."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from badgeflow.errors import ConfigurationError
from badgeflow.lms._http import RetryPolicy
from badgeflow.lms.base import CompletionSource
from badgeflow.lms.canvas import CanvasSource
from badgeflow.lms.csv_export import CsvExportSource
from badgeflow.lms.litmos import LitmosSource
from badgeflow.lms.moodle import MoodleSource
from badgeflow.lms.talentlms import TalentLMSSource
from badgeflow.settings import (
    CanvasSourceSettings,
    CsvSourceSettings,
    LitmosSourceSettings,
    MoodleSourceSettings,
    SourceSettings,
    TalentLMSSourceSettings,
)

__all__ = [
    "CONNECTORS",
    "CanvasSource",
    "CompletionSource",
    "CsvExportSource",
    "LitmosSource",
    "MoodleSource",
    "TalentLMSSource",
    "build_source",
    "retry_policy",
]


def retry_policy(
    settings: MoodleSourceSettings
    | CanvasSourceSettings
    | TalentLMSSourceSettings
    | LitmosSourceSettings,
) -> RetryPolicy:
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
    return CsvExportSource(settings.name, settings.path)


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


def _talentlms(settings: TalentLMSSourceSettings) -> CompletionSource:
    return TalentLMSSource(
        settings.name,
        settings.base_url,
        settings.api_key.get_secret_value(),
        course_ids=settings.course_ids,
        final_assessment=settings.final_assessment,
        timeout=settings.timeout_seconds,
        retry=retry_policy(settings),
    )


def _litmos(settings: LitmosSourceSettings) -> CompletionSource:
    return LitmosSource(
        settings.name,
        settings.base_url,
        settings.api_key.get_secret_value(),
        source_app=settings.source_app,
        course_ids=settings.course_ids,
        final_assessment=settings.final_assessment,
        page_size=settings.page_size,
        timeout=settings.timeout_seconds,
        retry=retry_policy(settings),
    )


CONNECTORS: Final[dict[str, Callable[[Any], CompletionSource]]] = {
    "csv": _csv,
    "moodle": _moodle,
    "canvas": _canvas,
    "talentlms": _talentlms,
    "litmos": _litmos,
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
