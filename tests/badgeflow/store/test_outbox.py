"""The email outbox: one email per credential, retries, and concurrent senders."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from badgeflow.models import LEARNER_EMAIL
from badgeflow.store import (
    emails_to_send,
    enqueue_award_emails,
    insert_awards,
    mark_failed,
    mark_sent,
    pending_emails,
    save_credentials,
)
from badgeflow.store.schema import EmailOutbox
from tests.badgeflow.store.concurrency import wait_for_a_lock_wait
from tests.badgeflow.store.factories import AS_OF, award, awards_frame, new_credential

C1 = "11111111-1111-4111-8111-111111111111"
C2 = "22222222-2222-4222-8222-222222222222"


@pytest.fixture
def issued(sessions):
    with sessions.begin() as session:
        a1, a2 = insert_awards(
            session,
            awards_frame(award("k1"), award("k2", **{LEARNER_EMAIL: "Bob@Example.org"})),
            batch_id="b1",
        )
        save_credentials(
            session,
            [
                new_credential(a1, C1),
                new_credential(a2, C2, issued_at=AS_OF + timedelta(seconds=1)),
            ],
        )


def test_enqueue_twice_queues_one_email_per_credential(sessions, issued):
    with sessions.begin() as session:
        assert enqueue_award_emails(session, batch_limit=1) == 1
    with sessions.begin() as session:
        assert enqueue_award_emails(session) == 1
        assert enqueue_award_emails(session) == 0
    with sessions() as session:
        rows = session.execute(
            select(EmailOutbox.credential_id, EmailOutbox.to_address, EmailOutbox.status)
        ).all()
    assert sorted(rows) == [(C1, "ada@example.org", "pending"), (C2, "bob@example.org", "pending")]


def test_sent_emails_leave_the_queue_and_failures_retry_until_the_limit(sessions, issued):
    with sessions.begin() as session:
        enqueue_award_emails(session)
        first, second = pending_emails(session, limit=10)
        assert (first.credential_id, first.learner_name, first.document) == (
            C1,
            "Ada Lovelace",
            new_credential(1, C1).document,
        )
        mark_sent(
            session, first.outbox_id, message_id="<m1@x>", sent_at=AS_OF, subject="Your badge"
        )
        mark_failed(session, second.outbox_id, error="451 try later")
    with sessions.begin() as session:
        (retry,) = pending_emails(session, max_attempts=2)
        assert (retry.outbox_id, retry.attempts) == (second.outbox_id, 1)
        mark_failed(session, retry.outbox_id, error="451 again " * 500)
    with sessions() as session:
        assert pending_emails(session, max_attempts=2) == []
        assert len(pending_emails(session, max_attempts=3)) == 1
        assert emails_to_send(session, [first.outbox_id, second.outbox_id], max_attempts=3) == [
            pending_emails(session, max_attempts=3)[0]
        ]
        sent = session.get(EmailOutbox, first.outbox_id)
        failed = session.get(EmailOutbox, second.outbox_id)
    assert (sent.status, sent.message_id, sent.sent_at, sent.subject) == (
        "sent",
        "<m1@x>",
        AS_OF,
        "Your badge",
    )
    assert (failed.status, failed.attempts, len(failed.last_error)) == ("failed", 2, 2000)


def test_unknown_outbox_ids_raise(sessions):
    with sessions() as session:
        with pytest.raises(KeyError):
            mark_sent(session, 42, message_id="m", sent_at=AS_OF)
        with pytest.raises(KeyError):
            mark_failed(session, 42, error="x")


def test_concurrent_senders_do_not_pick_the_same_email(engine, sessions, issued):
    with sessions.begin() as session:
        enqueue_award_emails(session)
    with sessions() as first, sessions() as second:
        first.begin()
        taken = pending_emails(first, limit=1)
        seen_by_second = pending_emails(second)
        first.rollback()
        second.rollback()
    assert len(taken) == 1
    if engine.dialect.name == "postgresql":
        # FOR UPDATE SKIP LOCKED: the row the first sender holds is invisible to the second.
        assert len(seen_by_second) == 1
        assert seen_by_second[0].outbox_id != taken[0].outbox_id
    else:
        # SQLite has no row locks (one writer at a time); the caller's transaction decides.
        assert len(seen_by_second) == 2
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(EmailOutbox)) == 2


def _queue_alone(sessions) -> int:
    with sessions.begin() as session:
        return enqueue_award_emails(session)


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_two_runs_queueing_at_once_queue_each_email_once(sessions, issued):
    with sessions() as first, ThreadPoolExecutor(1) as pool:
        first.begin()
        assert enqueue_award_emails(first) == 2
        # The second run read no outbox row (the first has not committed), so it inserts
        # the same two; its insert waits on the unique key for the first transaction.
        second = pool.submit(_queue_alone, sessions)
        wait_for_a_lock_wait(sessions)
        first.commit()
        assert second.result(timeout=30) == 0
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(EmailOutbox)) == 2


def test_items_from_columns_are_the_items_of_the_orm_rows(sessions, issued):
    from badgeflow.store.outbox import _outbox_item, pending_email_ids
    from badgeflow.store.schema import Award, Credential, Learner

    with sessions.begin() as session:
        enqueue_award_emails(session)
        mark_failed(session, pending_emails(session)[0].outbox_id, error="x", permanent=False)
    with sessions() as session:
        items = pending_emails(session, max_attempts=3)
        query = (
            select(EmailOutbox, Credential, Award, Learner)
            .join(Credential, EmailOutbox.credential_id == Credential.id)
            .join(Award, Credential.award_id == Award.id)
            .join(Learner, Award.learner_id == Learner.id)
            .order_by(EmailOutbox.created_at, EmailOutbox.id)
        )
        expected = [_outbox_item(*row) for row in session.execute(query)]
        ids = pending_email_ids(session, max_attempts=3)
        chunk = emails_to_send(session, ids, max_attempts=3)
    assert len(items) == 2 and items == expected == chunk
    assert ids == [item.outbox_id for item in items]
    assert items[0].attempts == 1 and items[0].document and items[1].learner_name is not None
