"""Tasks that keep the batch ledger: claim, per-stage status and resume data, finish, report."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType
from prefect.exceptions import ObjectNotFound

from badgeflow import store
from badgeflow.pipeline import BatchSummary
from badgeflow.pipeline.batch_report import BatchReport, artifact_key, report_link
from badgeflow.store import ledger
from badgeflow.store.ledger import BatchClaim
from tasks._retry import RETRY_TRANSIENT
from tasks._settings import get_runtime

LIVE_STATES = frozenset({StateType.RUNNING, StateType.CANCELLING})
QUARANTINE_ROWS_SHOWN = 20


def flow_run_is_live(flow_run_id: str) -> bool:
    """Tell whether a flow run is still running, per the Prefect API.

    A crashed, failed, cancelled or unknown run is not live: its batch may be taken over.
    """
    try:
        run_id = uuid.UUID(flow_run_id)
    except ValueError:
        return False
    with get_client(sync_client=True) as client:
        try:
            run = client.read_flow_run(run_id)
        except ObjectNotFound:
            return False
    return run.state is not None and run.state.type in LIVE_STATES


@task(
    name="claim-batch",
    task_run_name="claim-batch-{batch_id}",
    cache_policy=NO_CACHE,
    **RETRY_TRANSIENT,
)
def claim_batch(
    batch_id: str, parameters: dict[str, Any], as_of: datetime, flow_run_id: str | None
) -> BatchClaim:
    """Create, resume or find done the batch, under a row lock; refuse if a live run owns it."""
    with get_runtime().sessions.begin() as session:
        return ledger.claim_batch(
            session,
            batch_id,
            parameters=parameters,
            as_of=as_of,
            now=datetime.now(UTC),
            flow_run_id=flow_run_id,
            owner_is_live=flow_run_is_live,
        )


def save_progress(batch_id: str, values: dict[str, Any]) -> None:
    """Store resume data on the batch (not a task: it runs per source and per email chunk)."""
    with get_runtime().sessions.begin() as session:
        ledger.save_progress(session, batch_id, values)


@task(name="record-stage", task_run_name="record-{stage}-{status}", cache_policy=NO_CACHE)
def record_stage(
    batch_id: str,
    stage: str,
    status: str,
    started_at: datetime,
    counts: dict[str, int],
    progress: dict[str, Any] | None = None,
) -> None:
    """Store one stage's status and counts on the batch, with its resume data."""
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
        if progress:
            ledger.save_progress(session, batch_id, progress)


@task(name="finish-batch", task_run_name="finish-batch-{status}", cache_policy=NO_CACHE)
def finish_batch(batch_id: str, status: str, summary: dict[str, object]) -> None:
    """Close the batch with its final status and summary."""
    with get_runtime().sessions.begin() as session:
        store.finish_batch(
            session, batch_id, status=status, finished_at=datetime.now(UTC), summary=summary
        )


def batch_counts(batch_id: str) -> tuple[dict[str, int], dict[str, int]]:
    """The batch's awards and credentials per achievement, from the store (exact on resume)."""
    with get_runtime().sessions() as session:
        return (
            ledger.batch_awards_by_achievement(session, batch_id),
            ledger.batch_credentials_by_achievement(session, batch_id),
        )


@task(name="publish-batch-report", task_run_name="report-{batch_id}", cache_policy=NO_CACHE)
def publish_report(batch_id: str, summary: dict[str, Any], note: str = "") -> str:
    """Publish the batch's page (artifact ``batch-<id>``); return the Markdown."""
    runtime = get_runtime()
    with runtime.sessions() as session:
        entry = store.get_batch(session, batch_id)
        sample = ledger.quarantine_sample(session, batch_id, QUARANTINE_ROWS_SHOWN)
        issued = ledger.batch_credentials_by_achievement(session, batch_id)
    parsed = BatchSummary.from_dict(summary)
    report = BatchReport(
        summary=parsed,
        status=str(entry["status"]),
        stages=entry["stages"],
        quarantine=sample,
        report_link=report_link(
            parsed.reports_dir, runtime.settings.ops.reports_url, runtime.settings.var_dir
        ),
        credentials_by_achievement=issued,
        note=note,
    )
    markdown = report.markdown()
    create_markdown_artifact(
        key=artifact_key(batch_id), markdown=markdown, description=f"Batch {batch_id}"
    )
    get_run_logger().info("batch report: artifact %s", artifact_key(batch_id))
    return markdown


@task(name="read-batch", task_run_name="read-batch-{batch_id}", cache_policy=NO_CACHE)
def read_batch(batch_id: str) -> dict[str, Any]:
    """The batch's status and recorded parameters; `UnknownBatch` says how to find the id."""
    with get_runtime().sessions() as session:
        claim = ledger.read_batch_claim(session, batch_id)
        status = str(store.get_batch(session, batch_id)["status"])
    return {"status": status, "parameters": claim.parameters}
