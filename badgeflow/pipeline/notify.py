"""Stage 4: queue one award email per new credential and send the queue in chunks.

The queue also holds ``revoked`` emails (queued by ``badgeflow revoke --notify``) and
``reissue`` emails (queued by ``badgeflow reissue``); each email is rendered by its kind.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

from badgeflow import store
from badgeflow.errors import DeliveryError
from badgeflow.notify.render import (
    award_links,
    render_award_email,
    render_reissued_email,
    render_revoked_email,
)
from badgeflow.pipeline.runtime import Runtime
from badgeflow.site import layout
from badgeflow.store import OutboxItem
from badgeflow.store.outbox import REVOKED_KIND
from badgeflow.store.reissue import REISSUE_KIND

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
        if item.kind == REVOKED_KIND:
            message = _render_revoked(runtime, item)
        else:
            message = _render_award(runtime, item, reissued=item.kind == REISSUE_KIND)
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


def _render_award(runtime: Runtime, item: OutboxItem, *, reissued: bool) -> EmailMessage:
    base = runtime.settings.site.base_url
    achievement = runtime.catalog.achievement_info(item.achievement_id, site_base_url=base)
    links = award_links(
        base,
        item.credential_id,
        achievement=achievement,
        issuer=runtime.issuer,
        issued=item.awarded_at.date(),
        expires=item.valid_until.date() if item.valid_until else None,
    )
    baked_png = Path(item.baked_path).read_bytes() if item.baked_path else None
    domain = urlsplit(base).hostname or "localhost"
    if reissued:
        return render_reissued_email(
            to_address=item.to_address,
            learner_name=item.learner_name,
            achievement=achievement,
            issuer=runtime.issuer,
            links=links,
            awarded=item.awarded_at.date(),
            from_address=runtime.settings.mail.from_address,
            baked_png=baked_png,
            message_id_domain=domain,
        )
    return render_award_email(
        to_address=item.to_address,
        learner_name=item.learner_name,
        achievement=achievement,
        issuer=runtime.issuer,
        links=links,
        from_address=runtime.settings.mail.from_address,
        baked_png=baked_png,
        message_id_domain=domain,
    )


def _render_revoked(runtime: Runtime, item: OutboxItem) -> EmailMessage:
    base = runtime.settings.site.base_url
    with runtime.sessions() as session:
        events = store.status_events(session, item.credential_id)
    reasons = [event.reason for event in events if event.action == "revoke"]
    return render_revoked_email(
        to_address=item.to_address,
        learner_name=item.learner_name,
        achievement=runtime.catalog.achievement_info(item.achievement_id, site_base_url=base),
        issuer=runtime.issuer,
        credential_page=layout.join_url(base, layout.credential_page(item.credential_id)),
        awarded=item.awarded_at.date(),
        reason=reasons[-1] if reasons else "not given",
        from_address=runtime.settings.mail.from_address,
        message_id_domain=urlsplit(base).hostname or "localhost",
    )
