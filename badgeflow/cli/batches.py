"""`badgeflow batches` and `badgeflow quarantine`: what nightly runs did and what they refused."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated

import typer

from badgeflow import store
from badgeflow.cli._common import load_settings, open_sessions
from badgeflow.cli.report import report_paths_line

__all__ = ["batches", "quarantine"]


def batches(
    limit: Annotated[int, typer.Option(help="How many recent batches.", min=1)] = 10,
) -> None:
    """List recent batches: status, rows read, quarantined, awards, credentials, emails, sources."""
    settings = load_settings()
    sessions = open_sessions(settings)
    with sessions() as session:
        rows = store.list_batches(session, limit=limit)
    if not rows:
        typer.echo("no batches yet: run `badgeflow run` (or `make demo`)")
        return
    typer.echo(f"{'batch':36}  {'started (UTC)':19}  {'status':9}  read  quar  award  cred  mail")
    for b in rows:
        s = b["summary"]
        typer.echo(
            f"{b['id']:36}  {b['started_at']:%Y-%m-%d %H:%M:%S}  "
            f"{'halted' if s.get('halted') else b['status']:9}  "
            f"{s.get('rows_read', '-'):>4}  {s.get('rows_quarantined', '-'):>4}  "
            f"{s.get('new_awards', '-'):>5}  {s.get('credentials_issued', '-'):>4}  "
            f"{s.get('emails_sent', '-'):>4}"
            + (f"  failed: {', '.join(b['failed_stages'])}" if b["failed_stages"] else "")
            + _ran_with(b["parameters"])
        )
    line = report_paths_line(settings.var_dir, rows[0]["id"])
    if line:
        typer.echo(line)


_FLAGS = {
    "full_resync": "full resync",
    "accept_contract_breach": "contract breach accepted",
    "full_site_rebuild": "full site rebuild",
}


def _ran_with(parameters: dict[str, object]) -> str:
    """What the batch's first run recorded: its sources and any admin override."""
    if not parameters:
        return ""  # a batch from before the ledger recorded parameters
    sources = parameters.get("sources")
    shown = ", ".join(str(s) for s in sources) if isinstance(sources, list) else "?"
    flags = [label for key, label in _FLAGS.items() if parameters.get(key)]
    return f"  sources: {shown or 'none'}" + "".join(f"; {flag}" for flag in flags)


def quarantine(
    batch: Annotated[str | None, typer.Option(help="Batch id (default: the latest).")] = None,
    csv_out: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="Write the rows (reason, first failure, original fields) to this CSV.",
        ),
    ] = None,
) -> None:
    """Show the input rows a batch quarantined, with the reasons, to fix them at the source."""
    settings = load_settings()
    sessions = open_sessions(settings)
    with sessions() as session:
        batch_id = batch or store.latest_batch_id(session)
        if batch_id is None:
            typer.echo("no batches yet")
            return
        records = store.list_quarantine(session, batch_id=batch_id)
    if csv_out is not None:
        _write_csv(csv_out, records)
        typer.echo(f"{len(records)} quarantined rows of batch {batch_id} written to {csv_out}")
        return
    typer.echo(f"batch {batch_id}: {len(records)} quarantined rows")
    for r in records:
        typer.echo(f"  {r.source} row {r.row_number} ({r.record_key}): {r.reason}")
        if r.expectation:
            shown = "empty" if r.value is None else repr(r.value)
            typer.echo(f"    first failure: {r.expectation} on {r.column_name}, value {shown}")
    line = report_paths_line(settings.var_dir, batch_id)
    if line:
        typer.echo(line)


def _write_csv(path: Path, records: list[store.QuarantineRecord]) -> None:
    fields: dict[str, None] = {}
    for r in records:
        fields.update(dict.fromkeys(str(k) for k in (r.raw or {})))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "source",
                "row_number",
                "record_key",
                "reason",
                "expectation",
                "column_name",
                "value",
                *fields,
            ]
        )
        for r in records:
            raw = r.raw or {}
            writer.writerow(
                [r.source, r.row_number, r.record_key, r.reason]
                + [r.expectation or "", r.column_name or "", _cell(r.value)]
                + [_cell(raw.get(f)) for f in fields]
            )


def _cell(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
