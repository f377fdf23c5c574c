"""Status slots are never handed out twice; status changes follow the rules and are audited."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from badgeflow.store import (
    StatusSlot,
    change_status,
    enqueue_revoked_email,
    insert_awards,
    reserve_status_slots,
    save_credentials,
    save_status_entries,
    status_entries_of,
    status_events,
    status_list_bits,
)
from badgeflow.store.schema import StatusCounter
from tests.badgeflow.store.factories import AS_OF, award, awards_frame, new_credential

C1 = "11111111-1111-4111-8111-111111111111"
C2 = "22222222-2222-4222-8222-222222222222"


@pytest.fixture
def issued(sessions):
    with sessions.begin() as session:
        a1, a2 = insert_awards(session, awards_frame(award("k1"), award("k2")), batch_id="b1")
        save_credentials(session, [new_credential(a1, C1), new_credential(a2, C2)])
    return C1, C2


def _reserve(sessions, purpose: str, count: int) -> list[StatusSlot]:
    with sessions.begin() as session:
        return reserve_status_slots(session, purpose, count)


def test_slots_follow_each_other_per_purpose(sessions):
    assert _reserve(sessions, "revocation", 2) == [
        StatusSlot("revocation", 1, 0),
        StatusSlot("revocation", 1, 1),
    ]
    assert _reserve(sessions, "suspension", 1) == [StatusSlot("suspension", 1, 0)]
    assert _reserve(sessions, "revocation", 1) == [StatusSlot("revocation", 1, 2)]
    assert _reserve(sessions, "revocation", 0) == []


def test_a_full_list_rolls_over_to_the_next(sessions):
    with sessions.begin() as session:
        session.execute(update(StatusCounter).values(list_size=4))
    slots = _reserve(sessions, "revocation", 6)
    assert [(s.list_number, s.index) for s in slots] == [
        (1, 0),
        (1, 1),
        (1, 2),
        (1, 3),
        (2, 0),
        (2, 1),
    ]
    with sessions() as session:
        assert status_list_bits(session) == {
            ("revocation", 1): [],
            ("revocation", 2): [],
            ("suspension", 1): [],
        }


def test_slots_of_a_rolled_back_chunk_are_never_handed_out_again(sessions, issued):
    reserved = _reserve(sessions, "revocation", 2)
    with pytest.raises(RuntimeError), sessions.begin() as session:  # the chunk dies
        save_status_entries(session, C1, reserved[:1])
        raise RuntimeError("crash while signing")
    with sessions() as session:
        assert status_entries_of(session, C1) == []
    again = _reserve(sessions, "revocation", 2)
    assert not set(again) & set(reserved)
    assert min(s.index for s in again) == 2


def test_the_database_refuses_one_slot_for_two_credentials(sessions, issued):
    slot = _reserve(sessions, "revocation", 1)
    with sessions.begin() as session:
        save_status_entries(session, C1, slot)
    with pytest.raises(IntegrityError), sessions.begin() as session:
        save_status_entries(session, C2, slot)


def test_saving_entries_twice_keeps_the_first(sessions, issued):
    first, second = _reserve(sessions, "revocation", 2)
    with sessions.begin() as session:
        assert save_status_entries(session, C1, [first]) == 1
        assert save_status_entries(session, C1, [second]) == 0
    with sessions() as session:
        assert status_entries_of(session, f"urn:uuid:{C1}") == [first]


def test_concurrent_allocators_never_share_a_slot(engine, sessions):
    taken: list[StatusSlot] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def allocate() -> None:
        try:
            start.wait()
            for _ in range(20):
                slots = _reserve(sessions, "revocation", 3)
                with lock:
                    taken.extend(slots)
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=allocate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(s.index for s in taken) == list(range(240))


def test_revoke_suspend_reinstate_rules_and_audit(sessions, issued):
    def act(action, cid=C1, reason="exam misconduct", at=AS_OF):
        with sessions.begin() as session:
            return change_status(session, cid, action, reason=reason, actor="ops", at=at)

    assert act("reinstate").problem == "is not suspended"
    assert act("suspend", reason="  ").problem == "a reason is required"
    assert act("suspend", cid="nope").problem == "no such credential"
    suspended = act("suspend", reason="under review")
    assert (suspended.previous, suspended.status, suspended.changed) == (
        "active",
        "suspended",
        True,
    )
    assert act("suspend").problem == "is already suspended"
    assert act("reinstate", reason="cleared", at=AS_OF + timedelta(hours=1)).status == "active"
    assert act("revoke", at=AS_OF + timedelta(hours=2)).status == "revoked"
    assert act("revoke").problem == "is already revoked"
    assert act("reinstate").problem == "is revoked; revocation is final"
    with sessions() as session:
        trail = [(e.action, e.reason, e.actor) for e in status_events(session, C1)]
    assert trail == [
        ("suspend", "under review", "ops"),
        ("reinstate", "cleared", "ops"),
        ("revoke", "exam misconduct", "ops"),
    ]


def test_status_list_bits_follow_the_award_status(sessions, issued):
    revocation = _reserve(sessions, "revocation", 2)
    suspension = _reserve(sessions, "suspension", 2)
    with sessions.begin() as session:
        save_status_entries(session, C1, [revocation[0], suspension[0]])
        save_status_entries(session, C2, [revocation[1], suspension[1]])
        change_status(session, C1, "revoke", reason="fraud", actor="ops", at=AS_OF)
        change_status(session, C2, "suspend", reason="review", actor="ops", at=AS_OF)
    with sessions() as session:
        assert status_list_bits(session) == {("revocation", 1): [0], ("suspension", 1): [1]}


def test_one_revoked_email_per_credential(sessions, issued):
    with sessions.begin() as session:
        assert enqueue_revoked_email(session, C1) is not None
        assert enqueue_revoked_email(session, C1) is None
        assert enqueue_revoked_email(session, "unknown") is None


def test_a_queued_award_email_is_held_back_once_the_credential_is_revoked(sessions, issued):
    from badgeflow.store import enqueue_award_emails, pending_emails

    with sessions.begin() as session:
        assert enqueue_award_emails(session) == 2
        change_status(session, C1, "revoke", reason="fraud", actor="ops", at=AS_OF)
        revoked_mail = enqueue_revoked_email(session, C1)
    with sessions() as session:
        pending = pending_emails(session)
    assert {(item.credential_id, item.kind) for item in pending} == {
        (C2, "award"),
        (C1, "revoked"),
    }
    assert revoked_mail in {item.outbox_id for item in pending}
