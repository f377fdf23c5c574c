"""``badgeflow reissue``: re-issue credentials as new ones and revoke the old ones.

Each selected credential gets a successor (new id, fresh status slot, same ``awardedDate``,
``validFrom`` = now, signed by the current key); the old one is revoked with the reason
``superseded by urn:uuid:<new id>``, the learner is emailed (kind ``reissue``) and the site is
published. Re-running is safe: credentials that already have a successor are skipped.
"""

from __future__ import annotations

import csv
import getpass
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from badgeflow.cli._common import load_settings
from badgeflow.errors import BadgeflowError

__all__ = ["reissue"]


def _read_ids(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if "credential_id" not in (reader.fieldnames or []):
            raise ValueError("missing column credential_id")
        return [row["credential_id"].strip() for row in reader if row["credential_id"]]


def reissue(
    credential_ids: Annotated[
        list[str] | None, typer.Argument(help="Credential ids (uuid or urn:uuid:...).")
    ] = None,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="CSV with a credential_id column.")
    ] = None,
    all_without_status: Annotated[
        bool,
        typer.Option(
            "--all-without-status",
            help="Every active credential without a status list entry (issued before status "
            "lists were configured).",
        ),
    ] = False,
    achievement: Annotated[
        str | None, typer.Option(help="Only credentials of this achievement (slug).")
    ] = None,
    actor: Annotated[
        str | None, typer.Option(help="Who is asking (audit trail); default: the login name.")
    ] = None,
    no_publish: Annotated[
        bool, typer.Option("--no-publish", help="Do not publish the site and status lists now.")
    ] = False,
) -> None:
    """Re-issue credentials (IDs, --csv, --all-without-status and/or --achievement).

    Exit status: 0 all done (or already done), 1 some refused, 2 bad input.
    """
    from badgeflow.pipeline import publish_site, send_emails
    from badgeflow.pipeline.reissue import reissue_credentials, select_for_reissue
    from badgeflow.pipeline.runtime import Runtime

    ids = list(credential_ids or [])
    if csv_file is not None:
        try:
            ids += _read_ids(csv_file)
        except (OSError, ValueError, csv.Error) as exc:
            typer.secho(f"cannot read {csv_file}: {exc}", fg="red", err=True)
            raise typer.Exit(2) from exc
    if not ids and not all_without_status and achievement is None:
        typer.secho(
            "give credential IDs, --csv, --all-without-status or --achievement", fg="red", err=True
        )
        raise typer.Exit(2)
    runtime = Runtime(load_settings())
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        selected = select_for_reissue(
            runtime,
            credential_ids=ids or None,
            achievement_id=achievement,
            without_status=all_without_status,
        )
        results = reissue_credentials(
            runtime,
            selected,
            reissued_at=now,
            actor=actor or getpass.getuser(),
            batch_id=str(uuid.uuid4()),
        )
        done = [r for r in results if r.problem is None and not r.already]
        for result in results:
            if result.problem is not None:
                typer.secho(f"{result.old_id}: not re-issued, {result.problem}", fg="red")
            elif result.already:
                typer.echo(f"{result.old_id}: already re-issued as {result.new_id}")
            else:
                typer.echo(f"{result.old_id}: re-issued as {result.new_id} (old one revoked)")
        refused = sum(r.problem is not None for r in results)
        already = len(results) - len(done) - refused
        typer.echo(f"{len(done)} re-issued, {already} already re-issued, {refused} refused")
        if done and not no_publish:
            report = publish_site(runtime, generated_at=now)
            typer.echo(f"site and status lists published to {report.output_dir}")
        outbox = [r.outbox_id for r in done if r.outbox_id is not None]
        if outbox and not no_publish:  # links in the email must be live first
            sent = send_emails(runtime, outbox, now=now)
            typer.echo(f"emails: {sent.sent} sent, {sent.failed} failed (failed ones stay queued)")
        elif outbox:
            typer.echo("emails queued; the next nightly run sends them once the site is live")
    except BadgeflowError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from exc
    finally:
        if "engine" in runtime.__dict__:
            runtime.engine.dispose()
    raise typer.Exit(1 if refused else 0)
