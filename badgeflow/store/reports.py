"""Read-only views for operators: recent batches and the rows they quarantined."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from badgeflow.models import JSONDict
from badgeflow.store.schema import Batch, QuarantinedRow

__all__ = ["QuarantineRecord", "latest_batch_id", "list_batches", "list_quarantine"]


@dataclass(frozen=True)
class QuarantineRecord:
    """One rejected input row, as stored, with the first check it failed."""

    batch_id: str
    source: str
    row_number: int | None
    record_key: str | None
    reason: str
    raw: JSONDict | None
    expectation: str | None = None
    column_name: str | None = None
    value: str | None = None


def list_batches(session: Session, *, limit: int = 20) -> list[dict[str, Any]]:
    """Return the most recent batches, newest first, with status and summary counts."""
    batches = session.scalars(select(Batch).order_by(Batch.started_at.desc()).limit(limit))
    return [
        {
            "id": b.id,
            "as_of": b.as_of,
            "started_at": b.started_at,
            "finished_at": b.finished_at,
            "status": b.status,
            "summary": dict(b.summary),
            "parameters": dict(b.parameters or {}),
            "failed_stages": [
                s for s, v in dict(b.stages).items() if v.get("status") != "succeeded"
            ],
        }
        for b in batches
    ]


def latest_batch_id(session: Session) -> str | None:
    """Return the id of the most recently started batch, or None when there is none."""
    return session.scalar(select(Batch.id).order_by(Batch.started_at.desc()).limit(1))


def list_quarantine(session: Session, *, batch_id: str) -> list[QuarantineRecord]:
    """Return the rows a batch quarantined, in source and row order."""
    rows = session.scalars(
        select(QuarantinedRow)
        .where(QuarantinedRow.batch_id == batch_id)
        .order_by(QuarantinedRow.source, QuarantinedRow.row_number, QuarantinedRow.id)
    )
    return [
        QuarantineRecord(
            batch_id=r.batch_id,
            source=r.source,
            row_number=r.row_number,
            record_key=r.record_key,
            reason=r.reason,
            raw=r.raw,
            expectation=r.expectation,
            column_name=r.column_name,
            value=r.value,
        )
        for r in rows
    ]
