"""The watermark moves only when a batch succeeds; a failed batch's rows are read again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from badgeflow import store
from badgeflow.demo import demo_dataset_path
from badgeflow.fakelms.moodle import FakeMoodle, MoodleDataset
from badgeflow.pipeline import Runtime, commit_watermarks, evaluate_awards, ingest_source
from badgeflow.store.schema import Completion
from tests.demo_env import initialise, settings_from, write_config

AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture
def runtime(tmp_path):
    with FakeMoodle(MoodleDataset.load(demo_dataset_path()), token="demo-token") as moodle:
        settings = settings_from(write_config(tmp_path, moodle.base_url))
        initialise(settings)
        runtime = Runtime(settings)
        yield runtime, moodle
        runtime.engine.dispose()


def ingest_all(runtime: Runtime, batch_id: str, *, full_resync: bool = False):
    with runtime.sessions.begin() as session:
        store.start_batch(session, batch_id=batch_id, as_of=AS_OF, started_at=AS_OF)
    return [
        ingest_source(runtime, s.name, batch_id=batch_id, as_of=AS_OF, full_resync=full_resync)
        for s in runtime.settings.sources
    ]


def watermark(runtime: Runtime, source: str):
    with runtime.sessions() as session:
        return store.get_watermark(session, source)


def completions(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(Completion))


def test_a_batch_that_fails_after_ingest_leaves_the_watermark_and_loses_nothing(runtime):
    runtime, _ = runtime
    first = ingest_all(runtime, "batch-1")
    stored = completions(runtime)
    # ... and the batch dies here (evaluate, issue, publish or notify): nothing commits.

    assert watermark(runtime, "moodle-demo") is None
    assert first[0].watermark is not None

    again = ingest_all(runtime, "batch-2")

    assert [r.rows_read for r in again] == [r.rows_read for r in first]
    assert [r.inserted for r in again] == [0, 0]  # read again, stored once
    assert completions(runtime) == stored
    evaluated = evaluate_awards(runtime, batch_id="batch-2", as_of=AS_OF)
    assert evaluated.new_awards > 0  # the re-run still awards the first batch's learners


def test_after_a_successful_batch_the_next_pull_is_incremental_with_overlap(runtime):
    runtime, moodle = runtime
    first = ingest_all(runtime, "batch-1")
    committed = commit_watermarks(runtime, first)

    newest = first[0].watermark
    assert committed["moodle-demo"] == newest == watermark(runtime, "moodle-demo")
    moodle.calls.clear()

    second = ingest_all(runtime, "batch-2")

    assert second[0].rows_read < first[0].rows_read  # older completions are skipped
    # A CSV export is read whole but keeps only rows completed since the watermark (minus
    # the overlap) and rows without a date.
    assert 0 < second[1].rows_read < first[1].rows_read
    assert second[0].watermark == newest  # never moves backwards
    overlap = runtime.settings.sources[0].overlap
    assert overlap == timedelta(days=1)
    # every Moodle completion inside the overlap window is read again
    recent = [r for r in _moodle_completed(runtime) if r >= newest - overlap]
    assert second[0].rows_read >= len(recent) > 0


def test_full_resync_reads_everything_again(runtime):
    runtime, _ = runtime
    first = ingest_all(runtime, "batch-1")
    commit_watermarks(runtime, first)

    resync = ingest_all(runtime, "batch-2", full_resync=True)

    assert [r.rows_read for r in resync] == [r.rows_read for r in first]
    assert [r.inserted for r in resync] == [0, 0]


def _moodle_completed(runtime: Runtime) -> list[datetime]:
    with runtime.sessions() as session:
        rows = session.scalars(
            select(Completion.completed_at).where(
                Completion.source == "moodle-demo", Completion.completed_at.is_not(None)
            )
        )
        return list(rows)
