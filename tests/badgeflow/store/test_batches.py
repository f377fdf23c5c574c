"""Batch bookkeeping, watermarks and row counts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from badgeflow.store import (
    count_rows,
    finish_batch,
    get_batch,
    get_watermark,
    record_stage,
    set_watermark,
    start_batch,
)
from tests.badgeflow.store.factories import AS_OF, EXPECTED_TABLES


def test_batch_lifecycle(sessions):
    with sessions.begin() as session:
        start_batch(session, batch_id="b1", as_of=AS_OF, started_at=AS_OF, flow_run_id="run-1")
    with sessions.begin() as session:
        record_stage(
            session,
            "b1",
            "ingest",
            status="succeeded",
            started_at=AS_OF,
            finished_at=AS_OF + timedelta(seconds=5),
            counts={"inserted": 3, "quarantined": 1},
        )
        record_stage(
            session,
            "b1",
            "award",
            status="succeeded",
            started_at=AS_OF,
            finished_at=AS_OF,
            counts={"new_awards": 2},
        )
    with sessions.begin() as session:
        finish_batch(
            session,
            "b1",
            status="succeeded",
            finished_at=AS_OF + timedelta(minutes=1),
            summary={"ok": True},
        )
    with sessions() as session:
        batch = get_batch(session, "b1")
    assert batch["status"] == "succeeded"
    assert batch["flow_run_id"] == "run-1"
    assert batch["as_of"] == AS_OF
    assert batch["finished_at"] == AS_OF + timedelta(minutes=1)
    assert batch["summary"] == {"ok": True}
    assert set(batch["stages"]) == {"ingest", "award"}
    assert batch["stages"]["ingest"] == {
        "status": "succeeded",
        "started_at": AS_OF.isoformat(),
        "finished_at": (AS_OF + timedelta(seconds=5)).isoformat(),
        "counts": {"inserted": 3, "quarantined": 1},
    }


def test_starting_an_existing_batch_resumes_it(sessions):
    with sessions.begin() as session:
        start_batch(session, batch_id="b1", as_of=AS_OF, started_at=AS_OF)
        record_stage(
            session, "b1", "ingest", status="failed", started_at=AS_OF, finished_at=AS_OF, counts={}
        )
        finish_batch(session, "b1", status="failed", finished_at=AS_OF, summary={})
    with sessions.begin() as session:
        start_batch(session, batch_id="b1", as_of=AS_OF, started_at=AS_OF, flow_run_id="run-2")
    with sessions() as session:
        batch = get_batch(session, "b1")
    assert (batch["status"], batch["finished_at"], batch["flow_run_id"]) == (
        "running",
        None,
        "run-2",
    )
    assert "ingest" in batch["stages"]


def test_unknown_batch_and_bad_status(sessions):
    with sessions() as session:
        with pytest.raises(KeyError):
            get_batch(session, "nope")
        start_batch(session, batch_id="b1", as_of=AS_OF, started_at=AS_OF)
        with pytest.raises(ValueError, match="final batch status"):
            finish_batch(session, "b1", status="running", finished_at=AS_OF, summary={})


def test_watermarks(sessions):
    with sessions.begin() as session:
        assert get_watermark(session, "moodle-main") is None
        set_watermark(session, "moodle-main", "moodle", AS_OF)
    with sessions.begin() as session:
        assert get_watermark(session, "moodle-main") == AS_OF
        set_watermark(session, "moodle-main", "moodle", AS_OF + timedelta(days=1))
        set_watermark(session, "csv-export", "csv", None)
    with sessions() as session:
        assert get_watermark(session, "moodle-main") == AS_OF + timedelta(days=1)
        assert get_watermark(session, "csv-export") is None
        assert count_rows(session)["sources"] == 2


def test_count_rows_covers_every_table(sessions):
    with sessions() as session:
        counts = count_rows(session)
    assert set(counts) == EXPECTED_TABLES
    # The migration seeds one status slot counter per purpose (revocation, suspension).
    assert counts.pop("status_counters") == 2
    assert set(counts.values()) == {0}
