"""`badgeflow metrics`: the figures in the terminal, exports, and a refresh."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from badgeflow.cli._common import load_settings, open_sessions
from badgeflow.cli.dashboard import dashboard
from badgeflow.errors import BadgeflowError
from badgeflow.metrics.export import export_metrics, to_csv_text
from badgeflow.metrics.read import count_view, read_view
from badgeflow.metrics.views import VIEWS

__all__ = ["format_table", "metrics_app"]

metrics_app = typer.Typer(
    help="Engagement metrics: show them (no command), export them, refresh them.",
    invoke_without_command=True,
)


class Output(StrEnum):
    """How `badgeflow metrics` prints a view."""

    table = "table"
    csv = "csv"
    json = "json"


class ExportFormat(StrEnum):
    """What `badgeflow metrics export` writes."""

    csv = "csv"
    parquet = "parquet"
    both = "both"


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "-"
    if isinstance(value, pd.Timestamp | datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value) if value != "" else "(none)"


def format_table(frame: pd.DataFrame) -> str:
    """Aligned plain-text columns (numbers right-aligned), one header line; '-' for NULL."""
    columns = list(frame.columns)
    cells = [[_text(v) for v in row] for row in frame.itertuples(index=False)]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in columns]

    def line(values: list[str]) -> str:
        parts = [
            v.rjust(w) if right else v.ljust(w)
            for v, w, right in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(columns), *(line(r) for r in cells)])


def _render(frame: pd.DataFrame, output: Output) -> str:
    if output is Output.csv:
        return to_csv_text(frame).rstrip("\n")
    if output is Output.json:
        records = json.loads(frame.to_json(orient="records", date_format="iso", date_unit="s"))
        return json.dumps(records, indent=2)
    return format_table(frame) if len(frame) else "(no rows)"


@metrics_app.callback()
def show(
    ctx: typer.Context,
    view: Annotated[
        str | None,
        typer.Option(help=f"Show one view: {', '.join(v.name for v in VIEWS)}."),
    ] = None,
    output: Annotated[Output, typer.Option("--format", help="table, csv or json.")] = Output.table,
    limit: Annotated[int, typer.Option(help="At most this many rows per table.", min=1)] = 50,
) -> None:
    """Print the overall figures, the by-achievement table and the pathway funnel."""
    if ctx.invoked_subcommand is not None:
        return
    settings = load_settings()
    sessions = open_sessions(settings)
    names = (
        [view] if view else ["metrics_overall", "metrics_by_achievement", "metrics_pathway_funnel"]
    )
    with sessions() as session:
        connection = session.connection()
        try:
            frames = {n: read_view(connection, n, limit=limit) for n in names}
            totals = {n: count_view(connection, n) for n in names}
        except KeyError as exc:
            typer.secho(str(exc.args[0]), fg="red", err=True)
            raise typer.Exit(2) from exc
    if view:
        typer.echo(_render(frames[view], output))
        return
    if output is Output.json:  # one JSON document: {view: rows}
        typer.echo(
            "{"
            + ",\n".join(f"{json.dumps(n)}: {_render(f, output)}" for n, f in frames.items())
            + "}"
        )
        return
    if output is Output.csv:  # one CSV block per view, a blank line between
        typer.echo("\n\n".join(_render(f, output) for f in frames.values()))
        return
    overall = frames["metrics_overall"]
    typer.echo("Overall")
    if len(overall):
        for column, value in overall.iloc[0].items():
            typer.echo(f"  {column:24} {_text(value)}")
    else:
        typer.echo("  (not computed yet: run `badgeflow metrics refresh`)")
    for title, name in (
        ("By achievement", "metrics_by_achievement"),
        ("Pathway funnel", "metrics_pathway_funnel"),
    ):
        frame = frames[name].drop(columns=["computed_at"])
        more = f" (first {len(frame)} of {totals[name]})" if totals[name] > len(frame) else ""
        typer.echo(f"\n{title}{more}")
        typer.echo(_render(frame, Output.table))


@metrics_app.command()
def export(
    out: Annotated[
        Path | None, typer.Option(help="Folder to write to (default <var_dir>/exports).")
    ] = None,
    output: Annotated[
        ExportFormat, typer.Option("--format", help="csv, parquet or both.")
    ] = ExportFormat.both,
) -> None:
    """Write every metrics view as CSV and/or Parquet, one file per view."""
    settings = load_settings()
    sessions = open_sessions(settings)
    formats = ("csv", "parquet") if output is ExportFormat.both else (output.value,)
    folder = out or settings.var_dir / "exports"
    with sessions() as session:
        written = export_metrics(session.connection(), folder, formats=formats)
    typer.echo(f"wrote {len(written)} files to {folder}")


@metrics_app.command()
def refresh(
    full: Annotated[
        bool, typer.Option(help="Recompute every credential, not only the touched ones.")
    ] = False,
) -> None:
    """Read new engagement (access logs, mail events) and bring the metrics tables up to date."""
    from badgeflow.pipeline.engagement import refresh_metrics

    settings = load_settings()
    open_sessions(settings)  # exits with advice when the database is not set up
    try:
        result = refresh_metrics(settings, clock=lambda: datetime.now(UTC), full=full)
    except BadgeflowError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from exc
    for log in result["access_logs"]:
        typer.echo(
            f"access log {log['source']}: {log['lines']} new lines: people {log['people']}, "
            f"bots {log['bots']}, own checks excluded {log['excluded']}, unattributed "
            f"{log['unattributed']}, ignored {log['ignored']}, malformed {log['malformed']}"
            + (" (another poll got there first: nothing saved)" if log["conflict"] else "")
        )
    for source in result["mail_events"]:
        typer.echo(
            f"mail events {source['source']}: {source['stored']} new, "
            f"{source['duplicates']} already stored, {source['unmatched']} unmatched, "
            f"{source['invalid']} invalid, {source['bounces_marked']} bounces marked"
        )
    m = result["metrics"]
    typer.echo(
        f"metrics: {m['credentials_recomputed']} of {m['credentials_total']} credentials "
        f"recomputed{' (full)' if m['full'] else ''}, {m['rollup_rows']} roll-up rows, "
        f"{m['funnel_rows']} funnel tiers"
    )


metrics_app.command("dashboard")(dashboard)
