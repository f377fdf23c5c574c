"""What earlier batches read from a source (for the row-drop rule), and re-run housekeeping."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from badgeflow.store.schema import Batch, QuarantinedRow

__all__ = ["SUMMARY_CONTRACTS", "PreviousRead", "clear_quarantine", "previous_read"]

SUMMARY_CONTRACTS: Final = "contracts"
"""Key of a batch summary holding, per source, its contract section (``rows_in``,
``full_read``, ...), as `badgeflow.contracts_batch.SourceContract.as_dict` writes it."""
_SCAN: Final = 200  # batches looked at; a source read in none of them has no baseline


@dataclass(frozen=True)
class PreviousRead:
    """How many rows a source gave an earlier successful batch."""

    batch_id: str
    rows_in: int


def previous_read(
    session: Session, source: str, *, full_read: bool, exclude_batch: str
) -> PreviousRead | None:
    """Find the rows a source gave the latest successful batch that read it the same way.

    Full reads are compared with full reads and incremental pulls with incremental pulls:
    an incremental pull's size says how busy the night was, not whether the export is whole.

    Args:
        session: any session.
        source: the configured source name.
        full_read: whether the current read is a full one (no watermark).
        exclude_batch: the current batch (a resumed batch is not its own baseline).

    Returns:
        The baseline, or None when no earlier successful batch read the source that way.
    """
    rows = session.execute(
        select(Batch.id, Batch.summary)
        .where(Batch.status == "succeeded", Batch.id != exclude_batch)
        .order_by(Batch.started_at.desc())
        .limit(_SCAN)
    )
    for batch_id, summary in rows:
        section = (summary or {}).get(SUMMARY_CONTRACTS, {}).get(source)
        if not isinstance(section, dict) or section.get("full_read") is not full_read:
            continue
        count = section.get("rows_in")
        if isinstance(count, int):
            return PreviousRead(batch_id=batch_id, rows_in=count)
    return None


def clear_quarantine(session: Session, *, batch_id: str, source: str) -> int:
    """Forget the rows a source quarantined in a batch, before that batch reads it again.

    A halted batch is re-run under the same id; without this its quarantine (and its
    report) would list the rows of both attempts.

    Args:
        session: the caller's session; the caller commits.
        batch_id: the batch being (re-)run.
        source: the source about to be read.

    Returns:
        The number of rows deleted.
    """
    result = session.execute(
        delete(QuarantinedRow).where(
            QuarantinedRow.batch_id == batch_id, QuarantinedRow.source == source
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
