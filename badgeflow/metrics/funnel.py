"""The pathway funnel (`pathway_funnel`): how many learners hold each tier of each pathway."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select

from badgeflow.catalog import Catalog
from badgeflow.store.schema import Award, PathwayFunnelTier

__all__ = ["compute_funnel", "write_funnel"]


def compute_funnel(
    connection: Connection, catalog: Catalog, *, now: datetime
) -> list[dict[str, Any]]:
    """One row per tier of every catalog pathway.

    A learner holds a tier when they have an ``active`` award, not expired at `now`, for
    every achievement of the tier (a tier of two parallel achievements needs both).

    Args:
        connection: inside the caller's transaction.
        catalog: the badge catalog (pathways and achievement names).
        now: what "not expired" is measured against; stamped as ``computed_at``.

    Returns:
        Rows for `pathway_funnel`, pathways by slug, tiers in order.
    """
    held: dict[str, set[int]] = {}
    query = select(Award.learner_id, Award.achievement_id).where(
        Award.status == "active", or_(Award.valid_until.is_(None), Award.valid_until > now)
    )
    for learner_id, achievement_id in connection.execute(query):
        held.setdefault(achievement_id, set()).add(learner_id)
    rows: list[dict[str, Any]] = []
    for slug in sorted(catalog.pathways):
        pathway = catalog.pathways[slug]
        first: int | None = None
        for number, level in enumerate(pathway.levels, start=1):
            learners = set.intersection(*(held.get(a, set()) for a in level))
            first = len(learners) if first is None else first
            names = [
                catalog.achievements[a].name if a in catalog.achievements else a for a in level
            ]
            rows.append(
                {
                    "pathway": slug,
                    "pathway_name": pathway.name,
                    "tier": number,
                    "achievement_ids": list(level),
                    "tier_name": " + ".join(names),
                    "learners": len(learners),
                    "share_of_first_tier": len(learners) / first if first else None,
                    "computed_at": now,
                }
            )
    return rows


def write_funnel(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Replace every funnel row (inside the caller's transaction)."""
    connection.execute(delete(PathwayFunnelTier))
    if rows:
        connection.execute(insert(PathwayFunnelTier), rows)
