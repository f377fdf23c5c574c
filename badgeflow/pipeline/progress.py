"""Pathway progress ("Data Skills: 2 of 3, next: ...") and the tier report (holders per tier).

A tier counts when the learner holds a current, active award of it at the batch clock.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

import pandas as pd
from sqlalchemy.orm import Session

from badgeflow.catalog import Catalog
from badgeflow.models import ACHIEVEMENT_ID, AWARD_STATUS, LEARNER_EMAIL, VALID_FROM, VALID_UNTIL
from badgeflow.store.progress import (
    ProgressRecord,
    count_holders,
    load_holdings,
    save_pathway_progress,
)

__all__ = [
    "TierReport",
    "record_progress",
    "pathway_progress",
    "progress_line",
    "tier_report",
    "tier_report_lines",
    "update_pathway_progress",
]

TierReport = dict[str, dict[str, int]]
"""Pathway slug → tier slug (in pathway order) → learners holding it."""


def pathway_progress(
    catalog: Catalog, awards: pd.DataFrame, learners: Collection[str], *, as_of: datetime
) -> list[ProgressRecord]:
    """Compute each learner's progress along every pathway of the catalog.

    Args:
        catalog: the catalog (its pathways).
        awards: stored awards (`AWARD_COLUMNS` plus `AWARD_STATUS`), any learners.
        learners: normalised emails to compute progress for.
        as_of: the clock; only awards current and active at it count.

    Returns:
        One record per learner and pathway, sorted by learner then pathway.
    """
    held: dict[str, set[str]] = {}
    if len(awards):
        start = pd.to_datetime(awards[VALID_FROM], utc=True)
        end = pd.to_datetime(awards[VALID_UNTIL], utc=True)
        status = awards[AWARD_STATUS] if AWARD_STATUS in awards else "active"
        current = (status == "active") & (start <= as_of) & (end.isna() | (end > as_of))
        for email, slug in zip(
            awards.loc[current, LEARNER_EMAIL], awards.loc[current, ACHIEVEMENT_ID], strict=True
        ):
            held.setdefault(str(email).strip().lower(), set()).add(str(slug))
    records = []
    for email in sorted({e.strip().lower() for e in learners}):
        mine = held.get(email, set())
        for slug in sorted(catalog.pathways):
            tiers = catalog.pathways[slug].tiers
            missing = [t for t in tiers if t not in mine]
            records.append(
                ProgressRecord(
                    learner_email=email,
                    pathway=slug,
                    tiers_held=len(tiers) - len(missing),
                    tiers_total=len(tiers),
                    next_tier=missing[0] if missing else None,
                    updated_at=as_of,
                )
            )
    return records


def update_pathway_progress(
    session: Session, catalog: Catalog, learners: Sequence[str], *, as_of: datetime
) -> int:
    """Recompute and store the pathway progress of these learners (call after new awards).

    Args:
        session: the award stage's session (flushed, not committed).
        catalog: the catalog.
        learners: normalised emails the batch touched.
        as_of: the batch clock.

    Returns:
        Progress rows written.
    """
    if not catalog.pathways or not learners:
        return 0
    # Only the tiers' awards, and only the columns `pathway_progress` reads.
    tiers = {t for p in catalog.pathways.values() for t in p.tiers}
    awards = load_holdings(session, learners, tiers)
    return save_pathway_progress(session, pathway_progress(catalog, awards, learners, as_of=as_of))


def tier_report(session: Session, catalog: Catalog, *, as_of: datetime) -> TierReport:
    """Count, per pathway, the learners holding each tier (a current, active award).

    Args:
        session: any session.
        catalog: the catalog.
        as_of: the clock.

    Returns:
        Pathway → tier → learners, pathways sorted, tiers in pathway order.
    """
    slugs = {t for p in catalog.pathways.values() for t in p.tiers}
    counts = count_holders(session, slugs, as_of=as_of) if slugs else {}
    return {
        slug: {tier: counts[tier] for tier in catalog.pathways[slug].tiers}
        for slug in sorted(catalog.pathways)
    }


def tier_report_lines(report: TierReport, catalog: Catalog) -> list[str]:
    """Plain-text lines of a tier report, one per tier under its pathway's name.

    Args:
        report: from `tier_report`.
        catalog: the catalog (names).

    Returns:
        The lines (empty when there are no pathways).
    """
    lines = []
    for slug, tiers in report.items():
        pathway = catalog.pathways.get(slug)
        lines.append(f"{pathway.name if pathway else slug} ({slug})")
        for n, (tier, holders) in enumerate(tiers.items(), start=1):
            lines.append(f"  tier {n}  {tier:<34} {holders:>7} learners")
    return lines


def progress_line(record: ProgressRecord, catalog: Catalog) -> str:
    """One learner's progress in words, e.g. ``Data Skills: 2 of 3, next: certified-...``.

    Args:
        record: a progress record.
        catalog: the catalog (pathway names).

    Returns:
        The line.
    """
    pathway = catalog.pathways.get(record.pathway)
    name = pathway.name if pathway else record.pathway
    after = f", next: {record.next_tier}" if record.next_tier else ", complete"
    return f"{name}: {record.tiers_held} of {record.tiers_total}{after}"


def record_progress(
    session: Session, catalog: Catalog, learners: Sequence[str], *, as_of: datetime
) -> TierReport:
    """The award stage's step: store the touched learners' progress, return the tier report.

    Args:
        session: the award stage's session, after the new awards are inserted.
        catalog: the catalog.
        learners: normalised emails the batch touched.
        as_of: the batch clock.

    Returns:
        The tier report of the whole store (for the batch summary).
    """
    update_pathway_progress(session, catalog, learners, as_of=as_of)
    return tier_report(session, catalog, as_of=as_of)
