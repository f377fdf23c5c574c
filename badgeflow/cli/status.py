"""``badgeflow revoke | suspend | reinstate`` and ``badgeflow site publish``.

Each change is committed with an audit event (who, when, why), then the site is published
again so the re-signed status lists carry the change (``--no-publish`` leaves that to a later
``badgeflow site publish`` or the next nightly run).
"""

from __future__ import annotations

import csv
import getpass
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from badgeflow.errors import BadgeflowError
from badgeflow.models import JSONDict
from badgeflow.settings import Settings
from badgeflow.status import status_entries
from badgeflow.store import StatusAction

if TYPE_CHECKING:
    from badgeflow.pipeline.runtime import Runtime

__all__ = ["local_status_lists", "register"]

_PURPOSE_NEEDED = {"revoke": "revocation", "suspend": "suspension", "reinstate": "suspension"}

Reason = Annotated[str, typer.Option("--reason", help="Why (kept in the audit trail).")]
Actor = Annotated[
    str | None, typer.Option(help="Who is asking (audit trail); default: the login name.")
]
NoPublish = Annotated[
    bool, typer.Option("--no-publish", help="Do not re-publish the site and status lists now.")
]


def local_status_lists(credential: JSONDict, settings: Settings) -> dict[str, JSONDict]:
    """Load the status lists a credential points to from the local site folder.

    Only lists under ``site.base_url`` can be found; any other list stays missing (and
    `badgeflow.credentials.verify_credential` reports it as an error).
    """
    lists: dict[str, JSONDict] = {}
    base = settings.site.base_url.rstrip("/") + "/"
    for entry in status_entries(credential):
        url = entry.get("statusListCredential") if isinstance(entry, dict) else None
        if not isinstance(url, str) or not url.startswith(base) or ".." in url:
            continue
        path = settings.site.output_dir / url.removeprefix(base)
        if path.is_file():
            lists[url] = json.loads(path.read_text(encoding="utf-8"))
    return lists


