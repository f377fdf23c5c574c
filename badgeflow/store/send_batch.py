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

from sqlalchemy import Table, bindparam, case, func, select, tuple_, update
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
    if not rows:
        return []
    # One UPDATE for the wave: a row is ours if it still has the status read above and is
    # still sendable, exactly the per-row check; RETURNING says which rows those are.
    statuses = [(outbox_id, status) for outbox_id, status, *_ in rows]
    claim = (
        update(_TABLE)
        .where(tuple_(_TABLE.c.id, _TABLE.c.status).in_(statuses), sendable(max_attempts, now))
        .values(
            status="sending",
            message_id=case({i: message_ids[i] for i, _ in statuses}, value=_TABLE.c.id),
            next_attempt_at=now + lease,
            last_error=case((_TABLE.c.status == "sending", INTERRUPTED), else_=_TABLE.c.last_error),
        )
        .returning(_TABLE.c.id)
    )
    taken = set(session.execute(claim).scalars())
    claimed = [
        WaveClaim(Claim(outbox_id=i, resend=status == "sending"), status, old_id, old_next, error)
        for i, status, old_id, old_next, error in rows
        if i in taken
    ]
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
