"""`badgeflow outbox` and `badgeflow bounces`: what happened to the emails, and bounce reports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from badgeflow import store
from badgeflow.cli._common import load_settings, open_sessions
from badgeflow.errors import BadgeflowError

__all__ = ["bounces", "outbox"]


def outbox(
    limit: Annotated[int, typer.Option(help="How many problem rows to list.", min=1)] = 20,
    retry: Annotated[
        int | None,
        typer.Option(
            "--retry",
            help="Reset this failed or bounced email to pending (e.g. after fixing the address).",
        ),
    ] = None,
    state: Annotated[
        list[str] | None,
        typer.Option(help="List rows in this state instead (repeatable), e.g. held."),
    ] = None,
) -> None:
    """Count emails by state and list failed, bounced and interrupted ones (no addresses)."""
    settings = load_settings()
    sessions = open_sessions(settings)
    if retry is not None:
        with sessions.begin() as session:
            reset = store.retry_email(session, retry)
        if not reset:
            typer.secho(f"email {retry} is not failed or bounced; nothing to do", err=True)
            raise typer.Exit(1)
        typer.echo(f"email {retry} is pending again: the next run sends it")
        return
    with sessions() as session:
        counts = store.outbox_counts(session)
        problems = store.outbox_problems(
            session, limit=limit, states=state or ("failed", "bounced", "sending")
        )
    typer.echo("  ".join(f"{state} {n}" for state, n in counts.items()))
    if settings.mail.pilot:
        typer.echo("pilot mode is on: emails outside mail.pilot_* stay held")
    if not problems:
        return
    typer.echo(
        f"\n{'id':>6}  {'state':8}  {'tries':>5}  {'code':6}  {'kind':8}  credential / error"
    )
    for p in problems:
        shown = "failed!" if p.status == "failed" and p.permanent else p.status
        retry_at = f" (retry after {p.next_attempt_at:%Y-%m-%d %H:%M})" if p.next_attempt_at else ""
        typer.echo(
            f"{p.outbox_id:>6}  {shown:8}  {p.attempts:>5}  {p.code or '-':6}  {p.kind:8}  "
            f"{p.credential_id}{retry_at if p.status == 'failed' else ''}"
        )
        if p.error:
            typer.echo(f"{'':>40}{p.error[:160]}")
    typer.echo("\nfailed! = will not be retried; `badgeflow outbox --retry ID` resets one")


def bounces(
    mailbox: Annotated[
        Path | None,
        typer.Option(
            help="Maildir or folder of .eml bounce reports (default mail.bounce_mailbox)."
        ),
    ] = None,
) -> None:
    """Read bounce reports and mark the emails they are about (hard bounces: bounced)."""
    from badgeflow.pipeline import apply_bounces, runtime_for

    settings = load_settings()
    open_sessions(settings)  # exits with advice when the database is not set up
    try:
        report = apply_bounces(
            runtime_for(settings), now=datetime.now(UTC).replace(microsecond=0), mailbox=mailbox
        )
    except BadgeflowError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from exc
    typer.echo(
        f"bounce reports {report.reports}: {report.hard} bounced, {report.soft} delayed "
        f"(still sent), {report.unmatched} about no email of ours, "
        f"{report.unchanged} already recorded"
    )