def _read_csv(path: Path) -> list[tuple[str, str, str]]:
    """Return (label, credential id, reason) per data row; raise on an unreadable file."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"credential_id", "reason"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"missing column(s) {sorted(missing)}; need credential_id,reason")
        return [
            (f"row {number}", row.get("credential_id") or "", row.get("reason") or "")
            for number, row in enumerate(reader, start=2)
        ]


def _apply(
    action: StatusAction,
    rows: list[tuple[str, str, str]],
    *,
    actor: str | None,
    notify: bool,
    publish: bool,
) -> None:
    from badgeflow.pipeline.runtime import Runtime

    runtime = Runtime(_settings())
    try:
        _apply_with(runtime, action, rows, actor=actor, notify=notify, publish=publish)
    finally:
        if "engine" in runtime.__dict__:  # built lazily; close its pooled connections
            runtime.engine.dispose()


def _apply_with(
    runtime: Runtime,
    action: StatusAction,
    rows: list[tuple[str, str, str]],
    *,
    actor: str | None,
    notify: bool,
    publish: bool,
) -> None:
    from badgeflow.ops import change_credential_statuses
    from badgeflow.pipeline.status import StatusRequest

    now = datetime.now(UTC).replace(microsecond=0)
    requests = [StatusRequest(cid, reason, label) for label, cid, reason in rows]
    try:
        summary = change_credential_statuses(
            runtime,
            action,
            requests,
            actor=actor or getpass.getuser(),
            at=now,
            notify=notify,
            publish=publish,
        )
    except BadgeflowError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    for result in summary.results:
        change, label = result.change, result.request.label
        where = f"{label}: " if label else ""
        if not change.changed:
            typer.secho(f"{where}{change.credential_id}: not changed, {change.problem}", fg="red")
            continue
        typer.echo(f"{where}{change.credential_id}: {change.previous} -> {change.status}")
        if change.credential_id in summary.invisible:
            typer.secho(
                f"  warning: this credential has no {_PURPOSE_NEEDED[action]} status entry; "
                "only its page on the site shows the change, verifiers cannot see it",
                fg="yellow",
            )
    changed, problems = summary.changed, summary.problems
    typer.echo(f"{changed} changed, {problems} not changed")
    if summary.emails_error:
        typer.secho(
            f"emails not sent ({summary.emails_error}); they stay queued", fg="yellow", err=True
        )
    elif summary.emails_queued:
        typer.echo(
            f"emails: {summary.emails_sent} sent, {summary.emails_failed} failed "
            "(failed ones stay queued)"
        )
    if summary.publish_error:
        typer.secho(
            f"site not published ({summary.publish_error}); run `badgeflow site publish`",
            fg="red",
            err=True,
        )
        raise typer.Exit(1)
    if summary.site is not None:
        typer.echo(f"site and status lists published to {summary.site.output_dir}")
    elif changed:
        typer.echo("status lists unchanged until `badgeflow site publish` (or the nightly run)")
    raise typer.Exit(1 if problems else 0)


def _settings() -> Settings:
    try:
        return Settings()
    except (BadgeflowError, ValueError) as exc:
        typer.secho(f"configuration error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc


def revoke(
    credential_id: Annotated[
        str | None, typer.Argument(help="Credential id (uuid or urn:uuid:...).")
    ] = None,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")] = "",
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="CSV with columns credential_id,reason.")
    ] = None,
    notify: Annotated[bool, typer.Option(help="Email the learner that it was revoked.")] = False,
    actor: Actor = None,
    no_publish: NoPublish = False,
) -> None:
    """Revoke one credential (ID --reason) or many (--csv FILE). Revocation is final."""
    if (credential_id is None) == (csv_file is None):
        typer.secho("give either a credential ID or --csv FILE", fg="red", err=True)
        raise typer.Exit(2)
    rows: list[tuple[str, str, str]]
    if csv_file is not None:
        try:
            rows = _read_csv(csv_file)
        except (OSError, ValueError, csv.Error) as exc:
            typer.secho(f"cannot read {csv_file}: {exc}", fg="red", err=True)
            raise typer.Exit(2) from exc
    else:
        rows = [("", credential_id or "", reason)]
    _apply("revoke", rows, actor=actor, notify=notify, publish=not no_publish)


def suspend(
    credential_id: Annotated[str, typer.Argument(help="Credential id.")],
    reason: Reason,
    actor: Actor = None,
    no_publish: NoPublish = False,
) -> None:
    """Suspend a credential until it is reinstated."""
    _apply(
        "suspend", [("", credential_id, reason)], actor=actor, notify=False, publish=not no_publish
    )


def reinstate(
    credential_id: Annotated[str, typer.Argument(help="Credential id.")],
    reason: Reason,
    actor: Actor = None,
    no_publish: NoPublish = False,
) -> None:
    """Lift a suspension (a revoked credential stays revoked)."""
    _apply(
        "reinstate",
        [("", credential_id, reason)],
        actor=actor,
        notify=False,
        publish=not no_publish,
    )


def site_publish(
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Rebuild every file and swap the folder in (default: only what changed)."
        ),
    ] = False,
) -> None:
    """Publish the site from the store, writing only what changed; re-sign changed status lists."""
    from badgeflow.pipeline import publish_site
    from badgeflow.pipeline.runtime import Runtime

    runtime = Runtime(_settings())
    try:
        report = publish_site(
            runtime, generated_at=datetime.now(UTC).replace(microsecond=0), full=full
        )
    except BadgeflowError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from exc
    finally:
        if "engine" in runtime.__dict__:
            runtime.engine.dispose()
    typer.echo(f"published {report.credentials_published} credentials to {report.output_dir}")
    typer.echo(
        f"files: {report.files_changed} written, {report.files_unchanged} unchanged, "
        f"{report.files_deleted} deleted" + (" (full rebuild)" if full else "")
    )


def register(app: typer.Typer, site_app: typer.Typer) -> None:
    """Add the status commands to the ``badgeflow`` app and its ``site`` group."""
    app.command()(revoke)
    app.command()(suspend)
    app.command()(reinstate)
    site_app.command("publish")(site_publish)
