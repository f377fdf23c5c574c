"""A 360Learning pull that dies mid-paging loses and duplicates nothing when the batch re-runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from badgeflow import store
from badgeflow.errors import SourceUnavailable
from badgeflow.fakelms.learning360 import FakeLearning360, Learning360Dataset
from badgeflow.pipeline import Runtime, commit_watermarks, ingest_source
from badgeflow.store.schema import Completion
from tests.badgeflow.lms.test_learning360 import CLIENT_ID, DATASET, SECRET
from tests.demo_env import initialise, settings_from, write_config

AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SOURCE = "l360-test"


@pytest.fixture
def env(tmp_path):
    dataset = Learning360Dataset.load(DATASET)
    with FakeLearning360(dataset, CLIENT_ID, SECRET, page_size=2) as server:
        config = write_config(tmp_path, "http://127.0.0.1:9")  # Moodle is never asked here
        with config.open("a", encoding="utf-8") as toml:
            toml.write(
                f'\n[[sources]]\nname = "{SOURCE}"\nkind = "360learning"\n'
                f'base_url = "{server.base_url}"\nclient_id = "{CLIENT_ID}"\n'
                f'client_secret = "{SECRET}"\nretry_attempts = 1\n'
                'path_ids = ["b00000000000000000000201"]\n'
            )
        settings = settings_from(config)
        initialise(settings)
        runtime = Runtime(settings)
        yield runtime, server
        runtime.engine.dispose()


def ingest(runtime: Runtime, batch_id: str):
    with runtime.sessions.begin() as session:
        store.start_batch(session, batch_id=batch_id, as_of=AS_OF, started_at=AS_OF)
    return ingest_source(runtime, SOURCE, batch_id=batch_id, as_of=AS_OF, full_resync=False)


def stored(runtime: Runtime) -> tuple[int, int]:
    with runtime.sessions() as session:
        rows = select(func.count(), func.count(func.distinct(Completion.source_record_id)))
        total, distinct = session.execute(rows.where(Completion.source == SOURCE)).one()
        return total, distinct


@pytest.mark.slow  # the data contract (GX) loads for every ingest: seconds each
def test_a_pull_interrupted_by_server_failure_is_read_whole_by_the_rerun(env):
    runtime, server = env
    # token, course, stats pages 1 and 2 pass; page 3 fails, and retry_attempts = 1
    server.fail_next(1, status=503, after=4)

    with pytest.raises(SourceUnavailable):
        ingest(runtime, "batch-1")

    assert stored(runtime) == (0, 0)
    with runtime.sessions() as session:
        assert store.get_watermark(session, SOURCE) is None

    rerun = ingest(runtime, "batch-2")

    assert rerun.rows_read == 10
    assert stored(runtime) == (rerun.accepted, rerun.accepted)

    commit_watermarks(runtime, [rerun])
    again = ingest(runtime, "batch-3")

    # incremental: completedAt[gte] = watermark - overlap reads the newest completions again
    assert 0 < again.rows_read < rerun.rows_read
    assert again.inserted == 0
    assert stored(runtime) == (rerun.accepted, rerun.accepted)
