from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from badgeflow.models import ACHIEVEMENT_ID, AWARD_STATUS, LEARNER_EMAIL, VALID_FROM, VALID_UNTIL
from badgeflow.store import insert_awards, load_awards
from badgeflow.store.progress import (
    ProgressRecord,
    count_holders,
    load_holdings,
    load_pathway_progress,
    save_pathway_progress,
)
from badgeflow.store.schema import Award, PathwayProgress
from tests.badgeflow.store.concurrency import wait_for_a_lock_wait
from tests.badgeflow.store.factories import AS_OF, award, awards_frame


def record(email="ada@example.org", held=1, next_tier="data-applied", at=AS_OF):
    return ProgressRecord(email, "data-skills", held, 3, next_tier, at)


def test_save_inserts_then_updates_one_row_per_learner_and_pathway(sessions):
    with sessions.begin() as session:
        insert_awards(session, awards_frame(award("k1")), batch_id="b1")
        assert save_pathway_progress(session, [record(), record("nobody@example.org")]) == 1
    later = AS_OF + timedelta(days=1)
    with sessions.begin() as session:
        save_pathway_progress(session, [record(held=2, next_tier="certified", at=later)])
    with sessions() as session:
        assert load_pathway_progress(session) == [record(held=2, next_tier="certified", at=later)]
        assert load_pathway_progress(session, learner_email=" ADA@example.org") == [
            record(held=2, next_tier="certified", at=later)
        ]
        assert load_pathway_progress(session, learner_email="bob@example.org") == []


def test_one_row_per_learner_and_pathway_is_enforced(sessions):
    with sessions.begin() as session:
        insert_awards(session, awards_frame(award("k1")), batch_id="b1")
        save_pathway_progress(session, [record()])
    with pytest.raises(IntegrityError), sessions.begin() as session:
        row = session.query(PathwayProgress).one()
        session.add(
            PathwayProgress(
                learner_id=row.learner_id,
                pathway=row.pathway,
                tiers_held=0,
                tiers_total=3,
                next_tier=None,
                updated_at=AS_OF,
            )
        )
        session.flush()


def test_count_holders_counts_current_active_awards_once_per_learner(sessions):
    frame = awards_frame(
        award("a1"),
        award(
            "a2",
            **{VALID_FROM: AS_OF - timedelta(days=400), VALID_UNTIL: AS_OF - timedelta(days=35)},
        ),
        award("b1", **{LEARNER_EMAIL: "bob@example.org"}),
        award("c1", **{LEARNER_EMAIL: "cy@example.org", VALID_UNTIL: AS_OF - timedelta(days=1)}),
        award("d1", **{LEARNER_EMAIL: "di@example.org", VALID_FROM: AS_OF + timedelta(days=1)}),
        award("e1", **{LEARNER_EMAIL: "ed@example.org"}),
        award("f1", **{LEARNER_EMAIL: "fa@example.org", ACHIEVEMENT_ID: "data-applied"}),
    )
    with sessions.begin() as session:
        insert_awards(session, frame, batch_id="b1")
        session.execute(update(Award).where(Award.award_key == "e1").values(status="revoked"))
    with sessions() as session:
        counts = count_holders(session, ["data-foundations", "data-applied", "x"], as_of=AS_OF)
    assert counts == {"data-foundations": 2, "data-applied": 1, "x": 0}


def test_holdings_are_the_matching_columns_of_the_stored_awards(sessions):
    rows = [
        award("k1"),
        award("k2", **{ACHIEVEMENT_ID: "data-applied", VALID_UNTIL: AS_OF}),
        award("k3", **{LEARNER_EMAIL: "bob@example.org"}),
        award("k4", **{ACHIEVEMENT_ID: "not-a-tier"}),
    ]
    with sessions.begin() as session:
        insert_awards(session, awards_frame(*rows), batch_id="b1")
        session.execute(update(Award).where(Award.award_key == "k2").values(status="suspended"))
    columns = [LEARNER_EMAIL, ACHIEVEMENT_ID, VALID_FROM, VALID_UNTIL, AWARD_STATUS]
    with sessions() as session:
        held = load_holdings(session, [" ADA@example.org"], {"data-foundations", "data-applied"})
        full = load_awards(session, learner_emails=["ada@example.org"])
    want = full[full[ACHIEVEMENT_ID] != "not-a-tier"][columns]
    key = [ACHIEVEMENT_ID]
    pd.testing.assert_frame_equal(
        held.sort_values(key).reset_index(drop=True), want.sort_values(key).reset_index(drop=True)
    )
    assert sorted(held[AWARD_STATUS]) == ["active", "suspended"]


def _save_alone(sessions, records) -> int:
    with sessions.begin() as session:
        return save_pathway_progress(session, records)


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_two_runs_saving_new_progress_at_once_keep_one_row_with_the_later_values(sessions):
    with sessions.begin() as session:
        insert_awards(session, awards_frame(award("k1")), batch_id="b1")
    later = record(held=2, next_tier="certified", at=AS_OF + timedelta(hours=1))
    with sessions() as first, ThreadPoolExecutor(1) as pool:
        first.begin()
        assert save_pathway_progress(first, [record()]) == 1
        # The second run sees no row yet, so it inserts one; it waits on the unique key.
        second = pool.submit(_save_alone, sessions, [later])
        wait_for_a_lock_wait(sessions)
        first.commit()
        assert second.result(timeout=30) == 1
    with sessions() as session:
        assert load_pathway_progress(session) == [later]
