"""The rules engine: pure functions from completions and existing awards to new awards.

`evaluate` is the entry point; the catalog's rule language is described in
``badge_catalog/README.md``.
"""

from __future__ import annotations

from badgeflow.rules._evaluate import AWARDED, NOT_YET_ELIGIBLE, Evaluation, award_key, evaluate

__all__ = ["AWARDED", "NOT_YET_ELIGIBLE", "Evaluation", "award_key", "evaluate"]
