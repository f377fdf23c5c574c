"""Tasks that keep the batch record: start, per-stage status, finish."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from badgeflow import store
from tasks._settings import get_runtime


@task(name="start-batch", cache_policy=NO_CACHE)
def start_batch(batch_id: str, as_of: datetime, flow_run_id: str | None) -> str:
    """Record a new batch (or resume one with the same id: re-running a failed batch)."""
    runtime = get_runtime()
    with runtime.sessions.begin() as session:
        store.start_batch(
            session,
            batch_id=batch_id,
            as_of=as_of,
            started_at=datetime.now(UTC),
            flow_run_id=flow_run_id,
        )
    return batch_id


@task(name="record-stage", cache_policy=NO_CACHE)
def record_stage(
    batch_id: str, stage: str, status: str, started_at: datetime, counts: dict[str, int]
) -> None:
    """Store one stage's status and counts on the batch."""
    with get_runtime().sessions.begin() as session:
        store.record_stage(
            session,
            batch_id,
            stage,
            status=status,
            started_at=started_at,
            finished_at=datetime.now(UTC),
            counts=counts,
        )


@task(name="finish-batch", cache_policy=NO_CACHE)
def finish_batch(batch_id: str, status: str, summary: dict[str, object]) -> None:
    """Close the batch with its final status and summary."""
    with get_runtime().sessions.begin() as session:
        store.finish_batch(
            session, batch_id, status=status, finished_at=datetime.now(UTC), summary=summary
        )
