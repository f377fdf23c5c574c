"""The batch ledger: claiming a batch for a run, resume data, and per-batch figures.

A batch is claimed under a row lock (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite a
no-op ``UPDATE`` first, which takes the database's single write lock), so two runs of the
same batch cannot both decide to work on it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from badgeflow.errors import BatchInProgress, UnknownBatch
from badgeflow.store.schema import Award, Batch, Credential, QuarantinedRow

__all__ = [
    "BatchClaim",
    "batch_awards_by_achievement",
    "batch_credentials_by_achievement",
    "claim_batch",
    "quarantine_sample",
    "read_batch_claim",
    "save_progress",
]

ClaimKind = Literal["new", "resumed", "succeeded"]


@dataclass(frozen=True)
class BatchClaim:
    """What a run learns when it claims a batch.

    Attributes:
        batch_id: the batch.
        kind: ``new`` (first run), ``resumed`` (a failed or abandoned batch, run again) or
            ``succeeded`` (already done: the run must do nothing and report `summary`).
        parameters: the parameters recorded by the batch's first run.
        stages: stage name → ``{"status", "started_at", "finished_at", "counts"}``.
        progress: resume data saved by earlier runs (`save_progress`).
        summary: the stored summary (the final one of a succeeded batch).
        finished_at: when the batch finished (succeeded batches).
        previous_owner: the flow run id that owned the batch before this claim.
    """

    batch_id: str
    kind: ClaimKind
    parameters: dict[str, Any]
    stages: dict[str, Any] = field(default_factory=dict)
    progress: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    finished_at: datetime | None = None
    previous_owner: str | None = None

    def stage_done(self, stage: str) -> str | None:
        """When `stage` succeeded in an earlier run (ISO time), else None."""
        entry = self.stages.get(stage) or {}
        return str(entry["finished_at"]) if entry.get("status") == "succeeded" else None


def _locked(session: Session, batch_id: str) -> Batch | None:
    # SQLite: a write first takes the database lock before anything is read.
    session.execute(update(Batch).where(Batch.id == batch_id).values(id=Batch.id))
    return session.scalar(select(Batch).where(Batch.id == batch_id).with_for_update())


def claim_batch(
    session: Session,
    batch_id: str,
    *,
    parameters: Mapping[str, Any],
    as_of: datetime,
    now: datetime,
    flow_run_id: str | None,
    owner_is_live: Callable[[str], bool],
) -> BatchClaim:
    """Claim a batch for this run: create it, resume it, or report it done.

    A batch already running under another flow run is taken over only when that run is no
    longer live (crashed, failed, cancelled: `owner_is_live` says, asked under the lock).
    A resumed batch keeps its recorded parameters; ``accept_contract_breach`` and
    ``full_site_rebuild`` may be switched on by the new run (an admin's override).

    Args:
        session: the caller's session; the caller commits (which releases the lock).
        batch_id: the batch.
        parameters: this run's parameters (JSON-ready), recorded for a new batch.
        as_of: the batch clock of a new batch.
        now: the clock.
        flow_run_id: this run's id.
        owner_is_live: tells whether another flow run id is still running.

    Raises:
        BatchInProgress: another live run owns the batch.
    """
    batch = _locked(session, batch_id)
    if batch is None:
        try:
            with session.begin_nested():  # PostgreSQL: another run may insert it first
                session.add(
                    Batch(
                        id=batch_id,
                        as_of=as_of,
                        started_at=now,
                        status="running",
                        flow_run_id=flow_run_id,
                        stages={},
                        summary={},
                        parameters=dict(parameters),
                        progress={},
                    )
                )
            return BatchClaim(batch_id, "new", dict(parameters))
        except IntegrityError:
            batch = _locked(session, batch_id)
            if batch is None:  # pragma: no cover - the conflicting row was just committed
                raise
    owner = batch.flow_run_id
    if batch.status == "succeeded":
        return _claim(batch, "succeeded", owner)
    if batch.status == "running" and owner and owner != flow_run_id and owner_is_live(owner):
        raise BatchInProgress(
            f"batch {batch_id} is being run by flow run {owner}, which is still running. "
            "Wait for it to finish (or cancel it in the Prefect UI), then run the batch again."
        )
    recorded = dict(batch.parameters or {})
    recorded.setdefault("as_of", batch.as_of.isoformat())  # a batch from before the ledger
    for override in ("accept_contract_breach", "full_site_rebuild"):
        recorded[override] = bool(recorded.get(override)) or bool(parameters.get(override))
    for key, value in parameters.items():
        recorded.setdefault(key, value)  # a batch from before the ledger recorded none
    batch.parameters = recorded
    batch.status = "running"
    batch.finished_at = None
    batch.flow_run_id = flow_run_id
    session.flush()
    return _claim(batch, "resumed", owner)


def _claim(batch: Batch, kind: ClaimKind, owner: str | None) -> BatchClaim:
    return BatchClaim(
        batch_id=batch.id,
        kind=kind,
        parameters=dict(batch.parameters or {}),
        stages=dict(batch.stages or {}),
        progress=dict(batch.progress or {}),
        summary=dict(batch.summary or {}),
        finished_at=batch.finished_at,
        previous_owner=owner,
    )


def read_batch_claim(session: Session, batch_id: str) -> BatchClaim:
    """Read a batch's ledger entry without claiming it (``kind`` is ``resumed``/``succeeded``).

    Raises:
        UnknownBatch: no batch has this id.
    """
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise UnknownBatch(
            f"no batch {batch_id!r} in the ledger: `badgeflow batches` lists the batches "
            "(the id is the nightly run's batch_id, by default its flow run id)"
        )
    return _claim(batch, "succeeded" if batch.status == "succeeded" else "resumed", None)


def save_progress(session: Session, batch_id: str, values: Mapping[str, Any]) -> None:
    """Merge resume data into the batch's ``progress`` (top-level keys are replaced).

    Raises:
        UnknownBatch: no batch has this id.
    """
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise UnknownBatch(f"no batch {batch_id!r} in the ledger")
    batch.progress = {**(batch.progress or {}), **values}  # a new dict: JSON is not tracked
    session.flush()


def batch_awards_by_achievement(session: Session, batch_id: str) -> dict[str, int]:
    """Achievement → awards the batch recorded (the same after a resumed evaluate)."""
    rows = session.execute(
        select(Award.achievement_id, func.count())
        .where(Award.batch_id == batch_id)
        .group_by(Award.achievement_id)
        .order_by(Award.achievement_id)
    )
    return {str(achievement): int(n) for achievement, n in rows}


def batch_credentials_by_achievement(session: Session, batch_id: str) -> dict[str, int]:
    """Achievement → credentials the batch issued (across every run of the batch)."""
    rows = session.execute(
        select(Award.achievement_id, func.count())
        .select_from(Credential)
        .join(Award, Award.id == Credential.award_id)
        .where(Credential.batch_id == batch_id)
        .group_by(Award.achievement_id)
        .order_by(Award.achievement_id)
    )
    return {str(achievement): int(n) for achievement, n in rows}


def quarantine_sample(session: Session, batch_id: str, limit: int) -> list[dict[str, Any]]:
    """The batch's first quarantined rows: source, record id, row number and reason.

    No raw values: the raw row holds the learner's email, which must stay out of the UI.
    """
    rows = session.execute(
        select(
            QuarantinedRow.source,
            QuarantinedRow.record_key,
            QuarantinedRow.row_number,
            QuarantinedRow.reason,
        )
        .where(QuarantinedRow.batch_id == batch_id)
        .order_by(QuarantinedRow.id)
        .limit(limit)
    )
    return [
        {"source": s, "record_id": key or "", "row": number, "reason": reason}
        for s, key, number, reason in rows
    ]
