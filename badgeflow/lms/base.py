"""The seam every completion source plugs into."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

import pandas as pd

__all__ = ["CompletionSource"]


@runtime_checkable
class CompletionSource(Protocol):
    """Something that yields completion records in the canonical layout.

    The returned frame has every column of `badgeflow.models.COMPLETION_COLUMNS` plus
    `ROW_NUMBER` and `PARSE_ERRORS`, one row per (learner, course, completion). A connector
    never drops a record it received: a value it cannot parse becomes missing and the problem
    goes into that row's `PARSE_ERRORS`, so the contract step can quarantine it with a reason.
    Network and authentication failures raise `SourceUnavailable` / `SourceAuthError`; a
    configured course the LMS does not know raises `SourceConfigError`. HTTP connectors are
    built on `badgeflow.lms._http` (see ``badgeflow/lms/README.md``).
    """

    name: str

    def fetch_completions(self, since: datetime | None, *, fetched_at: datetime) -> pd.DataFrame:
        """Return completions changed at or after `since` (all of them when None).

        Args:
            since: lower bound (UTC) of the records to return: the source's watermark
                minus its overlap window, already applied by the caller. Connectors filter
                on the server where the LMS allows it, else drop older completions
                themselves (keeping learners still in progress); an export returns
                everything and idempotent storage absorbs repeats.
            fetched_at: the batch clock, stored in `FETCHED_AT`.

        Returns:
            The canonical completion frame.
        """
        ...
