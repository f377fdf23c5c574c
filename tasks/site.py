"""Publish the static verification site."""

from __future__ import annotations

from datetime import datetime

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from badgeflow.pipeline import publish_site
from badgeflow.site.build import SiteReport
from tasks._settings import get_runtime


@task(name="publish-site", cache_policy=NO_CACHE, retries=1)
def publish(generated_at: datetime) -> SiteReport:
    """Rebuild the site from the store and swap it in."""
    logger = get_run_logger()

    def progress(done: int, total: int) -> None:
        logger.info("site: %d/%d credential pages written", done, total)

    return publish_site(get_runtime(), generated_at=generated_at, on_progress=progress)
