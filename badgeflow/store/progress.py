"""Pathway progress per learner, and how many learners currently hold each achievement."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from badgeflow.models import ACHIEVEMENT_ID, AWARD_STATUS, LEARNER_EMAIL, VALID_FROM, VALID_UNTIL
from badgeflow.store._bulk import dialect_insert
from badgeflow.store._frames import chunks, frame
from badgeflow.store.learners import normalise_email
from badgeflow.store.schema import Award, Learner, PathwayProgress

__all__ = [
    "ProgressRecord",
    "count_holders",
    "load_holdings",
    "load_pathway_progress",
    "save_pathway_progress",
]


@dataclass(frozen=True)
class ProgressRecord:
    """One learner's progress along one pathway.

    Attributes:
        learner_email: the learner's normalised email.
        pathway: the pathway slug.
        tiers_held: tiers of which the learner holds a current, active award.
        tiers_total: tiers in the pathway.
        next_tier: the first tier (in pathway order) not held, or None when all are.
        updated_at: the clock of the batch that computed it.
    """

    learner_email: str
    pathway: str
    tiers_held: int
    tiers_total: int
    next_tier: str | None
    updated_at: datetime


_PROGRESS_VALUES = ("tiers_held", "tiers_total", "next_tier", "updated_at")
"""The columns a progress row's values are in (`ProgressRecord`'s fields of the same name)."""


def save_pathway_progress(session: Session, records: Sequence[ProgressRecord]) -> int:
    """Insert or update progress rows (one per learner and pathway); unknown learners are skipped.

    Args:
        session: the caller's session (flushed, not committed).
        records: the progress to store.

    Returns:
        How many rows were written.
    """
    emails = sorted({r.learner_email for r in records})
    ids: dict[str, int] = {}
    for chunk in chunks(emails):
        by_email = select(Learner.email, Learner.id).where(Learner.email.in_(chunk))
        ids.update((email, learner_id) for email, learner_id in session.execute(by_email).tuples())
    stored: dict[tuple[int, str], PathwayProgress] = {}
    id_list = sorted(set(ids.values()))
    for chunk_ids in chunks(id_list):
        query = select(PathwayProgress).where(PathwayProgress.learner_id.in_(chunk_ids))
        for found in session.scalars(query):
            stored[found.learner_id, found.pathway] = found
    written = 0
    fresh: dict[tuple[int, str], dict[str, object]] = {}  # inserted in bulk below
    for record in records:
        learner_id = ids.get(record.learner_email)
        if learner_id is None:
            continue
        written += 1
        values = {column: getattr(record, column) for column in _PROGRESS_VALUES}
        row = stored.get((learner_id, record.pathway))
        if row is None:
            fresh[learner_id, record.pathway] = {
                "learner_id": learner_id,
                "pathway": record.pathway,
                **values,
            }
            continue
        for attr, value in values.items():
            setattr(row, attr, value)
    session.flush()
    if fresh:
        # One executemany on the table instead of a unit of work per new row. A row another
        # run inserted meanwhile (two sources' batches at once) is updated with these values
        # (on PostgreSQL after waiting for that run's transaction), not an error.
        statement = dialect_insert(session)(
            PathwayProgress.metadata.tables[PathwayProgress.__tablename__]
        )
        statement = statement.on_conflict_do_update(
            index_elements=["learner_id", "pathway"],
            set_={column: statement.excluded[column] for column in _PROGRESS_VALUES},
        )
        session.execute(statement, list(fresh.values()))
    return written


def load_holdings(
    session: Session, learner_emails: Collection[str], achievement_ids: Collection[str]
) -> pd.DataFrame:
    """Load the few award columns pathway progress needs, for these learners and achievements.

    Args:
        session: any session.
        learner_emails: the learners (normalised here).
        achievement_ids: the achievements that count (the pathways' tiers).

    Returns:
        A frame of `LEARNER_EMAIL`, `ACHIEVEMENT_ID`, `VALID_FROM`, `VALID_UNTIL` (UTC) and
        `AWARD_STATUS`, one row per award (every status).
    """
    # The achievements are filtered here, not in SQL: given both IN lists, SQLite (no table
    # statistics) walks the achievement index, reading every tier award of the store once
    # per chunk of learners (quadratic: 23 s of CPU at 100,000 completions). By learner
    # alone it looks each learner up by email, then their awards by learner id.
    wanted = set(achievement_ids)
    query = select(
        Learner.email, Award.achievement_id, Award.valid_from, Award.valid_until, Award.status
    ).join(Learner, Award.learner_id == Learner.id)
    rows: list[Any] = []
    for chunk in chunks(sorted({normalise_email(e) for e in learner_emails})):
        found = session.execute(query.where(Learner.email.in_(chunk)))
        rows.extend(row for row in found if row[1] in wanted)
    columns = (LEARNER_EMAIL, ACHIEVEMENT_ID, VALID_FROM, VALID_UNTIL, AWARD_STATUS)
    records = [dict(zip(columns, row, strict=True)) for row in rows]
    return frame(records, columns, {VALID_FROM: "utc", VALID_UNTIL: "utc"})


def load_pathway_progress(
    session: Session, *, learner_email: str | None = None
) -> list[ProgressRecord]:
    """Load stored progress, sorted by learner then pathway.

    Args:
        session: any session.
        learner_email: only this learner (any spelling); None for everyone.

    Returns:
        The records.
    """
    query = select(PathwayProgress, Learner.email).join(
        Learner, PathwayProgress.learner_id == Learner.id
    )
    if learner_email is not None:
        query = query.where(Learner.email == normalise_email(learner_email))
    records = [
        ProgressRecord(
            learner_email=email,
            pathway=row.pathway,
            tiers_held=row.tiers_held,
            tiers_total=row.tiers_total,
            next_tier=row.next_tier,
            updated_at=row.updated_at,
        )
        for row, email in session.execute(query)
    ]
    return sorted(records, key=lambda r: (r.learner_email, r.pathway))


def count_holders(
    session: Session, achievement_ids: Collection[str], *, as_of: datetime
) -> dict[str, int]:
    """Count the learners holding a current, active award of each achievement at `as_of`.

    Args:
        session: any session.
        achievement_ids: the achievements to count.
        as_of: the clock; an award counts when it has started and not ended.

    Returns:
        Achievement slug → distinct learners (0 for none), for every slug given.
    """
    counts = dict.fromkeys(achievement_ids, 0)
    query = (
        select(Award.achievement_id, func.count(func.distinct(Award.learner_id)))
        .where(
            Award.achievement_id.in_(sorted(counts)),
            Award.status == "active",
            Award.valid_from <= as_of,
            or_(Award.valid_until.is_(None), Award.valid_until > as_of),
        )
        .group_by(Award.achievement_id)
    )
    for slug, n in session.execute(query).tuples():
        counts[slug] = int(n)
    return counts
