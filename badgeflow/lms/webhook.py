"""The ``webhook`` source: completion events stored by the intake, fed to the next batch.

`fetch_completions` reads the source's unconsumed events (every stored event when `since` is
None, i.e. a first run or a full re-sync) and stamps them as read; the pipeline marks them
consumed when it commits the batch's watermarks (`commit_watermarks`), so events of a
failed batch are read again by the next one, and the idempotent upsert absorbs the repeat.

Vendor events carry no score (and several no email). With a ``score_source`` the vendor's
connector is asked for the same (learner id, course id) and fills in the score, email, name
and module counts; otherwise the completion is stored as not scored (``score_kind`` none), so
achievements that need a minimum score are not awarded from it, while those that need only
the completion are.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from badgeflow import store
from badgeflow.lms._frame import to_completion_frame
from badgeflow.lms._webhook_payloads import map_event
from badgeflow.lms.base import CompletionSource
from badgeflow.models import (
    COMPLETED_AT,
    COURSE_ID,
    COURSE_NAME,
    FETCHED_AT,
    LEARNER_EMAIL,
    LEARNER_ID,
    LEARNER_NAME,
    MODULES_COMPLETED,
    MODULES_TOTAL,
    PARSE_ERRORS,
    PROGRESS_PCT,
    RAW,
    ROW_NUMBER,
    SCORE,
    SCORE_KIND,
    SOURCE,
    SOURCE_RECORD_ID,
)

__all__ = ["WebhookSource"]

logger = logging.getLogger(__name__)

_FILLED = (
    SCORE,
    SCORE_KIND,
    LEARNER_EMAIL,
    LEARNER_NAME,
    COURSE_NAME,
    MODULES_COMPLETED,
    MODULES_TOTAL,
    PROGRESS_PCT,
)
_LOOKBACK = timedelta(days=1)


class WebhookSource:
    """Completions from the events the webhook intake stored for one source.

    Args:
        name: the configured source name (the intake's ``/hooks/<name>``).
        vendor: the events' payload format.
        database_url: the database the intake writes to.
        score_source: the vendor's connector, asked for what the events lack.
    """

    def __init__(
        self,
        name: str,
        vendor: str,
        database_url: str,
        *,
        score_source: CompletionSource | None = None,
    ) -> None:
        self.name = name
        self.vendor = vendor
        self.database_url = database_url
        self.score_source = score_source

    def __repr__(self) -> str:
        return f"WebhookSource(name={self.name!r}, vendor={self.vendor!r})"

    def fetch_completions(self, since: datetime | None, *, fetched_at: datetime) -> pd.DataFrame:
        """Return the stored events as canonical completions, stamping them as read.

        Args:
            since: None reads consumed events too (full re-sync); otherwise unused, since
                consumption, not time, says what is new.
            fetched_at: the batch clock.

        Returns:
            One row per (learner, course): the latest event wins.

        Raises:
            StoreError: the database is not at the current schema.
            SourceError: the score source failed (see its connector).
        """
        engine = store.make_engine(self.database_url)
        try:
            store.check_schema(engine)
            with store.session_factory(engine).begin() as session:
                events = store.read_webhook_events(
                    session, self.name, read_at=fetched_at, include_consumed=since is None
                )
        finally:
            engine.dispose()
        rows: dict[str, dict[str, Any]] = {}
        for event in events:
            record, errors = map_event(event.vendor, event.payload)
            key = f"{record[LEARNER_ID]}:{record[COURSE_ID]}"
            record[SOURCE] = self.name
            record[SOURCE_RECORD_ID] = key
            record[RAW] = {"event_key": event.event_key, "payload": event.payload}
            record[PARSE_ERRORS] = tuple(errors)
            record[FETCHED_AT] = fetched_at
            rows.pop(key, None)  # re-insert: the frame keeps arrival order
            rows[key] = record
        records = list(rows.values())
        if self.score_source is not None:
            self._enrich(records, fetched_at)
        for number, record in enumerate(records, start=1):
            record[ROW_NUMBER] = number
            for column in (MODULES_COMPLETED, MODULES_TOTAL, PROGRESS_PCT):
                record.setdefault(column, None)
        unscored = sum(1 for r in records if r[SCORE] is None)
        logger.info(
            "webhook source %s: %d events, %d completions (%d not scored)",
            self.name,
            len(events),
            len(records),
            unscored,
        )
        return to_completion_frame(records)

    def _enrich(self, records: list[dict[str, Any]], fetched_at: datetime) -> None:
        wanting = [r for r in records if r[SCORE] is None or r[LEARNER_EMAIL] is None]
        if not wanting or self.score_source is None:
            return
        times = [r[COMPLETED_AT] for r in wanting if r[COMPLETED_AT] is not None]
        since = min(times) - _LOOKBACK if times else None
        frame = self.score_source.fetch_completions(since, fetched_at=fetched_at)
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for row in frame.to_dict("records"):
            found[(str(row[LEARNER_ID]), str(row[COURSE_ID]))] = row
        for record in wanting:
            match = found.get((str(record[LEARNER_ID]), str(record[COURSE_ID])))
            if match is None:
                continue
            for column in _FILLED:
                value = match.get(column)
                if record.get(column) is None and value is not None and not pd.isna(value):
                    record[column] = value.item() if hasattr(value, "item") else value
            if record[SCORE] is not None and record[SCORE_KIND] == "none":
                record[SCORE_KIND] = match.get(SCORE_KIND) or "course_total"
