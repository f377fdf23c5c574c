"""Batch bookkeeping, source watermarks and row counts for the run summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from badgeflow.store.schema import BATCH_STATUSES, Base, Batch, Source

__all__ = [
    "count_rows",
    "finish_batch",
    "get_batch",
    "get_watermark",
    "record_stage",
    "set_watermark",
    "start_batch",
]


def _batch(session: Session, batch_id: str) -> Batch:
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise KeyError(f"unknown batch {batch_id!r}")
    return batch


def start_batch(
    session: Session,
    *,
    batch_id: str,
    as_of: datetime,
    started_at: datetime,
    flow_run_id: str | None = None,
) -> None:
    """Record the start of a batch (status ``running``).

    Starting a batch that already exists resumes it: its status goes back to ``running`` and
    its stages are kept, so re-running a failed batch (or retrying the task) is harmless.

    Args:
        session: the caller's session; the caller commits.
        batch_id: a UUID string chosen by the caller.
        as_of: the business date/time the batch evaluates (aware).
        started_at: the batch clock (aware).
        flow_run_id: the orchestrator's run id, for cross-reference.
    """
    existing = session.get(Batch, batch_id)
    if existing is not None:
        existing.status = "running"
        existing.finished_at = None
        if flow_run_id is not None:
            existing.flow_run_id = flow_run_id
        session.flush()
        return
    session.add(
        Batch(
            id=batch_id,
            as_of=as_of,
            started_at=started_at,
            status="running",
            flow_run_id=flow_run_id,
            stages={},
            summary={},
        )
    )
    session.flush()


def record_stage(
    session: Session,
    batch_id: str,
    stage: str,
    *,
    status: str,
    started_at: datetime,
    finished_at: datetime,
    counts: dict[str, int],
) -> None:
    """Record (or overwrite) the outcome of one stage of a batch.

    Args:
        session: the caller's session; the caller commits.
        batch_id: the batch.
        stage: stage name, e.g. ``ingest`` or ``issue``.
        status: free-form stage status, e.g. ``succeeded``.
        started_at: when the stage started (aware).
        finished_at: when it finished (aware).
        counts: named counts, e.g. ``{"inserted": 3, "quarantined": 1}``.

    Raises:
        KeyError: the batch does not exist.
    """
    batch = _batch(session, batch_id)
    entry = {
        "status": status,
        "started_at": started_at.isoformat(),
        "finished_at": finished_at.isoformat(),
        "counts": {name: int(value) for name, value in counts.items()},
    }
    # Assign a new dict: JSON columns do not track in-place mutation.
    batch.stages = {**batch.stages, stage: entry}
    session.flush()


def finish_batch(
    session: Session, batch_id: str, *, status: str, finished_at: datetime, summary: dict[str, Any]
) -> None:
    """Close a batch with its final status and summary.

    Args:
        session: the caller's session; the caller commits.
        batch_id: the batch.
        status: ``succeeded`` or ``failed``.
        finished_at: the batch clock at the end (aware).
        summary: JSON-serialisable summary of the run.

    Raises:
        KeyError: the batch does not exist.
        ValueError: the status is not a final one.
    """
    if status not in BATCH_STATUSES or status == "running":
        raise ValueError(f"final batch status must be succeeded or failed, got {status!r}")
    batch = _batch(session, batch_id)
    batch.status = status
    batch.finished_at = finished_at
    batch.summary = dict(summary)
    session.flush()


def get_batch(session: Session, batch_id: str) -> dict[str, Any]:
    """Return a batch as plain data.

    Returns:
        Keys ``id``, ``as_of``, ``started_at``, ``finished_at``, ``status``, ``flow_run_id``,
        ``stages`` and ``summary``.

    Raises:
        KeyError: the batch does not exist.
    """
    batch = _batch(session, batch_id)
    return {
        "id": batch.id,
        "as_of": batch.as_of,
        "started_at": batch.started_at,
        "finished_at": batch.finished_at,
        "status": batch.status,
        "flow_run_id": batch.flow_run_id,
        "stages": dict(batch.stages),
        "summary": dict(batch.summary),
    }


def get_watermark(session: Session, source: str) -> datetime | None:
    """Return how far a source has been read (None when never read).

    Args:
        session: any session.
        source: the configured source name.
    """
    return session.scalar(select(Source.watermark).where(Source.name == source))


def set_watermark(session: Session, source: str, kind: str, value: datetime | None) -> None:
    """Store how far a source has been read, registering the source on first use.

    Args:
        session: the caller's session; the caller commits.
        source: the configured source name.
        kind: its connector kind (``csv``, ``moodle``...).
        value: the new watermark (aware), or None to read everything next time.
    """
    row = session.scalar(select(Source).where(Source.name == source))
    if row is None:
        session.add(Source(name=source, kind=kind, watermark=value))
    else:
        row.kind = kind
        row.watermark = value
    session.flush()


def count_rows(session: Session) -> dict[str, int]:
    """Count the rows of every table, for the run summary.

    Returns:
        Table name → row count, for every table of the schema.
    """
    return {
        table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
        for table in Base.metadata.sorted_tables
    }
