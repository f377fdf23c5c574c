"""Completion sources: one connector per module behind the `CompletionSource` Protocol."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final
from zoneinfo import ZoneInfo

from badgeflow.errors import ConfigurationError
from badgeflow.lms._http import RetryPolicy
from badgeflow.lms.base import CompletionSource
from badgeflow.lms.blackboard import BlackboardCourseRule, BlackboardSource
from badgeflow.lms.canvas import CanvasSource
from badgeflow.lms.cornerstone import CornerstoneSource
from badgeflow.lms.csv_export import CsvExportSource
from badgeflow.lms.docebo import DoceboSource
from badgeflow.lms.exports import ExportOptions
from badgeflow.lms.learning360 import Learning360Source
from badgeflow.lms.litmos import LitmosSource
from badgeflow.lms.moodle import MoodleSource
from badgeflow.lms.talentlms import TalentLMSSource
from badgeflow.lms.webhook import WebhookSource
from badgeflow.lms.xapi import XapiSource
from badgeflow.settings import (
    BlackboardSourceSettings,
    CanvasSourceSettings,
    CornerstoneSourceSettings,
    CsvSourceSettings,
    DoceboSourceSettings,
    HttpSourceSettings,
    Learning360SourceSettings,
    LitmosSourceSettings,
    MoodleSourceSettings,
    SourceSettings,
    TalentLMSSourceSettings,
    WebhookSourceSettings,
    XapiSourceSettings,
)

__all__ = [
    "CONNECTORS",
    "BlackboardSource",
    "CanvasSource",
    "CompletionSource",
    "CsvExportSource",
    "DoceboSource",
    "MoodleSource",
    "build_source",
    "retry_policy",
    "CornerstoneSource",
    "WebhookSource",
    "XapiSource",
    "Learning360Source",
    "LitmosSource",
    "TalentLMSSource",
]


def retry_policy(settings: HttpSourceSettings) -> RetryPolicy:
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
        rename_columns=dict(settings.rename_columns),
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
        concurrency=settings.concurrency,
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


def _blackboard(settings: BlackboardSourceSettings) -> CompletionSource:
    return BlackboardSource(
        settings.name,
        settings.base_url,
        settings.client_id,
        settings.client_secret.get_secret_value(),
        courses=[
            BlackboardCourseRule(
                course=c.course,
                module_columns=tuple(c.module_columns),
                final_column=c.final_column,
                pass_threshold=c.pass_threshold,
                module_pass_threshold=c.module_pass_threshold,
            )
            for c in settings.courses
        ],
        timeout=settings.timeout_seconds,
        page_size=settings.page_size,
        retry=retry_policy(settings),
    )


def _docebo(settings: DoceboSourceSettings) -> CompletionSource:
    return DoceboSource(
        settings.name,
        settings.base_url,
        settings.client_id,
        settings.client_secret.get_secret_value(),
        username=settings.username,
        password=settings.password.get_secret_value() if settings.password else None,
        course_ids=settings.course_ids,
        enrollment_endpoint=settings.enrollment_endpoint,
        page_size=settings.page_size,
        timeout=settings.timeout_seconds,
        retry=retry_policy(settings),
    )


def _cornerstone(settings: CornerstoneSourceSettings) -> CompletionSource:
    return CornerstoneSource(
        settings.name,
        settings.base_url,
        settings.client_id,
        settings.client_secret.get_secret_value(),
        scope=settings.scope,
        course_ids=settings.course_ids,
        completed_status_group=settings.completed_status_group,
        page_size=settings.page_size,
        timeout=settings.timeout_seconds,
        retry=retry_policy(settings),
    )


def _webhook(settings: WebhookSourceSettings) -> CompletionSource:
    if settings.database_url is None:
        raise ConfigurationError(f"webhook source {settings.name}: no database_url")
    score = settings.score_settings
    return WebhookSource(
        settings.name,
        settings.vendor,
        settings.database_url,
        score_source=build_source(score) if score is not None else None,
    )


def _xapi(settings: XapiSourceSettings) -> CompletionSource:
    return XapiSource(
        settings.name,
        settings.base_url,
        settings.key,
        settings.secret.get_secret_value(),
        activities=settings.activities,
        limit=settings.limit,
        timeout=settings.timeout_seconds,
        retry=retry_policy(settings),
    )


def _learning360(settings: Learning360SourceSettings) -> CompletionSource:
    return Learning360Source(
        settings.name,
        settings.base_url,
        settings.client_id,
        settings.client_secret.get_secret_value(),
        course_ids=settings.course_ids,
        path_ids=settings.path_ids,
        timeout=settings.timeout_seconds,
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
        concurrency=settings.concurrency,
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
    "blackboard": _blackboard,
    "docebo": _docebo,
    "cornerstone": _cornerstone,
    "webhook": _webhook,
    "xapi": _xapi,
    "360learning": _learning360,
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
