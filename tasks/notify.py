"""Queue and send award emails, a chunk per task run."""

from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from badgeflow.pipeline import SendResult, enqueue_emails, pending_email_ids, send_emails
from tasks._settings import get_runtime


@task(name="queue-emails", cache_policy=NO_CACHE)
def queue_emails() -> list[int]:
    """Queue an email per new credential; return every queued id still to send."""
    runtime = get_runtime()
    enqueue_emails(runtime)
    return pending_email_ids(runtime)


@task(name="send-emails", task_run_name="send-{first_id}+{count}", cache_policy=NO_CACHE)
def send_chunk(outbox_ids: list[int], now: datetime, first_id: int, count: int) -> SendResult:
    """Render and send one chunk of queued emails."""
    return send_emails(get_runtime(), outbox_ids, now=now)
