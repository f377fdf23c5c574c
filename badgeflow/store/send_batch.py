"""Outbox bookkeeping a wave at a time: claim many rows in one transaction, mark many sent.

The send loop (`badgeflow.pipeline.notify`) claims a *wave* of emails in one committed
transaction before any of them leaves, records the outcomes of the wave in one more, and
gives back (`release_claims`) the claims it never used. The row states are those of
`badgeflow.store.delivery`, row for row: a wave only saves commits. What it changes is the
size of the window a hard crash (the process killed) can leave behind: every row of the
wave still says ``sending``, so after the lease the next run sends them again with the same
Message-ID, a recognisable duplicate for those the server had already taken.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from badgeflow.store.delivery import INTERRUPTED, Claim
from badgeflow.store.outbox import sendable
from badgeflow.store.schema import EmailOutbox

__all__ = ["SentEmail", "WaveClaim", "claim_emails", "mark_emails_sent", "release_claims"]

_TABLE: Table = EmailOutbox.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class WaveClaim:
    """A row a wave claimed, and what to put back if the wave never uses it."""

    claim: Claim
    previous_status: str
    previous_message_id: str | None
    previous_next_attempt_at: datetime | None
    previous_error: str | None


@dataclass(frozen=True)
class SentEmail:
    """A message the mail server accepted, to record as sent."""

    outbox_id: int
    message_id: str
    subject: str | None
    note: str | None


def claim_emails(
    session: Session,
    message_ids: dict[int, str],
    *,
    now: datetime,
    lease: timedelta,
    max_attempts: int,
) -> list[WaveClaim]:
    """Claim many rows for sending, as `badgeflow.store.claim_email` does one, in one go.

    Rows are taken in id order; on PostgreSQL those another transaction holds are skipped
    (``FOR UPDATE SKIP LOCKED``), and each update still checks the row is sendable, so two
    senders never both own a row.

    Args:
        session: the caller's session; the caller commits (before sending any of them).
        message_ids: outbox id to the ``Message-ID`` its message will carry.
        now: the sender's clock.
        lease: how long the wave may take before another run presumes it crashed.
        max_attempts: as in `badgeflow.store.pending_emails`.

    Returns:
        The rows now owned by the caller (state ``sending``), in id order.
    """
    if not message_ids:
        return []
    rows = session.execute(
        select(
            EmailOutbox.id,
            EmailOutbox.status,
            EmailOutbox.message_id,
            EmailOutbox.next_attempt_at,
            EmailOutbox.last_error,
        )
        .where(EmailOutbox.id.in_(sorted(message_ids)), sendable(max_attempts, now))
        .order_by(EmailOutbox.id)
        .with_for_update(skip_locked=True)
    ).all()
    # One statement, compiled once, run a row at a time: each row's own rowcount says
    # whether it is ours (it still had the status read above and is still sendable).
    claim = (
        update(_TABLE)
        .where(
            _TABLE.c.id == bindparam("b_id"),
            _TABLE.c.status == bindparam("b_status"),
            sendable(max_attempts, now),
        )
        .values(status="sending", message_id=bindparam("b_message_id"), next_attempt_at=now + lease)
    )
    statements = {False: claim, True: claim.values(last_error=INTERRUPTED)}
    connection = session.connection()
    claimed: list[WaveClaim] = []
    for outbox_id, status, old_id, old_next, old_error in rows:
        params = {"b_id": outbox_id, "b_status": status, "b_message_id": message_ids[outbox_id]}
        result = connection.execute(statements[status == "sending"], params)
        if result.rowcount == 1:
            claim_row = Claim(outbox_id=outbox_id, resend=status == "sending")
            claimed.append(WaveClaim(claim_row, status, old_id, old_next, old_error))
    return claimed


def mark_emails_sent(session: Session, sent: Sequence[SentEmail], *, sent_at: datetime) -> None:
    """Record many deliveries, as `badgeflow.store.mark_sent` does one (one statement).

    Args:
        session: the caller's session; the caller commits.
        sent: what was sent.
        sent_at: when they were handed to the mail server (aware).
    """
    if not sent:
        return
    session.execute(
        update(_TABLE)
        .where(_TABLE.c.id == bindparam("b_id"))
        .values(
            status="sent",
            attempts=_TABLE.c.attempts + 1,
            message_id=bindparam("b_message_id"),
            sent_at=sent_at,
            last_error=bindparam("b_note"),
            next_attempt_at=None,
            subject=func.coalesce(bindparam("b_subject"), _TABLE.c.subject),
        ),
        [
            {
                "b_id": email.outbox_id,
                "b_message_id": email.message_id,
                "b_note": email.note,
                "b_subject": email.subject,
            }
            for email in sent
        ],
    )


def release_claims(session: Session, claims: Sequence[WaveClaim]) -> int:
    """Give back claimed rows no message was attempted for: they are as before the claim.

    Args:
        session: the caller's session; the caller commits.
        claims: claims of this sender that were never sent.

    Returns:
        How many rows were put back (a row no longer ``sending`` is left alone).
    """
    released = 0
    for wave in claims:
        result = session.execute(
            update(EmailOutbox)
            .where(EmailOutbox.id == wave.claim.outbox_id, EmailOutbox.status == "sending")
            .values(
                status=wave.previous_status,
                message_id=wave.previous_message_id,
                next_attempt_at=wave.previous_next_attempt_at,
                last_error=wave.previous_error,
            )
            .execution_options(synchronize_session=False)
        )
        released += getattr(result, "rowcount", 0)
    return released
