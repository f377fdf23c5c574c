"""The reference evaluator: `badgeflow.rules.explain` learner by learner, as an awards frame.

Slow and obviously faithful to `badgeflow.criteria.nodes`; tests hold the vectorised
evaluator to it. Not for production volumes.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from badgeflow.catalog import Catalog
from badgeflow.models import ACHIEVEMENT_ID, AWARD_KEY, LEARNER_EMAIL, VALID_FROM, VALID_UNTIL
from badgeflow.rules.explain import LearnerFacts, new_awards

__all__ = ["REFERENCE_COLUMNS", "reference_awards"]

REFERENCE_COLUMNS = (AWARD_KEY, LEARNER_EMAIL, ACHIEVEMENT_ID, VALID_FROM, VALID_UNTIL)


def reference_awards(
    completions: pd.DataFrame,
    catalog: Catalog,
    *,
    as_of: datetime,
    existing_awards: pd.DataFrame | None = None,
    cohorts: pd.DataFrame | None = None,
    attestations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Compute the new awards the semantics give, for every learner of the inputs.

    Args:
        completions: `COMPLETION_COLUMNS` plus `RECORD_KEY`.
        catalog: the catalog.
        as_of: the batch clock.
        existing_awards: stored awards (`AWARD_COLUMNS`, optional `AWARD_STATUS`).
        cohorts: `COHORT_COLUMNS`.
        attestations: `ATTESTATION_COLUMNS`.

    Returns:
        `REFERENCE_COLUMNS`, sorted by learner, achievement and start; datetimes in UTC.
    """
    emails: set[str] = set()
    for frame in (completions, existing_awards, cohorts, attestations):
        if frame is not None and len(frame):
            emails.update(frame[LEARNER_EMAIL].astype(str).str.strip().str.lower())
    records = []
    for email in sorted(emails):
        facts = LearnerFacts.from_frames(
            email,
            completions=completions,
            awards=existing_awards,
            cohorts=cohorts,
            attestations=attestations,
        )
        for held in new_awards(catalog, facts, as_of=as_of):
            records.append(
                {
                    AWARD_KEY: held.key,
                    LEARNER_EMAIL: email,
                    ACHIEVEMENT_ID: held.achievement,
                    VALID_FROM: held.valid_from,
                    VALID_UNTIL: held.valid_until,
                }
            )
    frame = pd.DataFrame.from_records(records, columns=list(REFERENCE_COLUMNS))
    for column in (VALID_FROM, VALID_UNTIL):
        frame[column] = pd.to_datetime(frame[column], utc=True).astype("datetime64[us, UTC]")
    return frame.sort_values([LEARNER_EMAIL, ACHIEVEMENT_ID, VALID_FROM], ignore_index=True)
