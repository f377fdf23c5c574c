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
    return pd.DataFrame([tuple(row) for row in result], columns=list(_FACT_COLUMNS))


def _figures(facts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The metric columns per group of `keys`, computed column-wise (no per-group Python)."""
    flags = pd.DataFrame(
        {
            **{k: facts[k] for k in keys},
            "issued": 1,
            "accepted": facts["accepted_at"].notna().astype(int),
            "opened": facts["opened_at"].notna().astype(int),
            "linkedin_shared": (facts["linkedin_shares"] > 0).astype(int),
            "shares": facts["shares"].astype(int),
            "verification_views": facts["verification_views"].astype(int),
            "downloads": facts["downloads"].astype(int),
            "bounced": facts["bounced"].astype(bool).astype(int),
            "revoked": (facts["status"] == "revoked").astype(int),
            "bot_hits": facts["bot_hits"].astype(int),
            "hours": pd.to_numeric(facts["hours_to_accept"], errors="coerce").astype(float),
        }
    )
    grouped = flags.groupby(keys, sort=True)
    out = grouped[[c for c in flags.columns if c not in (*keys, "hours")]].sum()
    out["median_hours_to_accept"] = grouped["hours"].median()
    accepted = flags.dropna(subset=["hours"]).sort_values([*keys, "hours"], kind="stable")
    position = accepted.groupby(keys, sort=False).cumcount() + 1
    count = accepted.groupby(keys, sort=False)["hours"].transform("size")
    rank = (count * 9 + 9) // 10  # ceil(0.9 * n) in integers, no float rounding
    p90 = accepted[position == rank].set_index(keys)["hours"]
    out["p90_hours_to_accept"] = p90.reindex(out.index)
    issued = out["issued"].where(out["issued"] > 0)
    out["acceptance_rate"] = out["accepted"] / issued
    out["linkedin_share_rate"] = out["linkedin_shared"] / issued
    out["bounce_rate"] = out["bounced"] / issued
    return out.reset_index()


_METRICS = (
    "issued",
    "accepted",
    "acceptance_rate",
    "median_hours_to_accept",
    "p90_hours_to_accept",
    "opened",
    "linkedin_shared",
    "linkedin_share_rate",
    "shares",
    "verification_views",
    "downloads",
    "bounced",
    "bounce_rate",
    "revoked",
    "bot_hits",
)


def _empty_overall(now: datetime) -> dict[str, Any]:
    zeros: dict[str, Any] = {m: 0 for m in _METRICS}
    for name in _METRICS:
        if name.endswith(("_rate", "_to_accept")):
            zeros[name] = None
    return {"dimension": "overall", "key": "", "week_start": None, **zeros, "computed_at": now}


def compute_rollups(facts: pd.DataFrame, *, now: datetime) -> list[dict[str, Any]]:
    """Every roll-up row: overall and each dimension, over all time and per issue week.

    Args:
        facts: from `read_facts`.
        now: stamped as ``computed_at``.

    Returns:
        Rows for `metric_rollups` (``week_start`` None for all time). ``overall`` always has
        its all-time row, zeros and NULL rates included, so the overall view is never empty.
    """
    if facts.empty:
        return [_empty_overall(now)]
    # One long frame (a copy of the facts per dimension) and two groupbys, not twelve:
    # pandas' fixed cost per groupby dominates at small sizes.
    stacked = pd.concat(
        [
            facts.assign(dimension=dimension, key=facts[column] if column else "")
            for dimension, column in (("overall", ""), *DIMENSIONS)
        ],
        ignore_index=True,
    )
    rows: list[dict[str, Any]] = []
    for keys in (["dimension", "key"], ["dimension", "key", "issued_week"]):
        weekly = "issued_week" in keys
        for record in _figures(stacked, keys).to_dict("records"):
            row = {
                "dimension": record["dimension"],
                "key": str(record["key"]),
                "week_start": record["issued_week"] if weekly else None,
                "computed_at": now,
            }
            for name in _METRICS:
                value = record[name]
                if name.endswith(("_rate", "_to_accept")):
                    row[name] = None if pd.isna(value) else float(value)
                else:
                    row[name] = int(value)
            rows.append(row)
    return rows


def write_rollups(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Replace every roll-up row (inside the caller's transaction)."""
    connection.execute(delete(MetricRollup))
    if rows:
        connection.execute(insert(MetricRollup), rows)
