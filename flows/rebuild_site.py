"""The rebuild-site flow: publish the verification site from the store, on demand or weekly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from tasks import site
from tasks.alerts import alert_ops


@flow(name="rebuild-site", log_prints=False, on_failure=[alert_ops], on_crashed=[alert_ops])
def rebuild_site(mode: Literal["incremental", "full"] = "incremental") -> dict[str, object]:
    """Publish the site and status lists from the store.

    Args:
        mode: incremental writes only the files that changed; full rebuilds every file and
            swaps the folder in (after a template, catalog or base URL change).
    """
    logger = get_run_logger()
    report = site.publish(datetime.now(UTC).replace(microsecond=0), mode == "full")
    summary: dict[str, object] = {
        "mode": mode,
        "output_dir": str(report.output_dir),
        "credentials": report.credentials_published,
        "files_changed": report.files_changed,
        "files_unchanged": report.files_unchanged,
        "files_deleted": report.files_deleted,
    }
    create_markdown_artifact(
        key="rebuild-site",
        markdown=f"# Site published ({mode})\n\n"
        + "\n".join(f"- {name.replace('_', ' ')}: `{value}`" for name, value in summary.items())
        + "\n",
        description="Site rebuild",
    )
    logger.info("site %s: %d files changed", mode, report.files_changed)
    return summary
