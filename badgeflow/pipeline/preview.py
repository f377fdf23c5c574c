"""A dry run: what tonight's batch would issue, renew, revoke or quarantine, writing nothing.

It reads the configured sources from their stored watermarks, applies the identity map and
the data contract, and evaluates the accepted rows together with what the store already
holds for those learners, exactly as the ingest and award stages would. It never opens a
write transaction: no completions, awards, watermarks, batch row, site or email. Webhook
sources are not read (reading them marks their events as read); they are listed as skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from badgeflow import store
from badgeflow.contracts import load_suite
from badgeflow.contracts_batch import assess_source
from badgeflow.facts import load_facts
from badgeflow.models import (
    ACHIEVEMENT_ID,
    AWARD_KEY,
    AWARD_STATUS,
    COMPLETION_COLUMNS,
    LEARNER_EMAIL,
    REASON,
    RECORD_KEY,
    SOURCE,
    SOURCE_RECORD_ID,
    VALID_FROM,
    VALID_UNTIL,
)
from badgeflow.pipeline.ingest import read_source
from badgeflow.pipeline.runtime import Runtime
from badgeflow.rules import evaluate
from badgeflow.store.contract_runs import previous_read

__all__ = ["Preview", "PreviewAward", "PreviewChange", "SourcePreview", "preview_run"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourcePreview:
    """What one source would contribute; ``skipped`` says why it was not read."""

    source: str
    kind: str
    rows_read: int = 0
    accepted: int = 0
    quarantined: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    skipped: str | None = None
    halt: str | None = None
    """The batch-level contract rule this source would trip (the real batch would halt)."""


@dataclass(frozen=True)
class PreviewAward:
    """An award the batch would make: ``issue`` (first of its kind) or ``renew``."""

    action: str
    learner_email: str
    achievement_id: str
    valid_from: str
    valid_until: str | None
    award_key: str


@dataclass(frozen=True)
class PreviewChange:
    """A stored award whose status the rules would change (e.g. ``suspended``), and why."""

    learner_email: str
    achievement_id: str
    award_key: str
    status: str
    reason: str


@dataclass(frozen=True)
class Preview:
    """The outcome of a dry run."""

    as_of: str
    sources: tuple[SourcePreview, ...]
    awards: tuple[PreviewAward, ...]
    changes: tuple[PreviewChange, ...]
    learners: int

    def totals(self) -> dict[str, int]:
        """Counts per kind of outcome (rows read/quarantined, issue, renew, status changes)."""
        return {
            "rows_read": sum(s.rows_read for s in self.sources),
            "rows_quarantined": sum(s.quarantined for s in self.sources),
            "learners_evaluated": self.learners,
            "issue": sum(a.action == "issue" for a in self.awards),
            "renew": sum(a.action == "renew" for a in self.awards),
            "status_changes": len(self.changes),
        }

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {**asdict(self), "totals": self.totals()}


def preview_run(
    runtime: Runtime, *, as_of: datetime, sources: Sequence[str] = (), full_resync: bool = False
) -> Preview:
    """Do everything a batch would up to the award decision, and store nothing.

    Args:
        runtime: resources built from settings (the database must be initialised).
        as_of: the batch clock.
        sources: names of the sources to read (default: all configured).
        full_resync: ignore the stored watermarks.

    Returns:
        What would be issued, renewed, changed and quarantined.

    Raises:
        SourceError: a source could not be read.
        ContractError: the data contract is missing or the data lacks a required column.
        ConfigurationError: an unknown source name, or a bad identity mapping file.
    """
    names = list(sources) or [s.name for s in runtime.settings.sources]
    suite = load_suite(runtime.settings.contracts_dir)
    previews: list[SourcePreview] = []
    accepted: list[pd.DataFrame] = []
    for name in names:
        settings = runtime.source(name)
        if settings.kind == "webhook":
            previews.append(
                SourcePreview(name, settings.kind, skipped="webhook events are not read")
            )
            continue
        with runtime.sessions() as session:
            stored = store.get_watermark(session, name)
            since = None if full_resync or stored is None else stored - settings.overlap
            previous = previous_read(session, name, full_read=since is None, exclude_batch="")
            session.rollback()
        report = read_source(runtime, name, since=since, as_of=as_of, suite=suite)
        contract = assess_source(
            report,
            source=name,
            suite=suite.name,
            full_read=since is None,
            previous=previous,
            settings=runtime.settings.contracts,
        )
        if not contract.halted:
            accepted.append(report.accepted)
        previews.append(
            SourcePreview(
                name,
                settings.kind,
                rows_read=report.rows_in,
                accepted=len(report.accepted),
                quarantined=len(report.quarantined),
                quarantine_reasons=dict(report.reason_counts),
                halt=contract.message if contract.halted else None,
            )
        )
    new_rows = _with_keys([a for a in accepted if len(a)])
    facts = load_facts(runtime.settings.facts)
    learners = sorted(set(new_rows[LEARNER_EMAIL]) if len(new_rows) else set())
    with runtime.sessions() as session:
        known_rows = store.load_completions(
            session, learner_emails=sorted(set(learners) | facts.learners)
        )
        session.rollback()
    learners, completions, facts = facts.scope(learners, _merge(known_rows, new_rows))
    with runtime.sessions() as session:
        existing = store.load_awards(session, learner_emails=learners)
        session.rollback()
    evaluation = evaluate(
        completions,
        runtime.catalog,
        as_of=as_of,
        existing_awards=existing,
        cohorts=facts.cohorts,
        attestations=facts.attestations,
    )
    logger.info(
        "dry run: %d learners, %d awards would be made", len(learners), len(evaluation.awards)
    )
    return Preview(
        as_of=as_of.isoformat(),
        sources=tuple(previews),
        awards=_awards(evaluation.awards, existing),
        changes=_changes(evaluation.revocations),
        learners=len(learners),
    )


def _with_keys(frames: list[pd.DataFrame]) -> pd.DataFrame:
    columns = [*COMPLETION_COLUMNS, RECORD_KEY]
    if not frames:
        return pd.DataFrame(columns=columns)
    rows = pd.concat(frames, ignore_index=True)
    rows[LEARNER_EMAIL] = rows[LEARNER_EMAIL].astype(str).str.strip().str.lower()
    rows[RECORD_KEY] = rows[SOURCE].astype(str) + ":" + rows[SOURCE_RECORD_ID].astype(str)
    # A record read twice (overlapping pulls) is one record, as the upsert would store it.
    return rows.drop_duplicates(RECORD_KEY, keep="last")[columns].reset_index(drop=True)


def _merge(stored: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """The store as it would be after the upsert: new rows replace stored ones by key."""
    if not len(new):
        return stored
    if not len(stored):
        return new
    kept = stored[~stored[RECORD_KEY].isin(set(new[RECORD_KEY]))]
    # As objects: pandas warns when concatenating all-NA columns of differing dtypes.
    return pd.concat([kept.astype(object), new.astype(object)], ignore_index=True)


def _awards(awards: pd.DataFrame, existing: pd.DataFrame) -> tuple[PreviewAward, ...]:
    before = (
        set(zip(existing[LEARNER_EMAIL], existing[ACHIEVEMENT_ID], strict=True))
        if len(existing)
        else set()
    )
    result = []
    for row in awards.to_dict("records"):
        email, slug = str(row[LEARNER_EMAIL]), str(row[ACHIEVEMENT_ID])
        until = row[VALID_UNTIL]
        result.append(
            PreviewAward(
                action="renew" if (email, slug) in before else "issue",
                learner_email=email,
                achievement_id=slug,
                valid_from=pd.Timestamp(row[VALID_FROM]).isoformat(),
                valid_until=None if pd.isna(until) else pd.Timestamp(until).isoformat(),
                award_key=str(row[AWARD_KEY]),
            )
        )
    return tuple(sorted(result, key=lambda a: (a.action, a.achievement_id, a.learner_email)))


def _changes(revocations: object) -> tuple[PreviewChange, ...]:
    if not isinstance(revocations, pd.DataFrame) or not len(revocations):
        return ()
    return tuple(
        PreviewChange(
            learner_email=str(r[LEARNER_EMAIL]),
            achievement_id=str(r[ACHIEVEMENT_ID]),
            award_key=str(r[AWARD_KEY]),
            status=str(r[AWARD_STATUS]),
            reason=str(r[REASON]),
        )
        for r in revocations.to_dict("records")
    )
