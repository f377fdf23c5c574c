"""`badgeflow intake serve`: the webhook intake under uvicorn."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
import uvicorn

from badgeflow.cli._common import load_settings
from badgeflow.errors import BadgeflowError
from badgeflow.intake import DebouncedTrigger, build_intake_app
from badgeflow.intake.reporting import API_PREFIX
from badgeflow.settings import Settings, WebhookSourceSettings

__all__ = ["intake_app", "make_trigger"]

logger = logging.getLogger(__name__)

intake_app = typer.Typer(help="The webhook intake (completion events pushed by LMSs).")
TRIGGER_MODULE = "flows.intake_trigger"


def _now() -> datetime:
    return datetime.now(UTC)


def make_trigger(settings: Settings) -> Callable[[str], None] | None:
    """The debounced deployment trigger `intake.trigger_deployment` asks for, if any.

    The Prefect side lives in ``flows/intake_trigger.py`` and is imported only when a
    deployment is configured, so the core never imports Prefect.

    Args:
        settings: the settings.

    Returns:
        A callback taking a source name, or None.
    """
    deployment = settings.intake.trigger_deployment
    if not deployment:
        return None
    start = importlib.import_module(TRIGGER_MODULE).deployment_starter(deployment)
    return DebouncedTrigger(
        start,
        min_interval=timedelta(seconds=settings.intake.trigger_min_interval_seconds),
        clock=_now,
    )


@intake_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8080,
) -> None:
    """Receive completion events at POST /hooks/<source name>, serve /api/v1/, until Ctrl-C."""
    settings = load_settings()
    names = [s.name for s in settings.sources if isinstance(s, WebhookSourceSettings)]
    reporting = settings.reporting.token is not None and bool(
        settings.reporting.token.get_secret_value()
    )
    if not names and not reporting:
        typer.secho(
            'nothing to serve: no webhook sources (kind = "webhook") and no reporting.token',
            fg="red",
            err=True,
        )
        raise typer.Exit(2)
    try:
        app = build_intake_app(settings, clock=_now, on_stored=make_trigger(settings))
    except BadgeflowError as exc:
        typer.secho(f"{exc}\nRun `badgeflow init` first.", fg="red", err=True)
        raise typer.Exit(2) from exc
    for name in names:
        typer.echo(f"accepting       POST http://{host}:{port}/hooks/{name}")
    if reporting:
        typer.echo(f"reporting API   GET  http://{host}:{port}{API_PREFIX}/views  (bearer token)")
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)
