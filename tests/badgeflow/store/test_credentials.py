"""Credentials: never two per award, exact bytes, and atomic with the caller's transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from badgeflow.store import (
    credentials_to_bake,
    get_credential,
    insert_awards,
    list_credentials,
    pending_awards,
    save_credentials,
    set_baked_path,
)
from badgeflow.store.schema import Credential
from tests.badgeflow.store.factories import AS_OF, award, awards_frame, new_credential

C1 = "11111111-1111-4111-8111-111111111111"
C2 = "22222222-2222-4222-8222-222222222222"
C3 = "33333333-3333-4333-8333-333333333333"


@pytest.fixture
def award_ids(sessions):
    with sessions.begin() as session:
        return insert_awards(session, awards_frame(award("k1"), award("k2")), batch_id="b1")


def _count(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Credential))


def test_save_credentials_twice_keeps_one_per_award(sessions, award_ids):
    a1, a2 = award_ids
    with sessions.begin() as session:
        assert save_credentials(session, [new_credential(a1, C1), new_credential(a2, C2)]) == 2
    with sessions.begin() as session:
        # A re-run signs again with fresh ids: still nothing new.
        assert save_credentials(session, [new_credential(a1, C3), new_credential(a2, C2)]) == 0
        assert save_credentials(session, []) == 0
    assert _count(sessions) == 2


def test_two_candidates_for_one_award_in_one_call_keep_the_first(sessions, award_ids):
    with sessions.begin() as session:
        assert (
            save_credentials(
                session, [new_credential(award_ids[0], C1), new_credential(award_ids[0], C2)]
            )
            == 1
        )
    with sessions() as session:
        assert [c.credential_id for c in list_credentials(session)] == [C1]


def test_the_unique_constraint_backs_the_rule(sessions, award_ids):
    with sessions.begin() as session:
        save_credentials(session, [new_credential(award_ids[0], C1)])
    with sessions() as session:
        session.add(
            Credential(
                id=C2,
                award_id=award_ids[0],
                document="{}",
                verification_method="vm",
                issued_at=AS_OF,
                batch_id="b",
            )
        )
        with pytest.raises(IntegrityError):
            session.flush()


def test_document_bytes_are_kept_exactly(sessions, award_ids):
    credential = new_credential(award_ids[0], f"urn:uuid:{C1}")
    with sessions.begin() as session:
        save_credentials(session, [credential])
    with sessions() as session:
        stored = get_credential(session, C1)
        assert get_credential(session, f"urn:uuid:{C1}") == stored
        assert get_credential(session, C3) is None
    assert stored.document == credential.document
    assert stored.urn == f"urn:uuid:{C1}"
    assert (stored.achievement_id, stored.learner_name, stored.status) == (
        "data-foundations",
        "Ada Lovelace",
        "active",
    )


def test_crash_mid_transaction_leaves_no_partial_credential(sessions, award_ids):
    a1, a2 = award_ids
    with pytest.raises(RuntimeError, match="crash"), sessions.begin() as session:
        save_credentials(session, [new_credential(a1, C1)])
        raise RuntimeError("simulated crash after the first credential")
    assert _count(sessions) == 0
    # A batch with one bad row (unknown award) fails as a whole: nothing is half-stored.
    with pytest.raises(IntegrityError), sessions.begin() as session:
        save_credentials(session, [new_credential(a1, C1), new_credential(999_999, C2)])
    assert _count(sessions) == 0
    with sessions() as session:
        assert len(pending_awards(session)) == 2


def test_baking_queue(sessions, award_ids):
    with sessions.begin() as session:
        save_credentials(
            session,
            [
                new_credential(award_ids[0], C1),
                new_credential(award_ids[1], C2, baked_path="/x/c2.png"),
            ],
        )
    with sessions.begin() as session:
        assert [c.credential_id for c in credentials_to_bake(session, limit=10)] == [C1]
        set_baked_path(session, f"urn:uuid:{C1}", "/x/c1.png")
        with pytest.raises(KeyError):
            set_baked_path(session, C3, "/x/c3.png")
    with sessions() as session:
        assert credentials_to_bake(session, limit=10) == []
        assert [c.baked_path for c in list_credentials(session)] == ["/x/c1.png", "/x/c2.png"]
