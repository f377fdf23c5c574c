"""Sign and bake credentials, a chunk per task run."""

from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from badgeflow.pipeline import issue_credentials
from tasks._retry import RETRY_TRANSIENT
from tasks._settings import get_runtime


@task(
    name="issue-credentials",
    task_run_name="issue-{first_id}+{count}",
    cache_policy=NO_CACHE,
    **RETRY_TRANSIENT,
)
def issue_chunk(
    award_ids: list[int], batch_id: str, issued_at: datetime, first_id: int, count: int
) -> int:
    """Sign, bake and store the credentials of one chunk of awards."""
    return issue_credentials(get_runtime(), award_ids, batch_id=batch_id, issued_at=issued_at)
