"""Roll-ups (`metric_rollups`): the figures of `METRIC_COLUMNS` per dimension value and week.

Recomputed in full from ``credential_engagement`` on every rebuild: one read and a few
groupbys, cheap even at 100,000 credentials (``bench/`` measures it), and a full recompute
cannot drift from the facts the way incremental sums could.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete, insert, select

from badgeflow.metrics.views import DIMENSIONS
from badgeflow.store.schema import CredentialEngagement, MetricRollup

__all__ = ["compute_rollups", "nearest_rank", "read_facts", "write_rollups"]

_FACT_COLUMNS = (
    "credential_id",
    *(column for _, column in DIMENSIONS),
    "issued_week",
    "status",
    "bounced",
    "opened_at",
    "accepted_at",
    "hours_to_accept",
    "linkedin_shares",
    "shares",
    "verification_views",
    "downloads",
    "bot_hits",
)


def nearest_rank(values: np.ndarray[Any, Any], percentile: float) -> float | None:
    """The nearest-rank percentile: the ceil(p/100 * n)-th smallest value; None when empty."""
    if len(values) == 0:
        return None
    ordered = np.sort(values)
    rank = max(1, math.ceil(percentile / 100 * len(ordered)))
    return float(ordered[rank - 1])


def read_facts(connection: Connection) -> pd.DataFrame:
    """Every fact row, with the columns the roll-ups need."""
    table = CredentialEngagement.__table__
    result = connection.execute(select(*(table.c[c] for c in _FACT_COLUMNS)))
    return pd.DataFrame(result.all(), columns=list(_FACT_COLUMNS))


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _figures(group: pd.DataFrame) -> dict[str, Any]:
    issued = len(group)
    hours = group["hours_to_accept"].dropna().to_numpy(dtype=float)
    accepted = int(group["accepted_at"].notna().sum())
    linkedin = int((group["linkedin_shares"] > 0).sum())
    bounced = int(group["bounced"].astype(bool).sum())
    return {
        "issued": issued,
        "accepted": accepted,
        "acceptance_rate": _rate(accepted, issued),
        "median_hours_to_accept": float(np.median(hours)) if len(hours) else None,
        "p90_hours_to_accept": nearest_rank(hours, 90),
        "opened": int(group["opened_at"].notna().sum()),
        "linkedin_shared": linkedin,
        "linkedin_share_rate": _rate(linkedin, issued),
        "shares": int(group["shares"].sum()),
        "verification_views": int(group["verification_views"].sum()),
        "downloads": int(group["downloads"].sum()),
        "bounced": bounced,
        "bounce_rate": _rate(bounced, issued),
        "revoked": int((group["status"] == "revoked").sum()),
        "bot_hits": int(group["bot_hits"].sum()),
    }


def compute_rollups(facts: pd.DataFrame, *, now: datetime) -> list[dict[str, Any]]:
    """Every roll-up row: overall and each dimension, over all time and per issue week.

    Args:
        facts: from `read_facts`.
        now: stamped as ``computed_at``.

    Returns:
        Rows for `metric_rollups` (``week_start`` None for all time). ``overall`` always has
        its all-time row, zeros and NULL rates included, so the overall view is never empty.
    """
    facts = facts.assign(overall="")
    rows: list[dict[str, Any]] = []
    for dimension, column in (("overall", "overall"), *DIMENSIONS):
        for weekly in (False, True):
            keys = [column, "issued_week"] if weekly else [column]
            for key, group in facts.groupby(keys, sort=True):
                parts = key if isinstance(key, tuple) else (key,)
                rows.append(
                    {
                        "dimension": dimension,
                        "key": str(parts[0]),
                        "week_start": parts[1] if weekly else None,
                        **_figures(group),
                        "computed_at": now,
                    }
                )
    if facts.empty:
        rows.append(
            {
                "dimension": "overall",
                "key": "",
                "week_start": None,
                **_figures(facts),
                "computed_at": now,
            }
        )
    return rows


def write_rollups(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Replace every roll-up row (inside the caller's transaction)."""
    connection.execute(delete(MetricRollup))
    if rows:
        connection.execute(insert(MetricRollup), rows)
