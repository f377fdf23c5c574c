"""The demo's engagement step: simulated traffic for its badges, then the engagement flow."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy import func, select

from badgeflow.cli._common import open_sessions
from badgeflow.cli._flows import run_flow_process
from badgeflow.demo.traffic import simulate_traffic
from badgeflow.metrics.dashboard import dashboard_dir
from badgeflow.settings import Settings
from badgeflow.store.schema import Credential

__all__ = ["demo_engagement"]


def demo_engagement(settings: Settings, traffic_dir: Path) -> None:
    """Simulate the weeks after issue (`badgeflow.demo.traffic`) and run `engagement-metrics`.

    The simulation's clock is the first credential's issue time, so a second demo run writes
    byte-identical files and the flow finds nothing new in them.

    Raises:
        typer.Exit: the flow failed.
    """
    sessions = open_sessions(settings)
    with sessions() as session:
        first_issue = session.scalar(select(func.min(Credential.issued_at)))
    if first_issue is None:
        typer.echo("no credentials issued: no engagement to simulate")
        return
    typer.echo("")
    report = simulate_traffic(
        sessions, base_url=settings.site.base_url, out_dir=traffic_dir, now=first_issue
    )
    for line in report.summary():
        typer.echo(line)
    summary = run_flow_process(settings, "flows.engagement_metrics", [], name="engagement-metrics")
    if summary is None:
        raise typer.Exit(1)
    for log in summary.get("access_logs") or []:
        typer.echo(
            f"access log {log['source']}: {log['lines']} new lines: people {log['people']}, "
            f"bots {log['bots']}, own checks excluded {log['excluded']}"
        )
    metrics = summary.get("metrics") or {}
    typer.echo(f"metrics         {metrics.get('credentials_recomputed')} credentials recomputed")
    typer.echo(f"dashboard       {dashboard_dir(settings) / 'index.html'}")
