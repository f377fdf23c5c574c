"""The rules engine: pure, vectorised functions from completions and stored awards to decisions.

`evaluate` is the entry point. Rules are clause trees (`badgeflow.criteria`); their meaning
(dates, expiry, renewal) is defined once, in `badgeflow.criteria.nodes`.
"""

from __future__ import annotations

from badgeflow.rules._evaluate import AWARDED, NOT_YET_ELIGIBLE, Evaluation, evaluate
from badgeflow.rules._periods import award_key

__all__ = ["AWARDED", "NOT_YET_ELIGIBLE", "Evaluation", "award_key", "evaluate"]
