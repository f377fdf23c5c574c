"""``badgeflow preview``: render a batch's emails to HTML files for review; never send."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from badgeflow.cli._common import load_settings
from badgeflow.errors import BadgeflowError
from badgeflow.settings import Settings

__all__ = ["preview", "write_batch_preview"]


def write_batch_preview(
    settings: Settings, *, batch_id: str | None, limit: int | None, out: Path | None = None
) -> Path:
    """Write the preview and print where; exit 2 when there is nothing to preview.

    Args:
        settings: the settings (database, catalog, site, mail).
        batch_id: the batch, or None for the latest that queued emails.
        limit: at most this many emails.
        out: parent folder instead of ``<var_dir>/preview``.

    Returns:
        The preview's ``index.html``.
    """
    from badgeflow.pipeline.email_preview import write_preview
    from badgeflow.pipeline.runtime import runtime_for

    try:
        result = write_preview(runtime_for(settings), batch_id=batch_id, limit=limit, out_dir=out)
    except BadgeflowError as exc:
        typer.secho(f"cannot preview: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    typer.echo(
        f"email preview   {result.emails} emails of batch {result.batch_id} rendered for review "
        f"(the preview sends nothing): "
        f"{result.index}"
    )
    return result.index


def preview(
    batch: Annotated[
        str | None,
        typer.Option("--batch", help="Batch id (default: the latest batch that queued emails)."),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most N emails.")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Parent folder (default: var/preview).")
    ] = None,
) -> None:
    """Render a batch's emails to var/preview/<batch>/ (HTML, text, index.html); send nothing."""
    write_batch_preview(load_settings(), batch_id=batch, limit=limit, out=out)
