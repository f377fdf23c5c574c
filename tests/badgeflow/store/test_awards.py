"""Awards: idempotent insert, loading, and the queue of awards to issue."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select, update

from badgeflow.models import (
    ACHIEVEMENT_ID,
    AWARD_COLUMNS,
    AWARD_KEY,
    AWARDED_AT,
    EVIDENCE_RECORD_IDS,
    LEARNER_EMAIL,
    VALID_UNTIL,
)
from badgeflow.store import (
    AWARD_STATUS,
    awards_to_issue,
    insert_awards,
    load_awards,
    pending_award_ids,
    pending_awards,
    save_credentials,
)
from badgeflow.store.schema import Award, Learner
from tests.badgeflow.store.concurrency import wait_for_a_lock_wait
from tests.badgeflow.store.factories import AS_OF, award, awards_frame, new_credential


def _insert(sessions, df, batch_id="b1"):
    with sessions.begin() as session:
        return insert_awards(session, df, batch_id=batch_id)


def _three():
    return awards_frame(
        award("k-ada-1"),
        award(
            "k-bob-1", **{LEARNER_EMAIL: "bob@example.org", AWARDED_AT: AS_OF - timedelta(days=9)}
        ),
        award(
            "k-ada-2", **{ACHIEVEMENT_ID: "data-analyst", VALID_UNTIL: AS_OF + timedelta(days=365)}
        ),
    )


def test_insert_awards_twice_stores_each_award_once(sessions):
    first = _insert(sessions, _three())
    assert len(first) == 3
    assert _insert(sessions, _three(), "b2") == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Award)) == 3


def test_insert_awards_ignores_repeats_within_a_frame_and_returns_only_new_ids(sessions):
    _insert(sessions, awards_frame(award("k-ada-1")))
    new = _insert(sessions, awards_frame(award("k-ada-1"), award("k-new"), award("k-new")), "b2")
    with sessions() as session:
        keys = session.execute(select(Award.id, Award.award_key).where(Award.id.in_(new))).all()
    assert [k for _, k in keys] == ["k-new"]


def test_insert_awards_creates_missing_learners(sessions):
    _insert(sessions, awards_frame(award("k-zoe", **{LEARNER_EMAIL: " Zoe@Example.org"})))
    with sessions() as session:
        assert session.scalars(select(Learner.email)).all() == ["zoe@example.org"]


def test_load_awards(sessions):
    _insert(sessions, _three())
    with sessions() as session:
        everything = load_awards(session)
        bob = load_awards(session, learner_emails=["bob@example.org"])
    assert list(everything.columns) == [*AWARD_COLUMNS, AWARD_STATUS]
    assert list(everything[AWARD_KEY]) == ["k-ada-1", "k-ada-2", "k-bob-1"]
    assert set(everything[AWARD_STATUS]) == {"active"}
    assert everything.loc[0, EVIDENCE_RECORD_IDS] == ("moodle-main:7:101",)
    assert pd.isna(everything.loc[0, VALID_UNTIL])
    assert everything.loc[1, VALID_UNTIL] == AS_OF + timedelta(days=365)
    assert list(bob[AWARD_KEY]) == ["k-bob-1"]


def test_pending_awards_are_oldest_first_and_skip_issued_or_revoked(sessions):
    ids = _insert(sessions, _three())
    with sessions.begin() as session:
        pending = pending_awards(session, limit=10)
        assert [a.award_key for a in pending] == ["k-bob-1", "k-ada-1", "k-ada-2"]
        assert pending[0].learner_email == "bob@example.org"
        assert pending[0].evidence == ("moodle-main:7:101",)
        assert [a.award_key for a in pending_awards(session, limit=1)] == ["k-bob-1"]
        assert pending_award_ids(session) == [a.award_id for a in pending]
        save_credentials(
            session, [new_credential(pending[0].award_id, "11111111-1111-4111-8111-111111111111")]
        )
        session.execute(update(Award).where(Award.award_key == "k-ada-2").values(status="revoked"))
    with sessions() as session:
        assert [a.award_key for a in pending_awards(session)] == ["k-ada-1"]
        assert pending_award_ids(session) == [a.award_id for a in pending_awards(session)]
        assert [a.award_key for a in awards_to_issue(session, ids)] == ["k-ada-1"]
        assert awards_to_issue(session, []) == []


def test_awards_to_issue_equal_the_pending_awards_they_name(sessions):
    frame = awards_frame(
        *[
            award(
                f"k-{i}",
                **{
                    LEARNER_EMAIL: f"l{i % 3}@example.org",
                    AWARDED_AT: AS_OF - timedelta(days=i % 4, minutes=i),
                    VALID_UNTIL: AS_OF + timedelta(days=30) if i % 2 else None,
                    EVIDENCE_RECORD_IDS: tuple(f"src:{i}:{j}" for j in range(i % 3)),
                },
            )
            for i in range(9)
        ]
    )
    ids = _insert(sessions, frame)
    with sessions() as session:
        pending = pending_awards(session)
        chosen = awards_to_issue(session, ids[::2] + ids[:1])
    assert len(pending) == 9
    assert chosen == [a for a in pending if a.award_id in set(ids[::2])]


def _insert_alone(sessions, frame, batch_id: str) -> list[int]:
    with sessions.begin() as session:
        return insert_awards(session, frame, batch_id=batch_id)


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_two_runs_inserting_the_same_awards_at_once_store_each_once(sessions):
    frame = awards_frame(award("k1"), award("k2", **{LEARNER_EMAIL: "Bob@Example.org"}))
    with sessions() as first, ThreadPoolExecutor(1) as pool:
        first.begin()
        assert len(insert_awards(first, frame, batch_id="b1")) == 2
        # The second run sees neither the awards nor the learners (not committed yet), so
        # it inserts the same ones; its inserts wait on the unique keys for the first run.
        second = pool.submit(_insert_alone, sessions, frame, "b2")
        wait_for_a_lock_wait(sessions)
        first.commit()
        assert second.result(timeout=30) == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Award)) == 2
        assert session.scalar(select(func.count()).select_from(Learner)) == 2
        assert set(session.scalars(select(Award.batch_id))) == {"b1"}
