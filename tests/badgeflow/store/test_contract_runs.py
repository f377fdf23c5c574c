"""The row-drop baseline (previous successful read, same mode) and re-run quarantine cleanup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from badgeflow import store
from badgeflow.models import QUARANTINE_COLUMNS
from badgeflow.store.contract_runs import PreviousRead, clear_quarantine, previous_read

T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def batch(session, batch_id, day, status, rows_in, full_read, source="export"):
    at = T0 + timedelta(days=day)
    store.start_batch(session, batch_id=batch_id, as_of=at, started_at=at)
    section = {"rows_in": rows_in, "full_read": full_read}
    summary = {"contracts": {source: section}}
    store.finish_batch(session, batch_id, status=status, finished_at=at, summary=summary)


def test_the_baseline_is_the_latest_successful_read_of_the_same_kind(sessions):
    with sessions.begin() as session:
        batch(session, "full-old", 0, "succeeded", 500, True)
        batch(session, "full-new", 1, "succeeded", 400, True)
        batch(session, "incr", 2, "succeeded", 30, False)
        batch(session, "full-failed", 3, "failed", 10, True)
        batch(session, "other", 4, "succeeded", 7, True, source="moodle")
    with sessions() as session:
        full = previous_read(session, "export", full_read=True, exclude_batch="now")
        incremental = previous_read(session, "export", full_read=False, exclude_batch="now")
        itself = previous_read(session, "export", full_read=True, exclude_batch="full-new")
        unknown = previous_read(session, "nobody", full_read=True, exclude_batch="now")
    assert full == PreviousRead("full-new", 400)
    assert incremental == PreviousRead("incr", 30)
    assert itself == PreviousRead("full-old", 500)  # a resumed batch is not its own baseline
    assert unknown is None


def test_batches_without_contract_sections_are_no_baseline(sessions):
    with sessions.begin() as session:
        store.start_batch(session, batch_id="legacy", as_of=T0, started_at=T0)
        store.finish_batch(
            session, "legacy", status="succeeded", finished_at=T0, summary={"rows_read": 9}
        )
    with sessions() as session:
        assert previous_read(session, "export", full_read=True, exclude_batch="x") is None


def test_clear_quarantine_forgets_one_source_of_one_batch(sessions):
    def rows(source):
        return pd.DataFrame(
            [[source, 1, f"{source}:1", "bad", None, "expect_x", "score", "999"]],
            columns=list(QUARANTINE_COLUMNS),
        )

    with sessions.begin() as session:
        for batch_id in ("b-1", "b-2"):
            for source in ("export", "moodle"):
                store.record_quarantine(session, rows(source), batch_id=batch_id)
    with sessions.begin() as session:
        assert clear_quarantine(session, batch_id="b-1", source="export") == 1
    with sessions() as session:
        left = [(r.batch_id, r.source) for r in store.list_quarantine(session, batch_id="b-1")]
        assert left == [("b-1", "moodle")]
        assert len(store.list_quarantine(session, batch_id="b-2")) == 2
