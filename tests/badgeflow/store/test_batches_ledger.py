"""The batch ledger: claiming a batch (new, resumed, done, owned by a live run), resume data."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from badgeflow.errors import BatchInProgress, UnknownBatch
from badgeflow.store import finish_batch, insert_awards, record_stage, save_credentials
from badgeflow.store.ledger import (
    batch_awards_by_achievement,
    batch_credentials_by_achievement,
    claim_batch,
    quarantine_sample,
    read_batch_claim,
    save_progress,
)
from badgeflow.store.schema import QuarantinedRow
from tests.badgeflow.store.factories import AS_OF, award, awards_frame, new_credential

PARAMS = {"as_of": AS_OF.isoformat(), "sources": ["moodle"], "full_resync": False}


def _claim(sessions, run_id, live=(), params=PARAMS, batch_id="b1"):
    with sessions.begin() as session:
        return claim_batch(
            session,
            batch_id,
            parameters=params,
            as_of=AS_OF,
            now=AS_OF,
            flow_run_id=run_id,
            owner_is_live=lambda owner: owner in live,
        )


def test_a_new_batch_records_its_parameters(sessions):
    claim = _claim(sessions, "run-1")
    assert (claim.kind, claim.parameters, claim.stages) == ("new", PARAMS, {})
    with sessions() as session:
        again = read_batch_claim(session, "b1")
    assert again.parameters == PARAMS and again.kind == "resumed"


def test_a_failed_batch_resumes_with_its_recorded_parameters_and_stages(sessions):
    _claim(sessions, "run-1")
    with sessions.begin() as session:
        record_stage(
            session,
            "b1",
            "ingest",
            status="succeeded",
            started_at=AS_OF,
            finished_at=AS_OF + timedelta(seconds=3),
            counts={"rows_read": 4},
        )
        save_progress(session, "b1", {"ingested": {"moodle": {"rows_read": 4}}})
        save_progress(session, "b1", {"summary": {"rows_read": 4}})
        finish_batch(session, "b1", status="failed", finished_at=AS_OF, summary={})
    later = {**PARAMS, "as_of": "2027-01-01T00:00:00+00:00", "accept_contract_breach": True}
    claim = _claim(sessions, "run-2", params=later)

    assert claim.kind == "resumed" and claim.previous_owner == "run-1"
    assert claim.parameters["as_of"] == AS_OF.isoformat()  # the recorded clock wins
    assert claim.parameters["accept_contract_breach"] is True  # an override may be added
    assert claim.stage_done("ingest") == (AS_OF + timedelta(seconds=3)).isoformat()
    assert claim.stage_done("evaluate") is None
    assert claim.progress == {"ingested": {"moodle": {"rows_read": 4}}, "summary": {"rows_read": 4}}
    with sessions() as session:
        assert read_batch_claim(session, "b1").parameters["accept_contract_breach"] is True


def test_a_succeeded_batch_is_reported_done_with_its_summary(sessions):
    _claim(sessions, "run-1")
    with sessions.begin() as session:
        finish_batch(session, "b1", status="succeeded", finished_at=AS_OF, summary={"n": 3})
    claim = _claim(sessions, "run-2", live={"run-1"})
    assert (claim.kind, claim.summary, claim.finished_at) == ("succeeded", {"n": 3}, AS_OF)
    with sessions() as session:
        assert read_batch_claim(session, "b1").kind == "succeeded"


def test_a_batch_owned_by_a_live_run_is_refused_and_a_dead_owner_is_taken_over(sessions):
    _claim(sessions, "run-1")
    with pytest.raises(BatchInProgress, match="flow run run-1, which is still running"):
        _claim(sessions, "run-2", live={"run-1"})
    assert _claim(sessions, "run-1", live={"run-1"}).kind == "resumed"  # its own retry
    claim = _claim(sessions, "run-2", live=set())  # run-1 crashed
    assert (claim.kind, claim.previous_owner) == ("resumed", "run-1")
    with pytest.raises(BatchInProgress, match="Wait for it to finish"):
        _claim(sessions, "run-3", live={"run-2"})


def test_two_runs_claiming_one_new_batch_at_once_get_one_claim(sessions):
    """Both runs are live: exactly one of them may work on the batch."""
    barrier, outcomes = threading.Barrier(2), []

    def run(run_id: str) -> None:
        barrier.wait()
        try:
            outcomes.append(_claim(sessions, run_id, live={"run-a", "run-b"}).kind)
        except BatchInProgress:
            outcomes.append("refused")
        except Exception as exc:  # an insert race surfaces as an integrity error
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=run, args=(r,)) for r in ("run-a", "run-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["new", "refused"]


def test_unknown_batches_say_where_to_find_the_ids(sessions):
    with sessions() as session, pytest.raises(UnknownBatch, match="`badgeflow batches` lists"):
        read_batch_claim(session, "nope")
    with sessions.begin() as session, pytest.raises(UnknownBatch):
        save_progress(session, "nope", {})


def test_per_batch_figures_count_only_the_batch(sessions):
    with sessions.begin() as session:
        ids = insert_awards(session, awards_frame(award("k1"), award("k2")), batch_id="b1")
        other = insert_awards(
            session, awards_frame(award("k3", achievement_id="sql-essentials")), batch_id="b2"
        )
        save_credentials(session, [new_credential(ids[0], "c1", batch_id="b1")])
        save_credentials(session, [new_credential(other[0], "c3", batch_id="b2")])
        session.add_all(
            QuarantinedRow(batch_id=b, source="csv", row_number=n, record_key=f"r{n}", reason=r)
            for b, n, r in [("b1", 2, "bad email ada@example.org"), ("b2", 3, "x"), ("b1", 4, "y")]
        )
    with sessions() as session:
        assert batch_awards_by_achievement(session, "b1") == {"data-foundations": 2}
        assert batch_credentials_by_achievement(session, "b1") == {"data-foundations": 1}
        assert batch_credentials_by_achievement(session, "b2") == {"sql-essentials": 1}
        sample = quarantine_sample(session, "b1", limit=5)
    assert [(q["row"], q["record_id"]) for q in sample] == [(2, "r2"), (4, "r4")]
    assert set(sample[0]) == {"source", "record_id", "row", "reason"}  # never the raw row
