"""Stage 4: queue one award email per new credential and send the queue in chunks.

The queue also holds ``revoked`` emails (queued by ``badgeflow revoke --notify``) and
``reissue`` emails (queued by ``badgeflow reissue``); each email is rendered by its kind.

Each email is *claimed* before it leaves: its row is set to ``sending`` with the message's
``Message-ID`` (derived from the credential) in a committed transaction, and its outcome is
committed after the send. Both happen a *wave* at a time (`WAVE_PER_CONNECTION` emails per
SMTP connection; ``mail.smtp_connections`` connections send a chunk in parallel). A crash
in between leaves rows ``sending``; once their lease (``mail.send_lease_minutes``) has run
out, a later run sends them again with the same Message-ID, so the worst case is a
duplicate the recipient's server and client can recognise, never a silent one. A crash the
process survives records what it knows first, leaving only the messages in flight
``sending``; a killed process leaves at most a wave per connection. See
`badgeflow.pipeline._waves` and `badgeflow.store.delivery` for the states. With
``mail.send_processes`` above 1, worker processes send the parts of each chunk, each with
this same loop (`badgeflow.pipeline._send_procs`).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, fields
from datetime import datetime

from badgeflow import store
from badgeflow.errors import DeliveryError, MailServerUnreachable
from badgeflow.notify.mailer import MailSession
from badgeflow.pipeline._send_procs import process_shares, send_from_processes
from badgeflow.pipeline._waves import WAVE_PER_CONNECTION, Tally, retry_time, send_wave
from badgeflow.pipeline.runtime import Runtime
from badgeflow.settings import MailSettings
from badgeflow.store import OutboxItem
from badgeflow.store.outbox import pending_email_ids as pending_ids

__all__ = [
    "WAVE_PER_CONNECTION",
    "SendResult",
    "enqueue_emails",
    "pending_email_ids",
    "pilot_allows",
    "retry_time",
    "send_emails",
    "send_part",
]

logger = logging.getLogger(__name__)


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
        return pending_ids(session, max_attempts=max_attempts, now=now)


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


def send_emails(runtime: Runtime, outbox_ids: list[int], *, now: datetime) -> SendResult:
    """Render and send a chunk of queued emails over ``mail.smtp_connections`` connections.

    Emails the pilot settings hold back become ``held``. The others are claimed and sent a
    wave at a time, spread over the connections (threads; ``mail.smtp_max_per_minute``
    holds for all of them together). A server that takes fewer connections is used with
    as many as it takes. A 4xx answer or a lost connection
    fails the email for now (retried after a backoff, up to ``mail.max_attempts``); a 5xx
    answer fails it for good. When the server cannot be reached at all, the chunk stops and
    the rest stay queued. With ``mail.send_processes`` above 1 (and a chunk worth it), the
    chunk is cut into parts that worker processes send, each over its share of the
    connections (`badgeflow.pipeline._send_procs`); the counts are those of the parts added.

    Args:
        runtime: resources built from settings.
        outbox_ids: the chunk to send.
        now: the batch clock, recorded as the send time and used for retries and leases.

    Returns:
        What happened to the chunk.

    Raises:
        DeliveryError: the transport cannot be used at all (TLS or login refused, unwritable
            outbox); nothing of the chunk was attempted. An unreachable server is not
            raised: the chunk is counted ``deferred`` and stays queued. Also raised when a
            send worker process died.
    """
    shares = process_shares(runtime.settings, len(outbox_ids))
    if shares:
        parts = send_from_processes(runtime.settings, outbox_ids, shares, now=now)
        result = SendResult(
            **{f.name: sum(getattr(p, f.name) for p in parts) for f in fields(SendResult)}
        )
    else:
        result = send_part(runtime, outbox_ids, now=now)
    logger.info(
        "emails: %d sent, %d failed (%d for good), %d held (chunk of %d)",
        result.sent,
        result.failed,
        result.permanent,
        result.held,
        len(outbox_ids),
    )
    return result


def send_part(runtime: Runtime, outbox_ids: list[int], *, now: datetime) -> SendResult:
    """Send a chunk (or a worker's part of one) in this process, as `send_emails` describes.

    Args:
        runtime: resources built from settings.
        outbox_ids: the emails to send.
        now: the batch clock.

    Returns:
        What happened to them.

    Raises:
        DeliveryError: the transport cannot be used at all (see `send_emails`).
    """
    mail = runtime.settings.mail
    with runtime.sessions() as session:
        items = store.emails_to_send(session, outbox_ids, max_attempts=mail.max_attempts, now=now)
    ready = [item for item in items if pilot_allows(mail, item)]
    held = [item for item in items if not pilot_allows(mail, item)]
    if held:
        with runtime.sessions.begin() as session:
            for item in held:
                store.hold_email(session, item.outbox_id)
    tally = Tally()
    if ready:
        with ExitStack() as stack:
            channels = _open_channels(runtime, stack, min(mail.smtp_connections, len(ready)))
            if not channels:
                tally.deferred = len(ready)
            else:
                pool = (
                    stack.enter_context(ThreadPoolExecutor(len(channels), "smtp"))
                    if len(channels) > 1
                    else None
                )
                size = WAVE_PER_CONNECTION * len(channels)
                for start in range(0, len(ready), size):
                    if tally.stopped:
                        tally.deferred += len(ready) - start
                        break
                    wave = ready[start : start + size]
                    send_wave(runtime, channels, wave, now=now, tally=tally, pool=pool)
                if tally.stopped:
                    logger.warning("mail server unreachable; %d emails left queued", tally.deferred)
    if tally.general:
        logger.info("%d emails written by the email package (not the bytes writer)", tally.general)
    return SendResult(
        sent=tally.sent,
        failed=tally.failed,
        permanent=tally.permanent,
        held=len(held),
        resent=tally.resent,
        deferred=tally.deferred,
    )


def _open_channels(runtime: Runtime, stack: ExitStack, wanted: int) -> list[MailSession]:
    """Open up to ``wanted`` mail sessions; fewer when the server takes no more connections.

    Raises:
        DeliveryError: the first connection cannot be used at all (TLS, login).
    """
    channels: list[MailSession] = []
    for _ in range(wanted):
        channel = stack.enter_context(runtime.mailer.session())
        try:
            channel.open()
        except MailServerUnreachable as exc:
            if not channels:
                logger.warning("%s; emails left queued", exc)
            else:
                logger.info("using %d SMTP connections: %s", len(channels), exc)
            break
        except DeliveryError:
            if not channels:
                raise
            logger.info("using %d SMTP connections: another one failed", len(channels))
            break
        channels.append(channel)
    return channels
