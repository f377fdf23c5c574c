"""`badgeflow metrics dashboard`: write the static metrics dashboard."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from badgeflow.cli._common import load_settings, open_sessions
from badgeflow.metrics.dashboard import dashboard_dir, write_dashboard

__all__ = ["dashboard"]


def dashboard(
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder to write to; default engagement.dashboard_dir, else var/dashboard."
        ),
    ] = None,
) -> None:
    """Write the metrics dashboard (index.html and its CSV files) and print where."""
    settings = load_settings()
    sessions = open_sessions(settings)
    folder = out or dashboard_dir(settings)
    with sessions() as session:
        report = write_dashboard(session.connection(), folder, clock=lambda: datetime.now(UTC))
    typer.echo(f"dashboard       {report.path}")
    if not report.issued:
        typer.echo("nothing issued yet: the page says so")
