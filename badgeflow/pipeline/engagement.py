"""The engagement refresh: read new engagement, then bring the metrics tables up to date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from badgeflow.engagement.access_logs import poll_access_logs
from badgeflow.engagement.mail_events import poll_mail_events
from badgeflow.metrics.rebuild import rebuild_metrics
from badgeflow.settings import Settings
from badgeflow.store import check_schema, make_engine, session_factory

__all__ = ["refresh_metrics"]


def refresh_metrics(
    settings: Settings, *, clock: Callable[[], datetime], full: bool = False
) -> dict[str, Any]:
    """Poll every engagement source, then rebuild the metrics (`badgeflow metrics refresh`).

    Each source commits its own events and position first; the rebuild then folds in
    whatever is new, in one transaction of its own.

    Args:
        settings: sources, catalog, cohorts and database.
        clock: the run's clock.
        full: recompute every credential's facts.

    Returns:
        ``{"access_logs": [...], "mail_events": [...], "metrics": ...}``: the per-source
        reports and the rebuild's, as plain data.

    Raises:
        ConfigurationError: the catalog or a facts file cannot be read.
        ConcurrentRun: another refresh committed a source or the rebuild first.
    """
    engine = make_engine(settings.database.url)
    try:
        check_schema(engine)
        sessions = session_factory(engine)
        logs = poll_access_logs(settings, sessions, clock=clock)
        mail = poll_mail_events(settings, sessions, clock=clock)
        metrics = rebuild_metrics(settings, sessions, clock=clock, full=full)
    finally:
        engine.dispose()
    return {
        "access_logs": [r.as_dict() for r in logs],
        "mail_events": [r.as_dict() for r in mail],
        "metrics": metrics.as_dict(),
    }
