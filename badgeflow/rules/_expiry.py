"""Prerequisite expiry: suspend a pathway tier whose required badge lapsed, reinstate it after.

Only pathways with ``on_prerequisite_expiry: suspend`` do this; with ``keep`` (the default)
earned is earned. A tier's *required* badges are the `HoldsBadge` clauses reached from the
root of its rule through `AllOf` only (a badge in an `AnyOf` has alternatives).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import numpy as np

from badgeflow.catalog import Catalog
from badgeflow.criteria import AllOf, Clause, HoldsBadge
from badgeflow.models import ACHIEVEMENT_ID, AWARD_KEY, AWARD_STATUS, LEARNER_EMAIL, REASON
from badgeflow.rules._clauses import Context
from badgeflow.rules._inputs import Bools, Learners

__all__ = ["REINSTATED", "SUSPENDED", "apply_prerequisite_expiry", "required_badges", "suspending"]

SUSPENDED: Final = "suspended"
REINSTATED: Final = "active"


def suspending(catalog: Catalog) -> set[str]:
    """Achievements that are tiers of a pathway whose tiers are suspended on expiry."""
    return {
        tier
        for pathway in catalog.pathways.values()
        if pathway.on_prerequisite_expiry == "suspend"
        for tier in pathway.tiers
    }


def required_badges(rule: Clause) -> tuple[str, ...]:
    """Badges a rule cannot do without: `HoldsBadge` leaves under `AllOf` only, no repeats."""
    return tuple(dict.fromkeys(_required(rule)))


def _required(rule: Clause) -> Iterable[str]:
    if isinstance(rule, HoldsBadge):
        yield rule.achievement
    elif isinstance(rule, AllOf):
        for clause in rule.clauses:
            yield from _required(clause)


def apply_prerequisite_expiry(
    slug: str, rule: Clause, ctx: Context, learners: Learners
) -> list[dict[str, Any]]:
    """Suspend or reinstate the stored awards of one tier, in `ctx`, and say which.

    An active award in its validity period is suspended when a required badge is not
    current at ``as_of``; a suspended one in its period is reinstated when every required
    badge is current again. Call it after the required badges were evaluated.

    Returns:
        One `REVOCATION_COLUMNS` record per award whose status changes.
    """
    needed = required_badges(rule)
    held = ctx.held.get(slug)
    if not needed or held is None or not len(held.learner):
        return []
    missing = np.zeros((len(needed), ctx.size), dtype=bool)
    for i, badge in enumerate(needed):
        missing[i] = ~ctx.current(badge)
    lacking: Bools = np.asarray(missing.any(axis=0))[held.learner]
    running = (held.start <= ctx.as_of) & (held.end > ctx.as_of)
    suspend = held.active & running & lacking
    reinstate = (held.status == SUSPENDED) & running & ~lacking
    changes: list[dict[str, Any]] = []
    for i in np.flatnonzero(suspend | reinstate).tolist():
        learner = int(held.learner[i])
        if suspend[i]:
            gone = [b for b, m in zip(needed, missing[:, learner], strict=True) if m]
            status = SUSPENDED
            reason = f"{slug}: suspended while the {' and '.join(gone)} badge is not current"
        else:
            status = REINSTATED
            reason = f"{slug}: reinstated, the {' and '.join(needed)} badge is current again"
        changes.append(
            {
                AWARD_KEY: held.key[i],
                LEARNER_EMAIL: learners.emails[learner],
                ACHIEVEMENT_ID: slug,
                AWARD_STATUS: status,
                REASON: reason,
            }
        )
    held.active = np.where(suspend, False, np.where(reinstate, True, held.active))
    held.status = np.where(suspend, SUSPENDED, np.where(reinstate, "active", held.status))
    return changes
