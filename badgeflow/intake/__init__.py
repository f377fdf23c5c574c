"""Webhook intake: receive, authenticate and durably store LMS completion events.

``badgeflow intake serve`` runs `build_intake_app` under uvicorn; the ``webhook`` completion
source (`badgeflow.lms.webhook`) feeds the stored events to the next batch.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine

from badgeflow import store
from badgeflow.intake.app import IntakeApp, IntakeSource
from badgeflow.intake.auth import Verifier, sign_generic, sign_standard
from badgeflow.intake.deliveries import GENERIC_REQUIRED, MalformedDelivery, split_delivery
from badgeflow.intake.reporting import ReportingApi
from badgeflow.intake.trigger import DebouncedTrigger
from badgeflow.settings import Settings, WebhookSourceSettings

__all__ = [
    "GENERIC_REQUIRED",
    "DebouncedTrigger",
    "IntakeApp",
    "IntakeSource",
    "MalformedDelivery",
    "ReportingApi",
    "Verifier",
    "build_intake_app",
    "intake_source",
    "reporting_api",
    "sign_generic",
    "sign_standard",
    "split_delivery",
]


def intake_source(settings: WebhookSourceSettings) -> IntakeSource:
    """Describe how the intake accepts one configured webhook source.

    Args:
        settings: the source's settings.

    Returns:
        Its name, payload format and verifier (holding the secrets, which its repr hides).
    """
    secrets = [settings.secret, settings.previous_secret]
    return IntakeSource(
        name=settings.name,
        vendor=settings.vendor,
        verifier=Verifier(
            auth=settings.auth or "hmac",
            vendor=settings.vendor,
            secrets=tuple(s.get_secret_value() for s in secrets if s is not None),
            header=settings.header,
            tolerance=settings.tolerance,
        ),
    )


def reporting_api(settings: Settings, engine: Engine) -> ReportingApi | None:
    """The reporting API the ``reporting`` settings ask for; None when no token is set (off).

    Args:
        settings: the settings (``reporting`` group).
        engine: an engine on the database at the current schema.

    Returns:
        The ASGI app answering under ``/api/v1/``, or None.
    """
    token = settings.reporting.token
    if token is None or not token.get_secret_value():
        return None
    tokens = [token, settings.reporting.previous_token]
    values = [t.get_secret_value() for t in tokens if t is not None and t.get_secret_value()]
    return ReportingApi(engine, values, max_rows=settings.reporting.max_rows)


def build_intake_app(
    settings: Settings,
    *,
    clock: Callable[[], datetime],
    on_stored: Callable[[str], None] | None = None,
) -> IntakeApp:
    """Build the intake for every ``webhook`` source of the settings, with the reporting API.

    Args:
        settings: the settings (database, ``intake`` group, sources).
        clock: the intake's clock.
        on_stored: called with a source's name after new events of it were stored.

    Returns:
        The ASGI app.

    Raises:
        StoreError: the database is unreachable or not at the current schema.
    """
    engine = store.make_engine(settings.database.url)
    store.check_schema(engine)
    sources = {
        s.name: intake_source(s) for s in settings.sources if isinstance(s, WebhookSourceSettings)
    }
    return IntakeApp(
        sources,
        store.session_factory(engine),
        clock=clock,
        max_body_bytes=settings.intake.max_body_bytes,
        on_stored=on_stored,
        api=reporting_api(settings, engine),
    )
