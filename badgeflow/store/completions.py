"""Completions (idempotent upsert keyed by source and record id) and quarantined rows."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from badgeflow.models import (
    COLUMN_NAME,
    COMPLETED,
    COMPLETED_AT,
    COMPLETION_COLUMNS,
    COURSE_ID,
    COURSE_NAME,
    EXPECTATION,
    FETCHED_AT,
    LEARNER_EMAIL,
    LEARNER_ID,
    LEARNER_NAME,
    MODULES_COMPLETED,
    MODULES_TOTAL,
    PROGRESS_PCT,
    QUARANTINE_COLUMNS,
    RAW,
    REASON,
    RECORD_KEY,
    ROW_NUMBER,
    SCORE,
    SCORE_KIND,
    SOURCE,
    SOURCE_RECORD_ID,
    SOURCE_SYSTEM,
    VALUE,
)
from badgeflow.store import _frames as fr
from badgeflow.store._bulk import insert_rows
from badgeflow.store.learners import ensure_learners, normalise_email
from badgeflow.store.schema import Completion, Learner, QuarantinedRow

__all__ = [
    "UpsertCounts",
    "batch_record_keys",
    "learner_emails_for",
    "load_completions",
    "record_quarantine",
    "upsert_completions",
]

# Frame column → completion attribute, for the fields whose change makes an update.
# FETCHED_AT is left out on purpose: re-reading an unchanged record is not a change.
_CONTENT: Final = {
    SOURCE_SYSTEM: "source_system",
    LEARNER_ID: "lms_learner_id",
    COURSE_ID: "course_id",
    COURSE_NAME: "course_name",
    COMPLETED: "completed",
    COMPLETED_AT: "completed_at",
    SCORE: "score",
    SCORE_KIND: "score_kind",
    MODULES_COMPLETED: "modules_completed",
    MODULES_TOTAL: "modules_total",
    PROGRESS_PCT: "progress_pct",
    RAW: "raw",
}
_CONTENT_BUT_RAW: Final = {col: attr for col, attr in _CONTENT.items() if col != RAW}
_CONVERT: Final = {
    SOURCE_SYSTEM: fr.to_str,
    LEARNER_ID: fr.to_str,
    COURSE_ID: fr.to_str,
    COURSE_NAME: fr.to_str,
    COMPLETED: fr.to_bool,
    COMPLETED_AT: fr.to_datetime,
    SCORE: fr.to_float,
    SCORE_KIND: fr.to_str,
    MODULES_COMPLETED: fr.to_int,
    MODULES_TOTAL: fr.to_int,
    PROGRESS_PCT: fr.to_float,
    RAW: fr.to_json,
}
_LOADED_KINDS: Final[dict[str, fr.Kind]] = {
    COMPLETED: "bool",
    COMPLETED_AT: "utc",
    FETCHED_AT: "utc",
    SCORE: "float",
    PROGRESS_PCT: "float",
    MODULES_COMPLETED: "int",
    MODULES_TOTAL: "int",
}


@dataclass(frozen=True)
class UpsertCounts:
    """What `upsert_completions` did with the rows it was given."""

    inserted: int
    updated: int
    unchanged: int


def upsert_completions(session: Session, df: pd.DataFrame, *, batch_id: str) -> UpsertCounts:
    """Insert new completions and update changed ones, keyed by (source, source record id).

    Learners are found or created by normalised email. A row identical to the stored one
    (ignoring ``fetched_at``) counts as unchanged. Every row given is marked as seen by this
    batch (``last_batch_id``, ``fetched_at``), so `batch_record_keys` returns all of them.

    Args:
        session: the caller's session; the caller commits.
        df: completions with every column of `COMPLETION_COLUMNS`, already contract-checked.
        batch_id: the current batch.

    Returns:
        How many rows were inserted, updated and left unchanged.

    Raises:
        ValueError: a column is missing, or a row has no learner email (the contract step
            must quarantine those first).
    """
    fr.require_columns(df, COMPLETION_COLUMNS, "completions")
    records = fr.rows(df, COMPLETION_COLUMNS)
    no_email = [f"{r[SOURCE]}:{r[SOURCE_RECORD_ID]}" for r in records if not _email(r)]
    if no_email:
        raise ValueError(f"completions without learner email: {', '.join(no_email[:10])}")
    names = {_email(r): fr.to_str(r[LEARNER_NAME]) for r in records}
    learner_ids = ensure_learners(session, names)
    stored = _existing(session, [(str(r[SOURCE]), str(r[SOURCE_RECORD_ID])) for r in records])
    inserted = updated = unchanged = 0
    fresh: dict[tuple[str, str], dict[str, Any]] = {}  # new rows, inserted in bulk below
    for record in records:
        key = (str(record[SOURCE]), str(record[SOURCE_RECORD_ID]))
        row = stored.get(key)
        pending = fresh.get(key)
        values: dict[str, Any] = {
            attr: _CONVERT[col](record[col]) for col, attr in _CONTENT_BUT_RAW.items()
        }
        # A new row's payload is only stored: the JSON column writes the same text for it
        # un-normalised (`fr.to_payload`); a stored or pending one is compared, normalised.
        new = row is None and pending is None
        values["raw"] = fr.to_payload(record[RAW]) if new else fr.to_json(record[RAW])
        values["learner_id"] = learner_ids[_email(record)]
        if new:
            inserted += 1
        else:
            if pending is not None:
                pending["raw"] = fr.to_json(pending["raw"])  # idempotent on a normalised one
            before = {a: getattr(row, a) for a in values} if row is not None else pending or {}
            if all(before[attr] == value for attr, value in values.items()):
                unchanged += 1
            else:
                updated += 1
        if row is None:
            fresh[key] = {
                **values,
                "source": key[0],
                "source_record_id": key[1],
                "first_batch_id": batch_id,
                "fetched_at": _fetched_at(record),
                "last_batch_id": batch_id,
            }
            continue
        for attr, value in values.items():
            setattr(row, attr, value)
        row.fetched_at = _fetched_at(record)
        row.last_batch_id = batch_id
    session.flush()
    if fresh:
        # One bulk INSERT (executemany) instead of a unit of work per new completion. On the
        # table, not the entity: the ORM's bulk insert splits its batch wherever a row's set
        # of None values changes, down to one statement per row (same stored values). On
        # SQLite without SQLAlchemy's per-row parameter building (`insert_rows`).
        insert_rows(
            session, Completion.metadata.tables[Completion.__tablename__], list(fresh.values())
        )
    return UpsertCounts(inserted=inserted, updated=updated, unchanged=unchanged)


def _fetched_at(record: dict[str, Any]) -> datetime:
    fetched_at = fr.to_datetime(record[FETCHED_AT])
    if fetched_at is None:
        raise ValueError(
            f"completion {record[SOURCE]}:{record[SOURCE_RECORD_ID]} has no fetched_at"
        )
    return fetched_at


def _email(record: dict[str, Any]) -> str:
    email = fr.to_str(record[LEARNER_EMAIL])
    return normalise_email(email) if email and email.strip() else ""


def _existing(session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Completion]:
    by_source: dict[str, list[str]] = {}
    for source, record_id in keys:
        by_source.setdefault(source, []).append(record_id)
    found: dict[tuple[str, str], Completion] = {}
    for source, record_ids in by_source.items():
        for chunk in fr.chunks(sorted(set(record_ids))):
            query = select(Completion).where(
                Completion.source == source, Completion.source_record_id.in_(chunk)
            )
            for row in session.scalars(query):
                found[(row.source, row.source_record_id)] = row
    return found


def record_quarantine(session: Session, df: pd.DataFrame, *, batch_id: str) -> int:
    """Store the rows the data contract rejected, with their reasons and first failure.

    Args:
        session: the caller's session; the caller commits.
        df: rows with the columns of `QUARANTINE_COLUMNS`; the detail ones (`EXPECTATION`,
            `COLUMN_NAME`, `VALUE`) may be left out and are then stored empty.
        batch_id: the current batch.

    Returns:
        The number of rows stored.
    """
    detail = (EXPECTATION, COLUMN_NAME, VALUE)
    fr.require_columns(df, [c for c in QUARANTINE_COLUMNS if c not in detail], "quarantine")
    df = df.assign(**{c: None for c in detail if c not in df.columns})
    records = fr.rows(df, QUARANTINE_COLUMNS)
    session.add_all(
        QuarantinedRow(
            batch_id=batch_id,
            source=fr.to_str(r[SOURCE]) or "",
            row_number=fr.to_int(r[ROW_NUMBER]),
            record_key=fr.to_str(r[RECORD_KEY]),
            reason=fr.to_str(r[REASON]) or "",
            raw=fr.to_json(r[RAW]),
            expectation=fr.to_str(r[EXPECTATION]),
            column_name=fr.to_str(r[COLUMN_NAME]),
            value=fr.to_str(r[VALUE]),
        )
        for r in records
    )
    session.flush()
    return len(records)


def load_completions(
    session: Session, *, learner_emails: Collection[str] | None = None, with_raw: bool = True
) -> pd.DataFrame:
    """Load stored completions in the canonical layout.

    Args:
        session: any session.
        learner_emails: only these learners (any spelling; normalised here); None for all.
        with_raw: load each row's `RAW` payload; False leaves the column empty (None), which
            spares decoding every payload when the caller never reads it (the rules).

    Returns:
        A frame with `COMPLETION_COLUMNS` plus `RECORD_KEY` (``"<source>:<source_record_id>"``),
        sorted by source and record id; datetimes are ``datetime64[us, UTC]``.
    """
    # Plain columns, not entities: no identity map or instance per row (same values).
    content = [(col, attr) for col, attr in _CONTENT.items() if with_raw or col != RAW]
    query = (
        select(
            Completion.source,
            Completion.source_record_id,
            Completion.fetched_at,
            Learner.email,
            Learner.name,
            *(getattr(Completion, attr) for _, attr in content),
        )
        .join(Learner, Completion.learner_id == Learner.id)
        .order_by(Completion.source, Completion.source_record_id)
    )
    results: list[Any] = []
    if learner_emails is None:
        results.extend(session.execute(query))
    else:
        emails = sorted({normalise_email(e) for e in learner_emails})
        for chunk in fr.chunks(emails):
            results.extend(session.execute(query.where(Learner.email.in_(chunk))))
    columns = [col for col, _ in content]
    records = []
    for source, record_id, fetched_at, email, name, *values in results:
        record: dict[str, Any] = dict(zip(columns, values, strict=True))
        if not with_raw:
            record[RAW] = None
        record.update(
            {
                SOURCE: source,
                SOURCE_RECORD_ID: record_id,
                LEARNER_EMAIL: email,
                LEARNER_NAME: name,
                FETCHED_AT: fetched_at,
                RECORD_KEY: f"{source}:{record_id}",
            }
        )
        records.append(record)
    records.sort(key=lambda r: (r[SOURCE], r[SOURCE_RECORD_ID]))
    return fr.frame(records, (*COMPLETION_COLUMNS, RECORD_KEY), _LOADED_KINDS)


def batch_record_keys(session: Session, batch_id: str) -> list[str]:
    """Return the record keys of the completions a batch upserted (inserted, updated or seen).

    Args:
        session: any session.
        batch_id: the batch.

    Returns:
        Sorted ``"<source>:<source_record_id>"`` keys.
    """
    query = select(Completion.source, Completion.source_record_id).where(
        Completion.last_batch_id == batch_id
    )
    return sorted(f"{source}:{record_id}" for source, record_id in session.execute(query))


def learner_emails_for(session: Session, record_keys: Collection[str]) -> list[str]:
    """Return the (normalised) emails of the learners owning these completions.

    Args:
        session: any session.
        record_keys: ``"<source>:<source_record_id>"`` keys; unknown ones are ignored.

    Returns:
        Sorted distinct emails.
    """
    by_source: dict[str, list[str]] = {}
    for key in record_keys:
        source, _, record_id = key.partition(":")
        by_source.setdefault(source, []).append(record_id)
    emails: set[str] = set()
    for source, record_ids in by_source.items():
        for chunk in fr.chunks(sorted(set(record_ids))):
            query = (
                select(Learner.email)
                .join(Completion, Completion.learner_id == Learner.id)
                .where(Completion.source == source, Completion.source_record_id.in_(chunk))
            )
            emails.update(session.scalars(query))
    return sorted(emails)
