"""Publish the static verification site."""

from __future__ import annotations

from datetime import datetime

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from badgeflow.pipeline import publish_site
from badgeflow.site.build import SiteReport
from tasks._retry import RETRY_TRANSIENT
from tasks._settings import get_runtime


@task(name="publish-site", cache_policy=NO_CACHE, **RETRY_TRANSIENT)
def publish(generated_at: datetime, full: bool = False) -> SiteReport:
    """Publish the site from the store: only what changed, or everything with ``full``."""
    logger = get_run_logger()

    def progress(done: int, total: int) -> None:
        logger.info("site: %d/%d credential pages rendered", done, total)

    report = publish_site(get_runtime(), generated_at=generated_at, on_progress=progress, full=full)
    logger.info(
        "site: %d files changed, %d unchanged, %d deleted",
        report.files_changed,
        report.files_unchanged,
        report.files_deleted,
    )
    return report
