"""Awards: idempotent inserts keyed by award key, and the queue of awards to issue."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from badgeflow.models import (
    ACHIEVEMENT_ID,
    AWARD_COLUMNS,
    AWARD_KEY,
    AWARDED_AT,
    EVIDENCE_RECORD_IDS,
    LEARNER_EMAIL,
    LEARNER_NAME,
    SCORE,
    VALID_FROM,
    VALID_UNTIL,
)
from badgeflow.store import _frames as fr
from badgeflow.store._bulk import insert_rows
from badgeflow.store.learners import ensure_learners, normalise_email
from badgeflow.store.schema import Award, Credential, Learner

__all__ = [
    "AWARD_STATUS",
    "AwardToIssue",
    "awards_to_issue",
    "insert_awards",
    "load_awards",
    "pending_award_ids",
    "pending_awards",
]

AWARD_STATUS: Final = "status"
"""Column of `load_awards`: ``active``, ``revoked`` or ``suspended``."""

_LOADED_KINDS: Final[dict[str, fr.Kind]] = {
    AWARDED_AT: "utc",
    VALID_FROM: "utc",
    VALID_UNTIL: "utc",
    SCORE: "float",
}


@dataclass(frozen=True)
class AwardToIssue:
    """An award that has no credential yet, with what the credential needs."""

    award_id: int
    award_key: str
    learner_email: str
    learner_name: str | None
    achievement_id: str
    awarded_at: datetime
    valid_from: datetime
    valid_until: datetime | None
    score: float | None
    evidence: tuple[str, ...]


def load_awards(session: Session, *, learner_emails: Collection[str] | None = None) -> pd.DataFrame:
    """Load stored awards (every status).

    Args:
        session: any session.
        learner_emails: only these learners (normalised here); None for all.

    Returns:
        A frame with `AWARD_COLUMNS` plus `AWARD_STATUS`, sorted by award key; datetimes are
        ``datetime64[us, UTC]`` and `EVIDENCE_RECORD_IDS` holds tuples.
    """
    # Plain columns, not entities: no identity map or instance per row (same values).
    query = select(
        Award.award_key,
        Learner.email,
        Learner.name,
        Award.achievement_id,
        Award.awarded_at,
        Award.valid_from,
        Award.valid_until,
        Award.score,
        Award.evidence,
        Award.status,
    ).join(Learner, Award.learner_id == Learner.id)
    results: list[Any] = []
    if learner_emails is None:
        results.extend(session.execute(query))
    else:
        emails = sorted({normalise_email(e) for e in learner_emails})
        for chunk in fr.chunks(emails):
            results.extend(session.execute(query.where(Learner.email.in_(chunk))))
    records = [
        {
            AWARD_KEY: r.award_key,
            LEARNER_EMAIL: r.email,
            LEARNER_NAME: r.name,
            ACHIEVEMENT_ID: r.achievement_id,
            AWARDED_AT: r.awarded_at,
            VALID_FROM: r.valid_from,
            VALID_UNTIL: r.valid_until,
            SCORE: r.score,
            EVIDENCE_RECORD_IDS: tuple(r.evidence),
            AWARD_STATUS: r.status,
        }
        for r in results
    ]
    records.sort(key=lambda r: str(r[AWARD_KEY]))
    return fr.frame(records, (*AWARD_COLUMNS, AWARD_STATUS), _LOADED_KINDS)


def insert_awards(session: Session, awards_df: pd.DataFrame, *, batch_id: str) -> list[int]:
    """Insert the awards whose key is not stored yet; the rest are ignored.

    Calling it again with the same frame inserts nothing, so a retried task is harmless, and
    an award another run stores meanwhile is skipped (on PostgreSQL the insert waits for
    that run's transaction), not an error.

    Args:
        session: the caller's session; the caller commits.
        awards_df: awards with every column of `AWARD_COLUMNS` (from ``rules.evaluate``).
        batch_id: the current batch.

    Returns:
        The ids of the new award rows, in frame order.

    Raises:
        ValueError: a column is missing or a row has no learner email.
    """
    fr.require_columns(awards_df, AWARD_COLUMNS, "awards")
    # Column by column (each cell as itertuples gives it), then only the new rows' cells.
    keys = [str(k) for k in awards_df[AWARD_KEY].tolist()]
    stored: set[str] = set()
    for chunk in fr.chunks(sorted(set(keys))):
        stored.update(session.scalars(select(Award.award_key).where(Award.award_key.in_(chunk))))
    fresh: dict[str, int] = {}  # key -> its first row
    for at, key in enumerate(keys):
        if key not in stored and key not in fresh:
            fresh[key] = at
    picked = list(fresh.values())

    def cells(column: str) -> list[Any]:
        values = awards_df[column].tolist()
        return [values[at] for at in picked]

    emails = [fr.to_str(v) for v in cells(LEARNER_EMAIL)]
    names: dict[str, str | None] = {}
    for key, email, name in zip(fresh, emails, cells(LEARNER_NAME), strict=True):
        if not email or not email.strip():
            raise ValueError(f"award {key} has no learner email")
        names[normalise_email(email)] = fr.to_str(name)
    learner_ids = ensure_learners(session, names)
    rows = [
        {
            "award_key": key,
            "learner_id": learner_ids[normalise_email(str(email))],
            "achievement_id": str(achievement),
            "awarded_at": fr.to_datetime(awarded),
            "valid_from": fr.to_datetime(valid_from),
            "valid_until": fr.to_datetime(valid_until),
            "score": fr.to_float(score),
            "evidence": fr.to_str_list(evidence),
            "batch_id": batch_id,
            "status": "active",
        }
        for key, email, achievement, awarded, valid_from, valid_until, score, evidence in zip(
            fresh,
            emails,
            cells(ACHIEVEMENT_ID),
            cells(AWARDED_AT),
            cells(VALID_FROM),
            cells(VALID_UNTIL),
            cells(SCORE),
            cells(EVIDENCE_RECORD_IDS),
            strict=True,
        )
    ]
    if not rows:
        return []
    # One bulk INSERT (executemany), then the new ids by key, in chunked queries.
    # On the table: the ORM's bulk insert goes row by row when None values vary; on
    # SQLite without SQLAlchemy's per-row parameter building (`insert_rows`).
    # An award another run stored meanwhile (two sources' batches evaluating the same
    # learner at once) is skipped, and is not this batch's.
    table = Award.metadata.tables[Award.__tablename__]
    insert_rows(session, table, rows, skip_existing=["award_key"])
    ids: dict[str, int] = {}
    for chunk in fr.chunks(list(fresh)):
        # The batch is compared here, not in SQL: there SQLite would pick the batch_id index
        # and read the whole batch's awards for every chunk.
        query = select(Award.award_key, Award.id, Award.batch_id).where(Award.award_key.in_(chunk))
        ids.update((key, id_) for key, id_, batch in session.execute(query) if batch == batch_id)
    return [ids[key] for key in fresh if key in ids]


def _to_issue() -> Select[Award, str, str | None]:
    return (
        select(Award, Learner.email, Learner.name)
        .join(Learner, Award.learner_id == Learner.id)
        .outerjoin(Credential, Credential.award_id == Award.id)
        .where(Credential.id.is_(None), Award.status == "active")
        .order_by(Award.awarded_at, Award.id)
    )


def _award_to_issue(award: Award, email: str, name: str | None) -> AwardToIssue:
    return AwardToIssue(
        award_id=award.id,
        award_key=award.award_key,
        learner_email=email,
        learner_name=name,
        achievement_id=award.achievement_id,
        awarded_at=award.awarded_at,
        valid_from=award.valid_from,
        valid_until=award.valid_until,
        score=award.score,
        evidence=tuple(award.evidence),
    )


def pending_awards(session: Session, *, limit: int | None = None) -> list[AwardToIssue]:
    """Return active awards that have no credential yet, oldest first.

    Args:
        session: any session.
        limit: at most this many; None for all.

    Returns:
        The awards to issue, ordered by ``awarded_at`` then id.
    """
    query = _to_issue() if limit is None else _to_issue().limit(limit)
    return [_award_to_issue(a, e, n) for a, e, n in session.execute(query)]


def pending_award_ids(session: Session) -> list[int]:
    """Return the ids of the awards `pending_awards` would return, in its order.

    Only the ids are read (no award or learner objects): a queue of 100,000 awards stays a
    list of integers.
    """
    query = (
        select(Award.id)
        .join(Learner, Award.learner_id == Learner.id)
        .outerjoin(Credential, Credential.award_id == Award.id)
        .where(Credential.id.is_(None), Award.status == "active")
        .order_by(Award.awarded_at, Award.id)
    )
    return list(session.scalars(query))


def awards_to_issue(session: Session, award_ids: Collection[int]) -> list[AwardToIssue]:
    """Return those of the given awards that still need a credential (active, none yet).

    Used by a chunk of issuance work: awards issued meanwhile (a re-run) drop out. On
    PostgreSQL the awards returned stay locked until the caller's transaction ends, and awards
    another transaction holds are skipped (``FOR UPDATE SKIP LOCKED``): two runs issuing at
    once (batches of two sources overlapping) never sign the same award. SQLite has no row
    locks; there the store's one-credential-per-award rule decides (`save_new_credentials`).

    Args:
        session: the session of the transaction that will store the credentials.
        award_ids: the chunk.

    Returns:
        The awards to issue, ordered by ``awarded_at`` then id.
    """
    # Plain columns, not entities (the same values without an ORM instance per award).
    query = (
        select(
            Award.id,
            Award.award_key,
            Learner.email,
            Learner.name,
            Award.achievement_id,
            Award.awarded_at,
            Award.valid_from,
            Award.valid_until,
            Award.score,
            Award.evidence,
        )
        .join(Learner, Award.learner_id == Learner.id)
        .outerjoin(Credential, Credential.award_id == Award.id)
        .where(Credential.id.is_(None), Award.status == "active")
        .with_for_update(skip_locked=True, of=Award)
    )
    found: list[AwardToIssue] = []
    for chunk in fr.chunks(sorted(set(award_ids))):
        for row in session.execute(query.where(Award.id.in_(chunk))):
            found.append(AwardToIssue(*row[:9], evidence=tuple(row[9])))
    return sorted(found, key=lambda a: (a.awarded_at, a.award_id))
