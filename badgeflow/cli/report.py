"""`badgeflow report`: (re)write a batch's contract reports; and what `run` says on a halt."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from badgeflow import store
from badgeflow.cli._common import load_settings, open_sessions
from badgeflow.reports import build_batch_reports, report_dir
from badgeflow.settings import Settings

__all__ = ["explain_halt", "report", "report_paths_line"]


def report(
    batch_id: Annotated[
        str | None, typer.Argument(help="Batch id (default: the latest).", show_default=False)
    ] = None,
) -> None:
    """Rewrite a batch's quarantine.csv and validation.html from the store; print their paths."""
    settings = load_settings()
    sessions = open_sessions(settings)
    with sessions() as session:
        batch_id = batch_id or store.latest_batch_id(session)
    if batch_id is None:
        typer.echo("no batches yet")
        return
    try:
        paths = build_batch_reports(
            sessions, settings.var_dir, batch_id, max_rows=settings.contracts.report_rows
        )
    except KeyError as exc:
        typer.secho(f"unknown batch {batch_id!r}", fg="red", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"validation report  {paths.validation_html}")
    typer.echo(f"quarantined rows   {paths.quarantine_csv}")


def report_paths_line(var_dir: Path, batch_id: str) -> str | None:
    """One line naming a batch's report files, or None when they were never written.

    Args:
        var_dir: the ``var_dir`` setting.
        batch_id: the batch.
    """
    try:
        html = report_dir(var_dir, batch_id) / "validation.html"
    except ValueError:
        return None
    if not html.is_file():
        return None
    return f"reports of {batch_id}: {html} (and quarantine.csv beside it)"


def explain_halt(settings: Settings, batch_id: str | None) -> None:
    """After a failed run: if its batch was halted by a contract rule, say why and what to do.

    Args:
        settings: the settings the run used.
        batch_id: the batch that ran, when the caller chose it (default: the latest).
    """
    sessions = open_sessions(settings)
    with sessions() as session:
        batch_id = batch_id or store.latest_batch_id(session)
        if batch_id is None:
            return
        try:
            summary = store.get_batch(session, batch_id)["summary"]
        except KeyError:
            return
    halted = summary.get("halted")
    if not halted:
        return
    typer.secho(str(halted), fg="red", err=True)
    line = report_paths_line(settings.var_dir, batch_id)
    if line:
        typer.echo(line, err=True)
    typer.echo(
        f"Once the data is checked: badgeflow run --batch-id {batch_id} "
        "--accept-contract-breach (proceeds despite the breach; logged).",
        err=True,
    )
