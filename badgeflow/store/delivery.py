"""Outbox delivery bookkeeping: claiming a row before sending, holding, bounces, counts.

The life of an outbox row::

    pending ──claim──▶ sending ──▶ sent ──hard bounce──▶ bounced
       │                  │ ╲
       ▼ (pilot)          │  ╲──4xx / dropped──▶ failed (retry at next_attempt_at)
     held ──(pilot off)──▶ claim      ╲─5xx / out of attempts──▶ failed (permanent)

A row is set to ``sending`` with its ``Message-ID`` in its own committed transaction
*before* the message leaves. If the process dies before the outcome is recorded, the row
still says ``sending``: once its lease (``next_attempt_at``) runs out, the next run sends it
again with the same Message-ID, so a receiving server or mail client can recognise the
duplicate, and the row's ``last_error`` keeps the evidence.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from badgeflow.store.schema import OUTBOX_STATUSES, Award, Credential, EmailOutbox, Learner

__all__ = [
    "BounceOutcome",
    "Claim",
    "OutboxProblem",
    "claim_email",
    "hold_email",
    "outbox_counts",
    "outbox_problems",
    "record_bounce",
    "retry_email",
]

_MAX_ERROR_CHARS: Final = 2000
INTERRUPTED: Final = "an earlier send was interrupted before its outcome was recorded; resent"


@dataclass(frozen=True)
class Claim:
    """A row this sender now owns (state ``sending``)."""

    outbox_id: int
    resend: bool
    """True when the row was left in ``sending`` by a crashed sender (a possible duplicate)."""


def claim_email(
    session: Session,
    outbox_id: int,
    *,
    message_id: str,
    now: datetime,
    lease: timedelta,
    max_attempts: int,
) -> Claim | None:
    """Take a row for sending: record its Message-ID and state ``sending``, atomically.

    The update only succeeds while the row is still sendable (see `sendable`), so two
    senders never both own a row, and a ``sending`` row is only taken over once its
    lease has expired.

    Args:
        session: the caller's session; the caller commits (before sending).
        outbox_id: the outbox row.
        message_id: the ``Message-ID`` the message will carry.
        now: the sender's clock.
        lease: how long the send may take before another run presumes it crashed.
        max_attempts: as in `badgeflow.store.pending_emails`.

    Returns:
        The claim, or None when the row is no longer sendable (sent meanwhile, say).
    """
    # One implementation for one row and for a wave (`badgeflow.store.send_batch`).
    from badgeflow.store.send_batch import claim_emails

    claimed = claim_emails(
        session, {outbox_id: message_id}, now=now, lease=lease, max_attempts=max_attempts
    )
    return claimed[0].claim if claimed else None


def hold_email(session: Session, outbox_id: int) -> None:
    """Park an email the pilot settings do not let out; it is offered again every run.

    Args:
        session: the caller's session; the caller commits.
        outbox_id: the outbox row.
    """
    session.execute(
        update(EmailOutbox)
        .where(EmailOutbox.id == outbox_id, EmailOutbox.status.in_(("pending", "held")))
        .values(status="held")
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class BounceOutcome:
    """What one bounce report did to the outbox."""

    outbox_id: int | None
    """The row it matched, or None."""
    hard: bool
    changed: bool
    """False when the row already recorded this bounce (reading a mailbox twice is harmless)."""


def record_bounce(
    session: Session,
    message_id: str,
    *,
    status: str,
    diagnostic: str,
    hard: bool,
    at: datetime,
) -> BounceOutcome:
    """Record a delivery status notification against the row that sent ``message_id``.

    A hard bounce (5.x.x) moves a sent row to ``bounced``; a soft one (4.x.x, a delay)
    only notes the code and diagnostic and leaves the row ``sent``.

    Args:
        session: the caller's session; the caller commits.
        message_id: the original message's ``Message-ID`` (with angle brackets).
        status: the DSN status code, e.g. ``5.1.1``.
        diagnostic: the remote server's words, addresses already removed.
        hard: a permanent failure.
        at: when the bounce was read (aware).

    Returns:
        The outcome; ``outbox_id`` None when no row sent that Message-ID.
    """
    row = session.scalar(select(EmailOutbox).where(EmailOutbox.message_id == message_id))
    if row is None:
        return BounceOutcome(outbox_id=None, hard=hard, changed=False)
    text = f"bounce {status}: {diagnostic}"[:_MAX_ERROR_CHARS]
    if row.status == "bounced" or (not hard and row.last_error == text):
        return BounceOutcome(outbox_id=row.id, hard=hard, changed=False)
    row.last_code = status[:16]
    row.last_error = text
    if hard:
        row.status = "bounced"
        row.bounced_at = at
        row.permanent = True
        row.next_attempt_at = None
    session.flush()
    return BounceOutcome(outbox_id=row.id, hard=hard, changed=True)


@dataclass(frozen=True)
class OutboxProblem:
    """An outbox row worth a look (never carries the recipient's address)."""

    outbox_id: int
    credential_id: str
    kind: str
    status: str
    attempts: int
    permanent: bool
    code: str | None
    error: str | None
    next_attempt_at: datetime | None


def outbox_counts(session: Session) -> dict[str, int]:
    """Count outbox rows by state (every state listed, zeros included).

    Args:
        session: any session.

    Returns:
        State → count, in the order of the state machine.
    """
    found = dict(
        session.execute(select(EmailOutbox.status, func.count()).group_by(EmailOutbox.status))
        .tuples()
        .all()
    )
    return {state: int(found.get(state, 0)) for state in OUTBOX_STATUSES}


def outbox_problems(
    session: Session,
    *,
    limit: int = 50,
    states: Collection[str] = ("failed", "bounced", "sending"),
) -> list[OutboxProblem]:
    """List rows in the given states (by default failed, bounced, interrupted), newest first.

    Args:
        session: any session.
        limit: at most this many.
        states: the states to list (``held`` lists what pilot mode holds back).

    Returns:
        The rows, without addresses.
    """
    rows = session.scalars(
        select(EmailOutbox)
        .where(EmailOutbox.status.in_(tuple(states)))
        .order_by(EmailOutbox.id.desc())
        .limit(limit)
    )
    return [
        OutboxProblem(
            outbox_id=r.id,
            credential_id=r.credential_id,
            kind=r.kind,
            status=r.status,
            attempts=r.attempts,
            permanent=r.permanent,
            code=r.last_code,
            error=r.last_error,
            next_attempt_at=r.next_attempt_at,
        )
        for r in rows
    ]


def retry_email(session: Session, outbox_id: int) -> bool:
    """Give a failed or bounced email a fresh start (after the address was corrected, say).

    Args:
        session: the caller's session; the caller commits.
        outbox_id: the outbox row.

    The address is taken again from the learner, so a corrected address is used.

    Returns:
        True when the row was reset to ``pending``; False when it is not failed or bounced.
    """
    address = session.scalar(
        select(Learner.email)
        .join(Award, Award.learner_id == Learner.id)
        .join(Credential, Credential.award_id == Award.id)
        .join(EmailOutbox, EmailOutbox.credential_id == Credential.id)
        .where(EmailOutbox.id == outbox_id)
    )
    if address is None:
        return False
    result = session.execute(
        update(EmailOutbox)
        .where(EmailOutbox.id == outbox_id, EmailOutbox.status.in_(("failed", "bounced")))
        .values(
            status="pending",
            attempts=0,
            permanent=False,
            next_attempt_at=None,
            bounced_at=None,
            to_address=address,
        )
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1
