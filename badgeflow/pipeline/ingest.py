"""Stage 1: extract one source, validate it against its contract, store what passes."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from badgeflow import store
from badgeflow.contracts import ContractReport, load_suite, validate_completions
from badgeflow.contracts_batch import assess_source
from badgeflow.identity import apply_identity_map, load_identity_map
from badgeflow.lms import build_source
from badgeflow.lms.csv_export import CsvExportSource
from badgeflow.models import COMPLETED_AT
from badgeflow.pipeline._gc import gc_frozen
from badgeflow.pipeline.runtime import Runtime
from badgeflow.store.contract_runs import clear_quarantine, previous_read

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

__all__ = ["IngestResult", "commit_watermarks", "ingest_source", "read_source"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    """What one source contributed to a batch; ``rows_read == accepted + quarantined``.

    `watermark` is how far the source has now been read (the newest accepted completion,
    never behind the stored watermark); `commit_watermarks` stores it once the whole batch
    has succeeded. `contract` is the source's `SourceContract.as_dict` (batch-level rules
    included); when it says ``halted``, no accepted row was stored and ``inserted`` and
    ``updated`` are 0.
    """

    source: str
    rows_read: int
    accepted: int
    quarantined: int
    inserted: int
    updated: int
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    kind: str = ""
    watermark: datetime | None = None
    contract: dict[str, Any] = field(default_factory=dict)


def ingest_source(
    runtime: Runtime,
    source_name: str,
    *,
    batch_id: str,
    as_of: datetime,
    full_resync: bool,
    accept_contract_breach: bool = False,
) -> IngestResult:
    """Pull a source's completions, quarantine bad rows, and upsert the rest.

    An incremental pull asks for completions since the stored watermark minus the source's
    ``overlap``. With ``identity.mapping_file`` set, each row gets its canonical learner
    email from it before the contract runs (`badgeflow.identity`). The watermark is *not*
    moved here: the batch may still fail after this stage, and its rows must then be read
    again by the re-run (the upsert is idempotent, so rows read twice are stored once).
    The flow calls `commit_watermarks` at the very end. When a batch-level contract rule
    trips (`badgeflow.contracts_batch`), only the quarantined rows are stored and the
    result's ``contract["halted"]`` tells the flow to stop.

    Args:
        runtime: resources built from settings.
        source_name: the configured source to read.
        batch_id: the batch these rows belong to.
        as_of: the batch clock (also the contract's notion of "now").
        full_resync: ignore the source's watermark and read everything.
        accept_contract_breach: the admin's override: store the accepted rows even when a
            batch-level rule trips (logged loudly).

    Returns:
        Row counts and the new watermark; quarantined rows are stored with their reasons.

    Raises:
        SourceError: the source could not be read (`SourceUnavailable` is worth a retry).
        ContractError: the data contract is missing, or the data lacks a required column.
        ConfigurationError: the identity mapping file is unreadable or invalid.
    """
    with gc_frozen():
        return _ingest_source(
            runtime,
            source_name,
            batch_id=batch_id,
            as_of=as_of,
            full_resync=full_resync,
            accept_contract_breach=accept_contract_breach,
        )


def _ingest_source(
    runtime: Runtime,
    source_name: str,
    *,
    batch_id: str,
    as_of: datetime,
    full_resync: bool,
    accept_contract_breach: bool,
) -> IngestResult:
    settings = runtime.source(source_name)
    with runtime.sessions() as session:
        stored = store.get_watermark(session, source_name)
    since = None if full_resync or stored is None else stored - settings.overlap
    with runtime.sessions() as session:
        previous = previous_read(
            session, source_name, full_read=since is None, exclude_batch=batch_id
        )
    suite = load_suite(runtime.settings.contracts_dir)
    report = read_source(runtime, source_name, since=since, as_of=as_of, suite=suite)
    contract = assess_source(
        report,
        source=source_name,
        suite=suite.name,
        full_read=since is None,
        previous=previous,
        settings=runtime.settings.contracts,
        accept_breach=accept_contract_breach,
    )
    accepted = report.accepted.iloc[0:0] if contract.halted else report.accepted
    with runtime.sessions.begin() as session:
        clear_quarantine(session, batch_id=batch_id, source=source_name)
        counts = store.upsert_completions(session, accepted, batch_id=batch_id)
        store.record_quarantine(session, report.quarantined, batch_id=batch_id)
    newest = accepted[COMPLETED_AT].dropna().max() if len(accepted) else None
    newest = newest.to_pydatetime() if newest is not None and newest == newest else None
    watermark = max((w for w in (stored, newest) if w is not None), default=None)
    if len(report.quarantined):
        logger.warning(
            "source %s: %d rows quarantined (%s)",
            source_name,
            len(report.quarantined),
            ", ".join(f"{k}: {v}" for k, v in report.reason_counts.items()),
        )
    return IngestResult(
        source=source_name,
        rows_read=report.rows_in,
        accepted=len(report.accepted),
        quarantined=len(report.quarantined),
        inserted=counts.inserted,
        updated=counts.updated,
        quarantine_reasons=dict(report.reason_counts),
        kind=settings.kind,
        watermark=watermark,
        contract=contract.as_dict(),
    )


def _with_export_screen(report: ContractReport, source: object) -> ContractReport:
    # Rows the export contract rejected before mapping join the canonical contract's.
    if not isinstance(source, CsvExportSource) or source.quarantined.empty:
        return report
    reasons = Counter(source.quarantine_reasons) + Counter(report.reason_counts)
    return ContractReport(
        accepted=report.accepted,
        quarantined=(
            pd.concat([source.quarantined, report.quarantined], ignore_index=True)
            if len(report.quarantined)
            else source.quarantined
        ),
        expectation_results=report.expectation_results,
        rows_in=report.rows_in + len(source.quarantined),
        reason_counts=dict(reasons.most_common()),
    )


def read_source(
    runtime: Runtime,
    source_name: str,
    *,
    since: datetime | None,
    as_of: datetime,
    suite: ExpectationSuite,
) -> ContractReport:
    """Read one source and validate it, storing nothing (the batch and the dry run share it).

    A CSV export is first screened against its vendor's suite (rows failing it never reach
    mapping); the identity map, when configured, gives each row its canonical email; then
    the canonical contract runs. The report counts every row read.

    Args:
        runtime: resources built from settings.
        source_name: the configured source to read.
        since: read completions from this time (None: everything).
        as_of: the batch clock (the contract's notion of "now").
        suite: the canonical contract (`badgeflow.contracts.load_suite`).

    Returns:
        The accepted and quarantined rows of the source.
    """
    source = build_source(runtime.source(source_name))
    if isinstance(source, CsvExportSource):  # raw export rows meet their vendor's contract
        source.contracts_dir = runtime.settings.contracts_dir
    frame = source.fetch_completions(since, fetched_at=as_of)
    logger.info("source %s: %d rows read (since %s)", source_name, len(frame), since)
    mapping_file = runtime.settings.identity.mapping_file
    if mapping_file is not None:
        names = [s.name for s in runtime.settings.sources]
        frame = apply_identity_map(
            frame, source_name, load_identity_map(mapping_file, sources=names)
        )
    return _with_export_screen(validate_completions(frame, suite=suite, as_of=as_of), source)


def commit_watermarks(runtime: Runtime, results: Iterable[IngestResult]) -> dict[str, datetime]:
    """Store each source's new watermark; call it only once the whole batch has succeeded.

    Webhook sources' events read by this batch are marked consumed in the same transaction.

    Args:
        runtime: resources built from settings.
        results: the ingest results of the batch.

    Returns:
        Source name → watermark stored (sources without one are left as they were).
    """
    stored: dict[str, datetime] = {}
    with runtime.sessions.begin() as session:
        for result in results:
            if result.watermark is not None:
                store.set_watermark(session, result.source, result.kind, result.watermark)
                stored[result.source] = result.watermark
            if result.kind == "webhook":
                store.consume_webhook_events(session, result.source)
    for source, watermark in stored.items():
        logger.info("source %s: watermark now %s", source, watermark.isoformat())
    return stored
