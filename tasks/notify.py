"""Queue and send award emails, a chunk per task run."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.concurrency._asyncio import ConcurrencySlotAcquisitionError
from prefect.concurrency.sync import concurrency
from prefect.context import FlowRunContext
from prefect.exceptions import ObjectNotFound

from badgeflow.errors import ConfigurationError
from badgeflow.pipeline import (
    BounceReport,
    SendResult,
    apply_bounces,
    enqueue_emails,
    pending_email_ids,
    send_emails,
)
from tasks._settings import get_runtime

SMTP_LIMIT = "badgeflow-smtp"
"""The global concurrency limit on SMTP connections (``make deploy`` creates it)."""

_limit_seen: dict[str, bool] = {}
"""Whether `SMTP_LIMIT` exists, asked once per flow run (keyed by its id)."""


def smtp_limit_defined() -> bool:
    """Tell whether the ``badgeflow-smtp`` limit exists: asked once per flow run.

    Without the limit, taking its slots is a no-op that still writes to Prefect's database
    on every chunk; on the SQLite of Prefect's ephemeral server that write can meet a busy
    database, answer 503 and cost the chunk the client's 2-second retry backoff (measured:
    about one chunk in two at 100,000 completions). So a run without the limit does not ask
    for slots at all, and a limit created during a run applies from the next run.
    """
    context = FlowRunContext.get()
    key = str(context.flow_run.id) if context and context.flow_run else ""
    if key and key in _limit_seen:
        return _limit_seen[key]
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(SMTP_LIMIT)
            defined = True
        except ObjectNotFound:
            defined = False
    if key:
        _limit_seen[key] = defined
    return defined


@task(name="queue-emails", cache_policy=NO_CACHE)
def queue_emails(now: datetime | None = None) -> list[int]:
    """Queue an email per new credential; return every queued id due to send at `now`."""
    runtime = get_runtime()
    enqueue_emails(runtime)
    return pending_email_ids(runtime, now=now)


@task(name="send-emails", task_run_name="send-{first_id}+{count}", cache_policy=NO_CACHE)
def send_chunk(outbox_ids: list[int], now: datetime, first_id: int, count: int) -> SendResult:
    """Render and send one chunk of queued emails.

    Over SMTP the chunk holds ``mail.smtp_connections`` slots of the ``badgeflow-smtp``
    concurrency limit while it sends (``mail.send_processes`` if more: one connection per
    send process at least), so runs together never open more connections than the limit
    allows (no limit defined: no slots are asked for, `smtp_limit_defined`). Not retried by
    Prefect: an unreachable server leaves the rest queued (``deferred``), and a crashed
    chunk's claims expire and are sent by the next run with the same Message-ID.
    """
    runtime = get_runtime()
    mail = runtime.settings.mail
    if mail.transport != "smtp" or not smtp_limit_defined():
        return send_emails(runtime, outbox_ids, now=now)
    # Several send processes open at least one connection each.
    slots = max(mail.smtp_connections, mail.send_processes)
    with ExitStack() as stack:
        try:
            stack.enter_context(concurrency(SMTP_LIMIT, occupy=slots, strict=False))
        except ConcurrencySlotAcquisitionError as exc:  # more slots than the limit has
            raise ConfigurationError(
                f"mail.smtp_connections ({mail.smtp_connections}, or mail.send_processes "
                f"{mail.send_processes} if more) could not be granted by the {SMTP_LIMIT!r} "
                f"concurrency limit ({exc}): lower the setting, or raise the limit "
                f"(`prefect gcl update {SMTP_LIMIT} --limit {slots}`)"
            ) from exc
        return send_emails(runtime, outbox_ids, now=now)


@task(name="read-bounces", cache_policy=NO_CACHE)
def read_bounces(now: datetime) -> BounceReport:
    """Mark the emails the bounce mailbox (``mail.bounce_mailbox``) reports as bounced."""
    return apply_bounces(get_runtime(), now=now)
