"""Stage 4: queue one award email per new credential and send the queue in chunks.

The queue also holds ``revoked`` emails (queued by ``badgeflow revoke --notify``) and
``reissue`` emails (queued by ``badgeflow reissue``); each email is rendered by its kind.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from badgeflow import store
from badgeflow.errors import DeliveryError
from badgeflow.pipeline.email_render import render_outbox_email
from badgeflow.pipeline.runtime import Runtime

__all__ = ["SendResult", "enqueue_emails", "pending_email_ids", "send_emails"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    """Outcome of one chunk of sends."""

    sent: int
    failed: int


def enqueue_emails(runtime: Runtime) -> int:
    """Queue an award email for every credential that has none; return how many were queued."""
    with runtime.sessions.begin() as session:
        return store.enqueue_award_emails(session)


def pending_email_ids(runtime: Runtime) -> list[int]:
    """Return the ids of queued emails still to send (including earlier failures)."""
    with runtime.sessions() as session:
        return [item.outbox_id for item in store.pending_emails(session, limit=None)]


def send_emails(runtime: Runtime, outbox_ids: list[int], *, now: datetime) -> SendResult:
    """Render and send a chunk of queued emails, recording each outcome as it happens.

    Each send is committed on its own, so a crash re-sends at most the one message that was in
    flight (with the same Message-ID; the file transport overwrites it).

    Args:
        runtime: resources built from settings.
        outbox_ids: the chunk to send.
        now: the batch clock, recorded as the send time.

    Returns:
        Counts of sent and failed messages. Transient failures stay queued for the next run.
    """
    sent = failed = 0
    with runtime.sessions() as session:
        items = store.emails_to_send(session, outbox_ids)
    for item in items:
        message = render_outbox_email(runtime, item)
        try:
            message_id = runtime.mailer.send(message)
        except DeliveryError as exc:
            failed += 1
            logger.warning(
                "email %s for credential %s failed: %s", item.outbox_id, item.credential_id, exc
            )
            with runtime.sessions.begin() as session:
                store.mark_failed(session, item.outbox_id, error=str(exc))
            continue
        sent += 1
        with runtime.sessions.begin() as session:
            store.mark_sent(session, item.outbox_id, message_id=message_id, sent_at=now)
    logger.info("emails: %d sent, %d failed (chunk of %d)", sent, failed, len(outbox_ids))
    return SendResult(sent=sent, failed=failed)
