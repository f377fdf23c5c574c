"""A wave of the outbox at once: claim in one transaction, mark sent in one, give back the rest."""

from __future__ import annotations

from datetime import timedelta

from badgeflow.store import mark_failed
from badgeflow.store.delivery import INTERRUPTED
from badgeflow.store.send_batch import (
    SentEmail,
    claim_emails,
    mark_emails_sent,
    release_claims,
)
from tests.badgeflow.store import test_delivery
from tests.badgeflow.store.factories import AS_OF
from tests.badgeflow.store.test_delivery import LEASE, claim, row

queued = test_delivery.queued  # the fixture: two award emails queued


def claim_all(sessions, ids, now):
    with sessions.begin() as session:
        return claim_emails(
            session,
            {i: f"<award.{i}@badges.example.org>" for i in ids},
            now=now,
            lease=LEASE,
            max_attempts=5,
        )


def test_a_wave_claims_every_sendable_row_once(sessions, queued):
    first, second = queued
    claims = claim_all(sessions, queued, AS_OF)
    assert [c.claim.outbox_id for c in claims] == [first, second]
    assert not any(c.claim.resend for c in claims)
    assert (row(sessions, first).status, row(sessions, first).message_id) == (
        "sending",
        f"<award.{first}@badges.example.org>",
    )
    # Within the lease nobody else gets them, one by one or as a wave.
    assert claim_all(sessions, queued, AS_OF + timedelta(minutes=5)) == []
    assert claim(sessions, first, AS_OF + timedelta(minutes=5)) is None
    # After it, they are presumed interrupted and taken over, marked as such.
    late = claim_all(sessions, queued, AS_OF + LEASE + timedelta(seconds=1))
    assert [c.claim.resend for c in late] == [True, True]
    assert row(sessions, first).last_error == INTERRUPTED


def test_sent_rows_are_recorded_together_and_drop_out(sessions, queued):
    first, second = queued
    claim_all(sessions, queued, AS_OF)
    with sessions.begin() as session:
        mark_emails_sent(
            session,
            [
                SentEmail(first, "<a@x>", "You earned it", None),
                SentEmail(second, "<b@x>", None, "resent"),
            ],
            sent_at=AS_OF,
        )
    one, two = row(sessions, first), row(sessions, second)
    assert (one.status, one.attempts, one.message_id, one.subject, one.last_error) == (
        "sent",
        1,
        "<a@x>",
        "You earned it",
        None,
    )
    assert (two.status, two.sent_at, two.last_error, two.next_attempt_at) == (
        "sent",
        AS_OF,
        "resent",
        None,
    )
    assert claim_all(sessions, queued, AS_OF + timedelta(days=9)) == []


def test_released_claims_are_as_before_and_used_ones_are_left_alone(sessions, queued):
    first, second = queued
    with sessions.begin() as session:
        mark_failed(session, first, error="451 later", code="451", retry_at=AS_OF)
    before = row(sessions, first)
    claims = claim_all(sessions, queued, AS_OF)
    with sessions.begin() as session:
        mark_emails_sent(session, [SentEmail(second, "<b@x>", "s", None)], sent_at=AS_OF)
        assert release_claims(session, claims) == 1  # the sent one is no longer 'sending'
    after = row(sessions, first)
    assert (after.status, after.message_id, after.next_attempt_at, after.last_error) == (
        before.status,
        before.message_id,
        before.next_attempt_at,
        before.last_error,
    )
    assert after.attempts == 1 and row(sessions, second).status == "sent"
