"""Outbox delivery states: claim before sending, leases, retries, holds, bounces, counts."""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta

import pytest

from badgeflow.models import LEARNER_EMAIL
from badgeflow.store import (
    claim_email,
    enqueue_award_emails,
    hold_email,
    insert_awards,
    mark_failed,
    mark_sent,
    outbox_counts,
    outbox_problems,
    pending_emails,
    record_bounce,
    retry_email,
    save_credentials,
)
from badgeflow.store.delivery import INTERRUPTED, OutboxProblem
from badgeflow.store.schema import EmailOutbox
from tests.badgeflow.store.factories import AS_OF, award, awards_frame, new_credential

C1 = "11111111-1111-4111-8111-111111111111"
C2 = "22222222-2222-4222-8222-222222222222"
LEASE = timedelta(minutes=30)
MID = "<award.1@badges.example.org>"


@pytest.fixture
def queued(sessions):
    with sessions.begin() as session:
        a1, a2 = insert_awards(
            session,
            awards_frame(award("k1"), award("k2", **{LEARNER_EMAIL: "bob@example.org"})),
            batch_id="b1",
        )
        save_credentials(
            session,
            [new_credential(a1, C1), new_credential(a2, C2, issued_at=AS_OF + timedelta(1))],
        )
        enqueue_award_emails(session)
        return [item.outbox_id for item in pending_emails(session)]


def claim(sessions, outbox_id, now, message_id=MID):
    with sessions.begin() as session:
        return claim_email(
            session, outbox_id, message_id=message_id, now=now, lease=LEASE, max_attempts=5
        )


def row(sessions, outbox_id) -> EmailOutbox:
    with sessions() as session:
        found = session.get(EmailOutbox, outbox_id)
        session.expunge(found)
        return found


def test_a_claim_records_the_message_id_before_sending(sessions, queued):
    first, _ = queued
    taken = claim(sessions, first, AS_OF)
    assert taken is not None and not taken.resend
    stored = row(sessions, first)
    assert (stored.status, stored.message_id) == ("sending", MID)
    # A second sender within the lease cannot take it...
    assert claim(sessions, first, AS_OF + timedelta(minutes=29)) is None
    with sessions() as session:
        assert first not in [i.outbox_id for i in pending_emails(session, now=AS_OF)]
    # ...but once the lease is over the row is presumed crashed and taken over, as a resend.
    again = claim(sessions, first, AS_OF + LEASE)
    assert again is not None and again.resend
    assert row(sessions, first).last_error == INTERRUPTED


def test_a_sent_row_cannot_be_claimed(sessions, queued):
    first, _ = queued
    claim(sessions, first, AS_OF)
    with sessions.begin() as session:
        mark_sent(session, first, message_id=MID, sent_at=AS_OF)
    assert claim(sessions, first, AS_OF + timedelta(days=30)) is None
    assert row(sessions, first).next_attempt_at is None


def test_retry_times_and_permanent_failures(sessions, queued):
    first, second = queued
    later = AS_OF + timedelta(minutes=15)
    with sessions.begin() as session:
        mark_failed(session, first, error="451 later", code="451", retry_at=later)
        mark_failed(session, second, error="550 no such user", code="550", permanent=True)
    with sessions() as session:
        assert pending_emails(session, now=AS_OF) == []
        assert [i.outbox_id for i in pending_emails(session, now=later)] == [first]
        assert [i.outbox_id for i in pending_emails(session)] == [first]  # no clock: all due
    assert claim(sessions, first, AS_OF) is None
    assert claim(sessions, first, later) is not None
    stored = row(sessions, second)
    assert (stored.status, stored.permanent, stored.last_code) == ("failed", True, "550")


def test_held_rows_stay_sendable(sessions, queued):
    first, second = queued
    with sessions.begin() as session:
        hold_email(session, first)
    with sessions() as session:
        assert {i.outbox_id for i in pending_emails(session, now=AS_OF)} == {first, second}
    assert row(sessions, first).status == "held"
    assert claim(sessions, first, AS_OF) is not None


def test_bounces_mark_rows_once_and_soft_ones_leave_them_sent(sessions, queued):
    first, second = queued
    with sessions.begin() as session:
        mark_sent(session, first, message_id="<a@x>", sent_at=AS_OF)
        mark_sent(session, second, message_id="<b@x>", sent_at=AS_OF)

    def bounce(message_id, status, hard):
        with sessions.begin() as session:
            return record_bounce(
                session, message_id, status=status, diagnostic="d", hard=hard, at=AS_OF
            )

    hard = bounce("<a@x>", "5.1.1", True)
    assert (hard.outbox_id, hard.changed) == (first, True)
    assert bounce("<a@x>", "5.1.1", True).changed is False
    soft = bounce("<b@x>", "4.4.1", False)
    assert (soft.outbox_id, soft.hard, soft.changed) == (second, False, True)
    assert bounce("<b@x>", "4.4.1", False).changed is False
    assert bounce("<nobody@x>", "5.1.1", True).outbox_id is None
    bounced, delayed = row(sessions, first), row(sessions, second)
    assert (bounced.status, bounced.last_code, bounced.bounced_at) == ("bounced", "5.1.1", AS_OF)
    assert (delayed.status, delayed.last_code, delayed.last_error) == (
        "sent",
        "4.4.1",
        "bounce 4.4.1: d",
    )
    with sessions() as session:
        assert pending_emails(session) == []
        counts = outbox_counts(session)
        problems = outbox_problems(session)
    assert counts == {
        "pending": 0,
        "held": 0,
        "sending": 0,
        "sent": 1,
        "failed": 0,
        "bounced": 1,
    }
    assert [(p.outbox_id, p.status, p.code) for p in problems] == [(first, "bounced", "5.1.1")]
    assert "to_address" not in {f.name for f in fields(OutboxProblem)}


def test_retry_resets_a_bounced_row_with_the_learners_current_address(sessions, queued):
    first, second = queued
    with sessions.begin() as session:
        mark_sent(session, first, message_id="<a@x>", sent_at=AS_OF)
        record_bounce(session, "<a@x>", status="5.1.1", diagnostic="d", hard=True, at=AS_OF)
        session.get(EmailOutbox, first).to_address = "old@example.org"
    with sessions.begin() as session:
        assert retry_email(session, first) is True
        assert retry_email(session, second) is False  # pending: nothing to reset
        assert retry_email(session, 999) is False
    stored = row(sessions, first)
    assert (stored.status, stored.attempts, stored.permanent) == ("pending", 0, False)
    assert stored.to_address == "ada@example.org"
