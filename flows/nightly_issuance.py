"""The nightly issuance flow: completions in, verifiable badges, emails and a site out."""

from __future__ import annotations

import argparse
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run

from badgeflow.errors import BatchHalted
from badgeflow.pipeline import BatchSummary, IngestResult
from tasks import awards, batches, contracts, credentials, lms, notify, site
from tasks._settings import get_settings
from tasks.alerts import alert_ops

T = TypeVar("T")


@flow(name="nightly-issuance", log_prints=False, on_failure=[alert_ops], on_crashed=[alert_ops])
def nightly_issuance(
    as_of: datetime | None = None,
    sources: list[str] | None = None,
    full_resync: bool = False,
    batch_id: str | None = None,
    accept_contract_breach: bool = False,
    full_site_rebuild: bool = False,
) -> dict[str, object]:
    """Run every stage for the configured sources and return the batch summary.

    Args:
        as_of: the batch clock (default: now, UTC). Completions later than this are refused.
        sources: names of the sources to read (default: all configured).
        full_resync: ignore the sources' watermarks and read everything again (the
            watermarks still move forward when the batch succeeds).
        batch_id: resume a batch by id (default: the flow run id, so a retried run resumes).
        accept_contract_breach: proceed even when a batch-level contract rule trips (for an
            admin who has checked the data; logged loudly and kept in the batch summary).
        full_site_rebuild: rebuild every site file and swap the folder in, instead of
            writing only the files that changed.
    """
    logger = get_run_logger()
    settings = get_settings()
    as_of = as_of or datetime.now(UTC)
    batch_id = batch_id or str(flow_run.get_id() or uuid.uuid4())
    summary = BatchSummary(batch_id=batch_id, as_of=as_of.isoformat())
    names = sources or [s.name for s in settings.sources]
    chunk = settings.issuance.chunk_size
    awards.check_catalog()  # a broken catalog fails the run before any batch or ingest
    batches.start_batch(batch_id, as_of, flow_run.get_id())
    ingested: list[IngestResult] = []
    try:
        started = datetime.now(UTC)
        for name in names:
            result = lms.ingest(name, batch_id, as_of, full_resync, accept_contract_breach)
            ingested.append(result)
            summary.rows_read += result.rows_read
            summary.rows_by_source[name] = result.rows_read
            summary.rows_quarantined += result.quarantined
            summary.add_quarantine_reasons(result.quarantine_reasons)
            summary.contracts[name] = result.contract
        reports = contracts.write_reports(batch_id, summary.as_dict())
        summary.reports_dir = reports["dir"]
        summary.halted = contracts.check_batch_rules(batch_id, summary.contracts, reports)
        if summary.halted:
            counts = {"rows_read": summary.rows_read, "quarantined": summary.rows_quarantined}
            batches.record_stage(batch_id, "ingest", "halted", started, counts)
            raise BatchHalted(summary.halted)
        _stage(
            batch_id,
            "ingest",
            started,
            rows_read=summary.rows_read,
            quarantined=summary.rows_quarantined,
        )

        started = datetime.now(UTC)
        evaluated = awards.evaluate(batch_id, as_of)
        summary.rows_awarded = evaluated.rows_awarded
        summary.rows_not_yet_eligible = evaluated.rows_not_yet_eligible
        summary.new_awards = evaluated.new_awards
        summary.awards_by_achievement = evaluated.awards_by_achievement
        summary.pathway_tiers = evaluated.pathway_tiers
        summary.status_changes = evaluated.status_changes
        _stage(batch_id, "evaluate", started, new_awards=evaluated.new_awards)

        started = datetime.now(UTC)
        pending = awards.list_pending_awards()
        issued_at = datetime.now(UTC).replace(microsecond=0)
        for done, ids in _chunks(pending, chunk):
            summary.credentials_issued += credentials.issue_chunk(
                ids, batch_id, issued_at, first_id=ids[0], count=len(ids)
            )
            logger.info("issued %d/%d credentials", done, len(pending))
        _stage(batch_id, "issue", started, credentials=summary.credentials_issued)

        # Publish before notifying: the links in the emails (and the keys in did.json) must
        # be live when the learner opens them.
        started = datetime.now(UTC)
        report = site.publish(as_of, full_site_rebuild)
        summary.site_dir = str(report.output_dir)
        summary.site_credentials = report.credentials_published
        summary.site_files_changed = report.files_changed
        summary.site_files_unchanged = report.files_unchanged
        summary.site_files_deleted = report.files_deleted
        _stage(batch_id, "publish", started, credentials=report.credentials_published)
        started = datetime.now(UTC)
        if settings.mail.bounce_mailbox is not None:
            summary.emails_bounced = notify.read_bounces(started).hard
        queued = notify.queue_emails(started)
        summary.emails_queued = len(queued)
        for done, ids in _chunks(queued, chunk):
            sent = notify.send_chunk(ids, datetime.now(UTC), first_id=ids[0], count=len(ids))
            summary.emails_sent += sent.sent
            summary.emails_failed += sent.failed
            summary.emails_held += sent.held
            summary.emails_deferred += sent.deferred
            logger.info("sent %d/%d emails", done, len(queued))
        _stage(
            batch_id,
            "notify",
            started,
            sent=summary.emails_sent,
            failed=summary.emails_failed,
            held=summary.emails_held,
            bounced=summary.emails_bounced,
        )
        # Only now: a batch that failed anywhere above re-reads its sources' rows next time.
        lms.commit_source_watermarks(ingested)

    except BaseException:
        batches.finish_batch(batch_id, "failed", summary.as_dict())
        raise
    batches.finish_batch(batch_id, "succeeded", summary.as_dict())
    create_markdown_artifact(
        key="batch-summary", markdown=summary.markdown(), description=f"Batch {batch_id}"
    )
    for line in summary.lines():
        logger.info(line)
    return summary.as_dict()


def _stage(batch_id: str, stage: str, started: datetime, **counts: int) -> None:
    batches.record_stage(batch_id, stage, "succeeded", started, counts)


def _chunks(items: Sequence[T], size: int) -> Iterator[tuple[int, list[T]]]:
    for start in range(0, len(items), size):
        part = list(items[start : start + size])
        yield start + len(part), part


def main(argv: Sequence[str] | None = None, run: Callable[..., object] = nightly_issuance) -> None:
    """Run the flow once in this process (Prefect's ephemeral API unless one is configured)."""
    parser = argparse.ArgumentParser(prog="python -m flows.nightly_issuance")
    parser.add_argument("--as-of", type=datetime.fromisoformat, default=None)
    parser.add_argument("--source", action="append", dest="sources")
    parser.add_argument("--full-resync", action="store_true")
    parser.add_argument("--batch-id")
    parser.add_argument("--summary-json", help="write the summary to this file")
    parser.add_argument("--accept-contract-breach", action="store_true")
    parser.add_argument("--full-site-rebuild", action="store_true")
    args = parser.parse_args(argv)
    result = run(
        as_of=args.as_of,
        sources=args.sources,
        full_resync=args.full_resync,
        batch_id=args.batch_id,
        accept_contract_breach=args.accept_contract_breach,
        full_site_rebuild=args.full_site_rebuild,
    )
    if args.summary_json:
        with open(args.summary_json, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main()
