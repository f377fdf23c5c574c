"""Extract, validate and store one completion source."""

from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from badgeflow.pipeline import IngestResult, commit_watermarks, ingest_source
from tasks._retry import retry_if_transient
from tasks._settings import get_runtime


@task(
    name="ingest-source",
    task_run_name="ingest-{source_name}",
    cache_policy=NO_CACHE,
    retries=3,
    retry_delay_seconds=[10, 60, 300],
    retry_jitter_factor=0.5,
    retry_condition_fn=retry_if_transient,
)
def ingest(
    source_name: str,
    batch_id: str,
    as_of: datetime,
    full_resync: bool,
    accept_contract_breach: bool = False,
) -> IngestResult:
    """Pull one source, quarantine bad rows with reasons, upsert the rest."""
    return ingest_source(
        get_runtime(),
        source_name,
        batch_id=batch_id,
        as_of=as_of,
        full_resync=full_resync,
        accept_contract_breach=accept_contract_breach,
    )


@task(name="commit-watermarks", cache_policy=NO_CACHE)
def commit_source_watermarks(results: list[IngestResult]) -> dict[str, str]:
    """Move the sources' watermarks forward; the flow calls it once the batch succeeded."""
    stored = commit_watermarks(get_runtime(), results)
    return {source: watermark.isoformat() for source, watermark in stored.items()}
