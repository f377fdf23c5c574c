"""One wave of the send loop: claim it, render and send it over the open connections, record it.

A *wave* is up to `WAVE_PER_CONNECTION` emails per connection. It is claimed in one
committed transaction, split between the connections (each sends its share in a thread of
its own when there are several), and its outcomes are recorded in one more transaction
once every connection is done with it. Store work stays on the calling thread; the threads
only render and talk SMTP.

Crash semantics (see `badgeflow.store.send_batch`): if sending stops with an exception
(a crash the process survives, or an unreachable server), the outcomes known so far are
recorded, the message in flight on each connection stays ``sending`` (the server may have
taken it), and the claims no message was attempted for are given back. If the process is
killed, the whole wave stays ``sending`` and is resent after the lease with the same
Message-IDs: at most one wave of recognisable duplicates per connection.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Final

from sqlalchemy.orm import Session

from badgeflow import store
from badgeflow.errors import DeliveryError, MailServerUnreachable, is_transient
from badgeflow.notify.mailer import MailSession
from badgeflow.notify.wire import PreparedEmail, prepare
from badgeflow.pipeline.email_render import outbox_email_parts, outbox_message_id
from badgeflow.pipeline.runtime import Runtime
from badgeflow.settings import MailSettings
from badgeflow.store import OutboxItem
from badgeflow.store.send_batch import (
    SentEmail,
    WaveClaim,
    claim_emails,
    mark_emails_sent,
    release_claims,
)

__all__ = ["WAVE_PER_CONNECTION", "Tally", "retry_time", "send_wave"]

logger = logging.getLogger(__name__)

WAVE_PER_CONNECTION: Final = 50
_RESENT = "resent after an interrupted send: the recipient may hold two copies with this Message-ID"
_MAX_BACKOFF = timedelta(days=1)


@dataclass
class Tally:
    """Running counts of a chunk (see `badgeflow.pipeline.SendResult`)."""

    sent: int = 0
    failed: int = 0
    permanent: int = 0
    resent: int = 0
    deferred: int = 0
    stopped: bool = False
    """The mail server became unreachable: send nothing more from this chunk."""
    general: int = 0
    """Emails the bytes writer left to the email package (`badgeflow.notify.wire`)."""


@dataclass
class _Outcomes:
    sent: list[SentEmail] = field(default_factory=list)
    failures: list[tuple[OutboxItem, DeliveryError]] = field(default_factory=list)
    attempted: set[int] = field(default_factory=set)
    stop: threading.Event = field(default_factory=threading.Event)
    general: list[int] = field(default_factory=list)


def send_wave(
    runtime: Runtime,
    channels: Sequence[MailSession],
    wave: Sequence[OutboxItem],
    *,
    now: datetime,
    tally: Tally,
    pool: ThreadPoolExecutor | None,
) -> None:
    """Claim, send and record one wave of emails.

    Args:
        runtime: resources built from settings.
        channels: open mail sessions, one per connection.
        wave: the emails (pilot-allowed, loaded by `badgeflow.store.emails_to_send`).
        now: the batch clock.
        tally: counts to add to; ``stopped`` is set when the server became unreachable.
        pool: threads for the connections (None: send on this thread, one connection).

    Raises:
        DeliveryError: a connection could not be used at all (before its first message).
        BaseException: whatever interrupted sending, after the outcomes were recorded.
    """
    mail = runtime.settings.mail
    message_ids = {item.outbox_id: outbox_message_id(runtime, item) for item in wave}
    with runtime.sessions.begin() as session:
        claims = claim_emails(
            session,
            message_ids,
            now=now,
            lease=timedelta(minutes=mail.send_lease_minutes),
            max_attempts=mail.max_attempts,
        )
    by_id = {claim.claim.outbox_id: claim for claim in claims}
    mine = [item for item in wave if item.outbox_id in by_id]  # the others: taken meanwhile
    outcomes = _Outcomes()
    try:
        if pool is None or len(channels) == 1:
            _send_share(runtime, channels[0], mine, by_id, message_ids, outcomes)
        else:
            shares = [mine[k :: len(channels)] for k in range(len(channels))]
            futures = [
                pool.submit(_send_share, runtime, channel, share, by_id, message_ids, outcomes)
                for channel, share in zip(channels, shares, strict=True)
                if share
            ]
            errors = [f.exception() for f in futures]  # waits for every connection
            for error in errors:
                if error is not None:
                    raise error
    finally:
        _record(runtime, claims, outcomes, now=now, tally=tally)


def _send_share(
    runtime: Runtime,
    channel: MailSession,
    items: Sequence[OutboxItem],
    claims: dict[int, WaveClaim],
    message_ids: dict[int, str],
    outcomes: _Outcomes,
) -> None:
    # A transport that takes prepared bytes (SMTP, files) gets them; others get the message.
    send_prepared: Callable[[PreparedEmail], str] | None = getattr(channel, "send_prepared", None)
    try:
        for item in items:
            if outcomes.stop.is_set():
                return
            parts = outbox_email_parts(runtime, item)
            prepared = prepare(parts) if send_prepared is not None else None
            if prepared is not None and send_prepared is not None:
                message_id, subject = prepared.message_id, prepared.subject
                send = partial(send_prepared, prepared)
            else:
                message = parts.message()
                message_id = str(message["Message-ID"])
                subject = str(message["Subject"] or "")
                send = partial(channel.send, message)
                if send_prepared is not None:
                    outcomes.general.append(item.outbox_id)
            if message_id != message_ids[item.outbox_id]:
                raise RuntimeError(f"email {item.outbox_id} rendered with another Message-ID")
            resend = claims[item.outbox_id].claim.resend
            if resend:
                logger.warning(
                    "email %s (credential %s) was interrupted mid-send earlier; resending it "
                    "with the same Message-ID %s",
                    item.outbox_id,
                    item.credential_id,
                    message_id,
                )
            outcomes.attempted.add(item.outbox_id)
            try:
                sent_id = send()
            except DeliveryError as exc:
                outcomes.failures.append((item, exc))
                if isinstance(exc, MailServerUnreachable):
                    outcomes.stop.set()
                    return
                continue
            outcomes.sent.append(
                SentEmail(item.outbox_id, sent_id, subject or None, _RESENT if resend else None)
            )
    except BaseException:
        outcomes.stop.set()  # the other connections finish their message in flight and stop
        raise


def _record(
    runtime: Runtime,
    claims: Sequence[WaveClaim],
    outcomes: _Outcomes,
    *,
    now: datetime,
    tally: Tally,
) -> None:
    unused = [c for c in claims if c.claim.outbox_id not in outcomes.attempted]
    with runtime.sessions.begin() as session:
        mark_emails_sent(session, outcomes.sent, sent_at=now)
        for item, exc in outcomes.failures:
            tally.permanent += _record_failure(session, item, exc, runtime=runtime, now=now)
        release_claims(session, unused)
    tally.sent += len(outcomes.sent)
    tally.failed += len(outcomes.failures)
    tally.general += len(outcomes.general)
    tally.resent += sum(c.claim.resend for c in claims if c.claim.outbox_id in outcomes.attempted)
    if outcomes.stop.is_set():
        tally.stopped = True
        tally.deferred += len(unused)


def _record_failure(
    session: Session, item: OutboxItem, exc: DeliveryError, *, runtime: Runtime, now: datetime
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
    store.mark_failed(
        session,
        item.outbox_id,
        error=str(exc),
        code=str(exc.code) if exc.code is not None else None,
        permanent=permanent,
        retry_at=None if permanent else retry_time(mail, attempts, now),
    )
    return int(permanent)


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
