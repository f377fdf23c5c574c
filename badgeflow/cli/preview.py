"""`badgeflow run --dry-run`: what a batch would issue, renew, change and quarantine."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer
from sqlalchemy.engine import make_url

from badgeflow.errors import BadgeflowError
from badgeflow.pipeline.preview import Preview, preview_run
from badgeflow.pipeline.runtime import Runtime
from badgeflow.settings import Settings

__all__ = ["dry_run", "preview_lines"]


def dry_run(
    settings: Settings,
    *,
    as_of: datetime | None,
    sources: list[str],
    full_resync: bool,
    as_json: bool,
) -> None:
    """Run the preview and print it; exit 2 when it cannot run (nothing is ever written).

    Args:
        settings: the loaded settings.
        as_of: the batch clock (default now).
        sources: only these sources (default all).
        full_resync: ignore the stored watermarks.
        as_json: print JSON instead of a table.
    """
    url = make_url(settings.database.url)
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database and not Path(database).is_file():
        # Connecting would create the file: a dry run creates nothing.
        typer.secho(f"no database at {database}: run `badgeflow init` first", fg="red", err=True)
        raise typer.Exit(2)
    clock = as_of or datetime.now(UTC)
    clock = clock.replace(tzinfo=UTC) if clock.tzinfo is None else clock
    runtime = Runtime(settings)
    try:
        preview = preview_run(runtime, as_of=clock, sources=sources, full_resync=full_resync)
    except BadgeflowError as exc:
        typer.secho(f"dry run failed: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    finally:
        if "engine" in runtime.__dict__:
            runtime.engine.dispose()
    if as_json:
        typer.echo(json.dumps(preview.as_dict(), indent=2))
    else:
        for line in preview_lines(preview):
            typer.echo(line)


def preview_lines(preview: Preview) -> list[str]:
    """A dry run as a table and totals, for the terminal.

    Args:
        preview: from `badgeflow.pipeline.preview.preview_run`.

    Returns:
        The lines.
    """
    out = [f"dry run as of {preview.as_of}: nothing was written", ""]
    out.append(f"{'source':24} {'kind':10} {'read':>6} {'accepted':>8} {'quarantined':>11}")
    for s in preview.sources:
        if s.skipped:
            out.append(f"{s.source:24} {s.kind:10} skipped: {s.skipped}")
            continue
        out.append(
            f"{s.source:24} {s.kind:10} {s.rows_read:>6} {s.accepted:>8} {s.quarantined:>11}"
        )
        out += [f"    - {reason}: {n}" for reason, n in s.quarantine_reasons.items()]
        if s.halt:
            out.append(f"    WOULD HALT: {s.halt}")
    out.append("")
    if preview.awards:
        out.append(f"{'action':7} {'achievement':30} {'learner':34} {'valid from':10}  until")
        for a in preview.awards:
            until = a.valid_until[:10] if a.valid_until else "-"
            who = f"{a.achievement_id:30} {a.learner_email:34}"
            out.append(f"{a.action:7} {who} {a.valid_from[:10]}  {until}")
    for c in preview.changes:
        out.append(f"{c.status:7} {c.achievement_id:30} {c.learner_email:34} {c.reason}")
    if not preview.awards and not preview.changes:
        out.append("no awards would be issued, renewed, revoked or suspended")
    totals = preview.totals()
    out += [
        "",
        f"would issue {totals['issue']}, renew {totals['renew']}, change status of "
        f"{totals['status_changes']}; {totals['rows_read']} rows read, "
        f"{totals['rows_quarantined']} quarantined, {totals['learners_evaluated']} learners",
    ]
    return out
