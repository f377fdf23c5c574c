"""Rebuild the metrics tables: touched credentials' facts, then roll-ups and the funnel.

The watermark is the ``engagement_cursors`` row ``metrics`` (kind ``metrics``): the highest
``engagement_hits``, ``mail_events`` and ``status_events`` ids already folded in, and a
digest of the catalog's and cohort file's dimensions. A run recomputes the credentials that
are new, had hits, mail events or status events above those ids, or whose award status or
award email state differs from their fact row; a changed digest recomputes all of them.
Readers never see half a rebuild: facts, roll-ups and funnel are replaced in one commit,
and two overlapping rebuilds cannot both commit (compare-and-set on the watermark).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session, sessionmaker

from badgeflow.catalog import load_catalog
from badgeflow.facts import load_cohorts
from badgeflow.metrics.cursor import load_position, save_position
from badgeflow.metrics.facts import Dimensions, compute_facts, write_facts
from badgeflow.metrics.funnel import compute_funnel, write_funnel
from badgeflow.metrics.rollups import compute_rollups, read_facts, write_rollups
from badgeflow.models import COHORT_COLUMNS
from badgeflow.settings import Settings
from badgeflow.store.schema import (
    Award,
    Credential,
    CredentialEngagement,
    EmailOutbox,
    EngagementHit,
    MailEvent,
    StatusEvent,
)

__all__ = ["METRICS_CURSOR", "MetricsReport", "rebuild_metrics"]

logger = logging.getLogger(__name__)

METRICS_CURSOR = "metrics"


@dataclass(frozen=True)
class MetricsReport:
    """What a rebuild did."""

    credentials_recomputed: int
    credentials_total: int
    rollup_rows: int
    funnel_rows: int
    full: bool

    def as_dict(self) -> dict[str, Any]:
        """The figures as a plain dict (for logs, artifacts and JSON output)."""
        return asdict(self)


def rebuild_metrics(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    clock: Callable[[], datetime],
    full: bool = False,
) -> MetricsReport:
    """Bring ``credential_engagement``, ``metric_rollups`` and ``pathway_funnel`` up to date.

    Args:
        settings: catalog folder and cohorts file.
        sessions: session factory on a database at the current schema.
        clock: the run's clock (stamped as ``updated_at``/``computed_at``).
        full: recompute every credential's facts, not only the touched ones.

    Returns:
        The counts of what was recomputed and written.

    Raises:
        ConfigurationError: the catalog or cohorts file cannot be read.
        ConcurrentRun: another rebuild committed first (this one rolled back).
    """
    now = clock()
    catalog = load_catalog(settings.catalog_dir)
    cohorts_file = settings.facts.cohorts_file
    cohorts = load_cohorts(cohorts_file) if cohorts_file else _no_cohorts()
    dimensions = Dimensions.build(catalog, cohorts)
    with sessions.begin() as session:
        position = load_position(session, METRICS_CURSOR, "metrics")
        connection = session.connection()
        marks = _marks(connection)
        full = full or position.state.get("dimensions") != dimensions.fingerprint()
        touched = None if full else _touched(connection, position.state)
        recomputed = 0
        if touched is None or touched:
            facts = compute_facts(connection, dimensions, now=now, credential_ids=touched)
            write_facts(connection, facts, replace=touched)
            recomputed = len(facts)
        all_facts = read_facts(connection)
        rollups = compute_rollups(all_facts, now=now)
        write_rollups(connection, rollups)
        funnel = compute_funnel(connection, catalog, now=now)
        write_funnel(connection, funnel)
        save_position(session, position, {**marks, "dimensions": dimensions.fingerprint()}, at=now)
    report = MetricsReport(
        credentials_recomputed=recomputed,
        credentials_total=len(all_facts),
        rollup_rows=len(rollups),
        funnel_rows=len(funnel),
        full=touched is None,
    )
    logger.info("metrics rebuilt: %s", report.as_dict())
    return report


def _no_cohorts() -> Any:
    import pandas as pd

    return pd.DataFrame(columns=list(COHORT_COLUMNS))


def _marks(connection: Connection) -> dict[str, int]:
    return {
        "hits_id": connection.scalar(select(func.coalesce(func.max(EngagementHit.id), 0))) or 0,
        "mail_events_id": connection.scalar(select(func.coalesce(func.max(MailEvent.id), 0))) or 0,
        "status_events_id": connection.scalar(select(func.coalesce(func.max(StatusEvent.id), 0)))
        or 0,
    }


def _touched(connection: Connection, state: dict[str, Any]) -> set[str]:
    """Credentials whose facts may have changed since the watermark."""
    ce = CredentialEngagement
    queries = [
        select(Credential.id)
        .outerjoin(ce, ce.credential_id == Credential.id)
        .where(ce.credential_id.is_(None)),
        select(EngagementHit.credential_id).where(
            EngagementHit.id > int(state.get("hits_id", 0)), EngagementHit.credential_id != ""
        ),
        select(MailEvent.credential_id).where(
            MailEvent.id > int(state.get("mail_events_id", 0)), MailEvent.credential_id.is_not(None)
        ),
        select(StatusEvent.credential_id).where(
            StatusEvent.id > int(state.get("status_events_id", 0))
        ),
        select(ce.credential_id)
        .join(Credential, Credential.id == ce.credential_id)
        .join(Award, Award.id == Credential.award_id)
        .where(Award.status != ce.status),
        select(ce.credential_id)
        .join(EmailOutbox, EmailOutbox.credential_id == ce.credential_id)
        .where(EmailOutbox.kind == "award", EmailOutbox.status != ce.email_status),
    ]
    touched: set[str] = set()
    for query in queries:
        touched.update(str(row[0]) for row in connection.execute(query.distinct()))
    return touched
