"""Webhook events: stored on receipt, read by a batch, consumed once that batch commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from badgeflow.models import JSONDict
from badgeflow.store._bulk import dialect_insert
from badgeflow.store.schema import WebhookEvent

__all__ = [
    "NewWebhookEvent",
    "StoredWebhookEvent",
    "consume_webhook_events",
    "read_webhook_events",
    "store_webhook_events",
]


@dataclass(frozen=True)
class NewWebhookEvent:
    """One event of a delivery, as the intake received it."""

    event_key: str
    payload: JSONDict


@dataclass(frozen=True)
class StoredWebhookEvent:
    """A stored event, as a batch reads it."""

    id: int
    event_key: str
    vendor: str
    received_at: datetime
    payload: JSONDict


def store_webhook_events(
    session: Session,
    source: str,
    vendor: str,
    events: Sequence[NewWebhookEvent],
    *,
    received_at: datetime,
) -> list[bool]:
    """Insert a delivery's events, skipping those already stored (a redelivery).

    The insert is ``INSERT ... ON CONFLICT DO NOTHING`` on (source, event key), so two
    concurrent deliveries of one event store it once and neither fails.

    Args:
        session: the caller's session; the caller commits (before acknowledging).
        source: the configured webhook source.
        vendor: its payload format.
        events: the delivery's events.
        received_at: the intake's clock.

    Returns:
        For each event, True when it was new, False when it was a duplicate.
    """
    insert = dialect_insert(session)
    new: list[bool] = []
    for event in events:
        statement = (
            insert(WebhookEvent)
            .values(
                source=source,
                event_key=event.event_key,
                vendor=vendor,
                received_at=received_at,
                payload=event.payload,
            )
            .on_conflict_do_nothing(index_elements=["source", "event_key"])
            .returning(WebhookEvent.id)
        )
        # RETURNING names the inserted row; a skipped duplicate returns none. (rowcount is
        # not reliable for ON CONFLICT across drivers.)
        new.append(session.execute(statement).scalar_one_or_none() is not None)
    session.flush()
    return new


def read_webhook_events(
    session: Session, source: str, *, read_at: datetime, include_consumed: bool = False
) -> list[StoredWebhookEvent]:
    """Return a source's events not yet consumed, oldest first, and stamp them as read.

    The stamp is what `consume_webhook_events` later marks consumed: an event that arrives
    after this read is not stamped, so it waits for the next batch.

    Args:
        session: the caller's session; the caller commits (the stamp is then visible).
        source: the configured webhook source.
        read_at: the batch clock.
        include_consumed: also return consumed events (a full re-sync).

    Returns:
        The events, in the order they were received.
    """
    query = select(WebhookEvent).where(WebhookEvent.source == source)
    if not include_consumed:
        query = query.where(WebhookEvent.consumed_at.is_(None))
    rows = list(session.scalars(query.order_by(WebhookEvent.id)))
    for row in rows:
        if row.consumed_at is None:
            row.read_at = read_at
    session.flush()
    return [
        StoredWebhookEvent(r.id, r.event_key, r.vendor, r.received_at, dict(r.payload))
        for r in rows
    ]


def consume_webhook_events(session: Session, source: str) -> int:
    """Mark every event a batch has read for this source as consumed.

    Call it in the transaction that commits the batch's watermarks; events read by a batch
    that then failed stay unconsumed and are read again by the next one. ``consumed_at`` is
    an audit stamp from the database clock.

    Args:
        session: the caller's session; the caller commits.
        source: the configured webhook source.

    Returns:
        How many events were marked.
    """
    result = session.execute(
        update(WebhookEvent)
        .where(
            WebhookEvent.source == source,
            WebhookEvent.read_at.is_not(None),
            WebhookEvent.consumed_at.is_(None),
        )
        .values(consumed_at=func.current_timestamp())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
