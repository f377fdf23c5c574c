"""Stage 1: extract one source, validate it against its contract, store what passes."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from badgeflow import store
from badgeflow.contracts import load_suite, validate_completions
from badgeflow.lms import build_source
from badgeflow.models import COMPLETED_AT
from badgeflow.pipeline.runtime import Runtime

__all__ = ["IngestResult", "ingest_source"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    """What one source contributed to a batch; ``rows_read == accepted + quarantined``."""

    source: str
    rows_read: int
    accepted: int
    quarantined: int
    inserted: int
    updated: int
    quarantine_reasons: dict[str, int] = field(default_factory=dict)


def ingest_source(
    runtime: Runtime, source_name: str, *, batch_id: str, as_of: datetime, full_resync: bool
) -> IngestResult:
    """Pull a source's completions, quarantine bad rows, and upsert the rest.

    Args:
        runtime: resources built from settings.
        source_name: the configured source to read.
        batch_id: the batch these rows belong to.
        as_of: the batch clock (also the contract's notion of "now").
        full_resync: ignore the source's watermark and read everything.

    Returns:
        Row counts; the quarantined rows themselves are stored with their reasons.

    Raises:
        SourceError: the source could not be read (`SourceUnavailable` is worth a retry).
        ContractError: the data contract is missing, or the data lacks a required column.
    """
    settings = runtime.source(source_name)
    with runtime.sessions() as session:
        since = None if full_resync else store.get_watermark(session, source_name)
    frame = build_source(settings).fetch_completions(since, fetched_at=as_of)
    logger.info("source %s: %d rows read (since %s)", source_name, len(frame), since)

    report = validate_completions(
        frame, suite=load_suite(runtime.settings.contracts_dir), as_of=as_of
    )
    with runtime.sessions.begin() as session:
        counts = store.upsert_completions(session, report.accepted, batch_id=batch_id)
        store.record_quarantine(session, report.quarantined, batch_id=batch_id)
        newest = report.accepted[COMPLETED_AT].dropna().max() if len(report.accepted) else None
        watermark = newest.to_pydatetime() if newest is not None and newest == newest else since
        if watermark is not None:
            store.set_watermark(session, source_name, settings.kind, watermark)
    if len(report.quarantined):
        logger.warning(
            "source %s: %d rows quarantined (%s)",
            source_name,
            len(report.quarantined),
            ", ".join(f"{k}: {v}" for k, v in report.reason_counts.items()),
        )
    return IngestResult(
        source=source_name,
        rows_read=len(frame),
        accepted=len(report.accepted),
        quarantined=len(report.quarantined),
        inserted=counts.inserted,
        updated=counts.updated,
        quarantine_reasons=dict(report.reason_counts),
    )
