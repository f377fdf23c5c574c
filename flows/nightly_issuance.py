"""The nightly issuance flow: completions in, verifiable badges, emails and a site out."""

from __future__ import annotations

import argparse
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from prefect import flow, get_run_logger
from prefect.concurrency.sync import concurrency
from prefect.runtime import flow_run

from flows._batch import BatchParameters, BatchRun
from tasks import awards, batches
from tasks._settings import get_settings
from tasks.alerts import alert_ops


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

    A batch is recorded in badgeflow's ledger (``badgeflow batches``). Run again with the
    same ``batch_id`` (the UI's Retry, Copy to new run, a new run, or ``rerun-batch``), a
    failed batch resumes at the stage that failed with the parameters it was started with,
    and a batch that already succeeded does nothing and returns its stored summary.

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
    run_id = flow_run.get_id()
    batch_id = batch_id or str(run_id or uuid.uuid4())
    awards.check_catalog()  # a broken catalog fails the run before any batch or ingest
    asked = BatchParameters(
        as_of=as_of or datetime.now(UTC),
        sources=list(sources or [s.name for s in settings.sources]),
        full_resync=full_resync,
        accept_contract_breach=accept_contract_breach,
        full_site_rebuild=full_site_rebuild,
    )
    claim = batches.claim_batch(batch_id, asked.as_dict(), asked.as_of, run_id)
    if claim.kind == "succeeded":
        note = (
            f"Batch {batch_id} already succeeded at {claim.finished_at}: nothing was done "
            "again; this is its stored summary."
        )
        logger.info(note)
        batches.publish_report(batch_id, claim.summary, note)
        return claim.summary
    params = BatchParameters.from_dict(claim.parameters)
    if claim.kind == "resumed":
        logger.info(
            "batch %s resumes (previous run %s) with its recorded parameters: as of %s, "
            "sources %s, full_resync %s, accept_contract_breach %s, full_site_rebuild %s",
            batch_id,
            claim.previous_owner,
            params.as_of.isoformat(),
            ", ".join(params.sources),
            params.full_resync,
            params.accept_contract_breach,
            params.full_site_rebuild,
        )
    # One batch per source at a time, however it was started (no-op without the limits).
    limits = [f"badgeflow-source-{name}" for name in params.sources]
    with concurrency(limits, occupy=1, strict=False):
        return BatchRun(batch_id, params, claim).run()


def _run_name() -> str:
    """The flow run's name in the UI: ``batch 1a2b3c4d (moodle, canvas)``."""
    parameters = flow_run.get_parameters()
    batch = str(parameters.get("batch_id") or flow_run.get_id() or "new")
    sources = parameters.get("sources") or ["all sources"]
    return f"batch {batch if len(batch) <= 16 else batch[:8]} ({', '.join(map(str, sources))})"


# The decorator line is shared with the ops hooks: the run name is set here instead.
nightly_issuance = nightly_issuance.with_options(flow_run_name=_run_name)


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
