"""Stage 4: queue one award email per new credential and send the queue in chunks.

The queue also holds ``revoked`` emails (queued by ``badgeflow revoke --notify``) and
``reissue`` emails (queued by ``badgeflow reissue``); each email is rendered by its kind.

Each email is *claimed* before it leaves: its row is set to ``sending`` with the message's
``Message-ID`` (derived from the credential) in a committed transaction of its own, and the
outcome is committed right after the send. A crash in between leaves the row ``sending``;
once its lease (``mail.send_lease_minutes``) has run out, a later run sends it again with
the same Message-ID, so the worst case is a duplicate the recipient's server and client can
recognise, never a silent one. See `badgeflow.store.delivery` for the states.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from badgeflow import store
from badgeflow.errors import DeliveryError, MailServerUnreachable, is_transient
from badgeflow.pipeline.email_render import render_outbox_email
from badgeflow.pipeline.runtime import Runtime
from badgeflow.settings import MailSettings
from badgeflow.store import OutboxItem

__all__ = [
    "SendResult",
    "enqueue_emails",
    "pending_email_ids",
    "pilot_allows",
    "retry_time",
    "send_emails",
]

logger = logging.getLogger(__name__)

_MAX_BACKOFF = timedelta(days=1)
_RESENT = "resent after an interrupted send: the recipient may hold two copies with this Message-ID"


@dataclass(frozen=True)
class SendResult:
    """Outcome of one chunk of sends."""

    sent: int
    failed: int
    """Failed this time, transient or permanent (``permanent`` of them will not be retried)."""
    permanent: int = 0
    held: int = 0
    """Held back by the pilot settings."""
    resent: int = 0
    """Rows a crashed run left ``sending``, sent again with the same Message-ID."""
    deferred: int = 0
    """Not tried because the mail server could not be reached; still queued."""


def enqueue_emails(runtime: Runtime) -> int:
    """Queue an award email for every credential that has none; return how many were queued."""
    with runtime.sessions.begin() as session:
        return store.enqueue_award_emails(session)


def pending_email_ids(runtime: Runtime, *, now: datetime | None = None) -> list[int]:
    """Return the ids of queued emails still to send (including earlier failures).

    Args:
        runtime: resources built from settings.
        now: leave out failed emails not due for a retry yet; None keeps them.

    Returns:
        Outbox ids, oldest first.
    """
    max_attempts = runtime.settings.mail.max_attempts
    with runtime.sessions() as session:
        items = store.pending_emails(session, limit=None, max_attempts=max_attempts, now=now)
    return [item.outbox_id for item in items]


def pilot_allows(mail: MailSettings, item: OutboxItem) -> bool:
    """Tell whether the pilot settings let this email out (always, outside pilot mode).

    With both lists set, an email must match both: the recipient and the achievement.

    Args:
        mail: the mail settings.
        item: the queued email.

    Returns:
        True to send it now, False to hold it.
    """
    if mail.pilot_recipients:
        allowed = {address.strip().lower() for address in mail.pilot_recipients}
        if item.to_address.strip().lower() not in allowed:
            return False
    return not mail.pilot_achievements or item.achievement_id in mail.pilot_achievements


def retry_time(mail: MailSettings, attempts: int, now: datetime) -> datetime:
    """When to try again after the ``attempts``-th failure: exponential backoff, capped.

    Args:
        mail: the mail settings (``retry_backoff_minutes``).
        attempts: failures so far, this one included (1 or more).
        now: the batch clock.

    Returns:
        ``now + backoff * 2**(attempts - 1)``, at most a day later.
    """
    backoff = timedelta(minutes=mail.retry_backoff_minutes) * (1 << min(max(0, attempts - 1), 16))
    return now + min(backoff, _MAX_BACKOFF)


def send_emails(runtime: Runtime, outbox_ids: list[int], *, now: datetime) -> SendResult:
    """Render and send a chunk of queued emails over one mail session.

    Emails the pilot settings hold back become ``held``. A 4xx answer or a lost connection
    fails the email for now (retried after a backoff, up to ``mail.max_attempts``); a 5xx
    answer fails it for good. When the server cannot be reached at all, the chunk stops and
    the rest stay queued.

    Args:
        runtime: resources built from settings.
        outbox_ids: the chunk to send.
        now: the batch clock, recorded as the send time and used for retries and leases.

    Returns:
        What happened to the chunk.

    Raises:
        DeliveryError: the transport cannot be used at all (TLS or login refused, unwritable
            outbox); nothing of the chunk was attempted. An unreachable server is not
            raised: the chunk is counted ``deferred`` and stays queued.
    """
    mail = runtime.settings.mail
    with runtime.sessions() as session:
        items = store.emails_to_send(session, outbox_ids, max_attempts=mail.max_attempts, now=now)
    counts = dict.fromkeys(("sent", "failed", "permanent", "held", "resent", "deferred"), 0)
    if not items:
        return SendResult(**counts)
    with runtime.mailer.session() as channel:
        opened = False
        for index, item in enumerate(items):
            if not pilot_allows(mail, item):
                with runtime.sessions.begin() as session:
                    store.hold_email(session, item.outbox_id)
                counts["held"] += 1
                continue
            message = render_outbox_email(runtime, item)
            if not opened:
                try:
                    channel.open()
                except MailServerUnreachable as exc:
                    counts["deferred"] = len(items) - index
                    logger.warning("%s; %d emails left queued", exc, counts["deferred"])
                    break
                opened = True
            with runtime.sessions.begin() as session:
                claim = store.claim_email(
                    session,
                    item.outbox_id,
                    message_id=str(message["Message-ID"]),
                    now=now,
                    lease=timedelta(minutes=mail.send_lease_minutes),
                    max_attempts=mail.max_attempts,
                )
            if claim is None:
                continue  # another sender took it, or it was sent meanwhile
            if claim.resend:
                counts["resent"] += 1
                logger.warning(
                    "email %s (credential %s) was interrupted mid-send earlier; resending it "
                    "with the same Message-ID %s",
                    item.outbox_id,
                    item.credential_id,
                    message["Message-ID"],
                )
            try:
                message_id = channel.send(message)
            except DeliveryError as exc:
                counts["failed"] += 1
                counts["permanent"] += _record_failure(runtime, item, exc, now=now)
                if isinstance(exc, MailServerUnreachable):
                    counts["deferred"] = len(items) - index - 1
                    logger.warning(
                        "mail server unreachable; %d emails left queued", counts["deferred"]
                    )
                    break
                continue
            counts["sent"] += 1
            with runtime.sessions.begin() as session:
                store.mark_sent(
                    session,
                    item.outbox_id,
                    message_id=message_id,
                    sent_at=now,
                    subject=str(message["Subject"] or "") or None,
                    note=_RESENT if claim.resend else None,
                )
    logger.info(
        "emails: %d sent, %d failed (%d for good), %d held (chunk of %d)",
        counts["sent"],
        counts["failed"],
        counts["permanent"],
        counts["held"],
        len(outbox_ids),
    )
    return SendResult(**counts)


def _record_failure(
    runtime: Runtime, item: OutboxItem, exc: DeliveryError, *, now: datetime
) -> int:
    mail = runtime.settings.mail
    attempts = item.attempts + 1
    permanent = not is_transient(exc) or attempts >= mail.max_attempts
    logger.warning(
        "email %s for credential %s failed (%s): %s",
        item.outbox_id,
        item.credential_id,
        "for good" if permanent else "will retry",
        exc,
    )
    with runtime.sessions.begin() as session:
        store.mark_failed(
            session,
            item.outbox_id,
            error=str(exc),
            code=str(exc.code) if exc.code is not None else None,
            permanent=permanent,
            retry_at=None if permanent else retry_time(mail, attempts, now),
        )
    return int(permanent)
