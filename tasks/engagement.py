"""Engagement tasks: poll the access logs and mail events, rebuild the metrics, publish them.

Each task covers one source kind or one whole step (never one item), and talks to the store in
its own transactions; the saved read positions make every poll safe to retry or to overlap.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from sqlalchemy.orm import Session, sessionmaker

from badgeflow import store
from badgeflow.engagement.access_logs import poll_access_logs
from badgeflow.engagement.mail_events import poll_mail_events
from badgeflow.metrics.dashboard import dashboard_dir, write_dashboard
from badgeflow.metrics.export import export_metrics
from badgeflow.metrics.read import read_view
from badgeflow.metrics.rebuild import rebuild_metrics
from badgeflow.metrics.views import view
from tasks._retry import retry_if_transient
from tasks._settings import get_settings

# The views published as table artifacts, each under its own key (the UI keeps their history).
ARTIFACT_VIEWS = (
    "metrics_overall",
    "metrics_by_achievement",
    "metrics_by_course",
    "metrics_pathway_funnel",
)


def _now() -> datetime:
    return datetime.now(UTC)


def _sessions() -> sessionmaker[Session]:
    engine = store.make_engine(get_settings().database.url)
    store.check_schema(engine)
    return store.session_factory(engine)


@task(
    name="poll-access-logs", cache_policy=NO_CACHE, retries=2, retry_condition_fn=retry_if_transient
)
def poll_logs() -> list[dict[str, str | int | bool]]:
    """Read what the site's access logs gained since the last poll into deduplicated hits."""
    logger = get_run_logger()
    reports = poll_access_logs(get_settings(), _sessions(), clock=_now, progress=logger.info)
    for report in reports:
        logger.info("access log %s: %s", report.source, report.as_dict())
    return [r.as_dict() for r in reports]


@task(
    name="poll-mail-events", cache_policy=NO_CACHE, retries=2, retry_condition_fn=retry_if_transient
)
def poll_mail() -> list[dict[str, object]]:
    """Read new mail provider events (delivered, opened, bounced...)."""
    logger = get_run_logger()
    reports = poll_mail_events(get_settings(), _sessions(), clock=_now)
    for report in reports:
        logger.info("mail events %s: %s", report.source, report.as_dict())
    return [r.as_dict() for r in reports]


@task(
    name="rebuild-metrics", cache_policy=NO_CACHE, retries=1, retry_condition_fn=retry_if_transient
)
def rebuild(full: bool = False) -> dict[str, object]:
    """Recompute the facts of the credentials that changed, then the roll-ups and the funnel."""
    report = rebuild_metrics(get_settings(), _sessions(), clock=_now, full=full)
    get_run_logger().info("metrics: %s", report.as_dict())
    return report.as_dict()


@task(name="write-dashboard", cache_policy=NO_CACHE)
def dashboard() -> str:
    """Write the static dashboard; returns its index page."""
    settings = get_settings()
    engine = store.make_engine(settings.database.url)
    with engine.connect() as connection:
        report = write_dashboard(connection, dashboard_dir(settings), clock=_now)
    get_run_logger().info("dashboard written to %s", report.path)
    return str(report.path)


@task(name="export-metrics", cache_policy=NO_CACHE)
def export(out_dir: str) -> list[str]:
    """Write every metrics view as CSV and Parquet into ``out_dir``."""
    engine = store.make_engine(get_settings().database.url)
    with engine.connect() as connection:
        paths = export_metrics(connection, Path(out_dir))
    get_run_logger().info("exported %d files to %s", len(paths), out_dir)
    return [str(p) for p in paths]


@task(name="publish-metrics-artifacts", cache_policy=NO_CACHE)
def publish_artifacts() -> None:
    """Publish the headline views as Prefect table artifacts (the same columns as the views)."""
    engine = store.make_engine(get_settings().database.url)
    with engine.connect() as connection:
        for name in ARTIFACT_VIEWS:
            frame = read_view(connection, name, limit=1000)
            rows = [
                {column: _cell(value) for column, value in row.items()}
                for row in frame.to_dict(orient="records")
            ]
            create_table_artifact(
                key=name.replace("_", "-"), table=rows, description=f"{name}: {view(name).grain}"
            )


def _cell(value: object) -> object:
    """A JSON-friendly table cell: NULL/NaN as None, dates as ISO text."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bool | int | float | str):
        return value
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else str(value)
