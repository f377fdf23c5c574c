"""Evaluate criteria and pathways; record new awards."""

from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from badgeflow.pipeline import AwardStageResult, evaluate_awards, pending_award_ids
from tasks._settings import get_runtime


@task(name="check-catalog", cache_policy=NO_CACHE)
def check_catalog() -> dict[str, int]:
    """Load and check the badge catalog before anything runs; fail with every file:line problem."""
    catalog = get_runtime().catalog
    return {"achievements": len(catalog.achievements), "pathways": len(catalog.pathways)}


@task(name="evaluate-awards", cache_policy=NO_CACHE)
def evaluate(batch_id: str, as_of: datetime) -> AwardStageResult:
    """Run the rules over the batch's learners and record the awards they earned."""
    return evaluate_awards(get_runtime(), batch_id=batch_id, as_of=as_of)


@task(name="list-pending-awards", cache_policy=NO_CACHE)
def list_pending_awards() -> list[int]:
    """Ids of awards without a credential (tonight's and any left by an earlier failure)."""
    return pending_award_ids(get_runtime())
