"""Per-credential engagement facts (`credential_engagement`), computed in bulk with pandas.

One row per credential, with the meanings of `badgeflow.metrics.views.CREDENTIAL_COLUMNS`:
dimensions from the catalog, the completions and the cohorts file; engagement from the
deduplicated site hits (people only, bots counted apart) and the mail events. Every read is
one query over all the wanted credentials, never one per credential.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeVar

import pandas as pd
from sqlalchemy import Connection, Select, and_, delete, insert, select

from badgeflow.catalog import Catalog
from badgeflow.criteria.nodes import courses
from badgeflow.engagement import LINKEDIN_CHANNELS
from badgeflow.models import COHORT, JOINED_AT, LEARNER_EMAIL
from badgeflow.store.schema import (
    Award,
    Completion,
    Credential,
    CredentialEngagement,
    EmailOutbox,
    EngagementHit,
    Learner,
    MailEvent,
)

__all__ = ["BOUNCE_EVENTS", "Dimensions", "compute_facts", "write_facts"]

BOUNCE_EVENTS: Final = ("bounce", "dropped")
"""Mail event kinds that mean the award email never reached the learner."""

# Above this many wanted credentials, read everything and filter in memory (one query)
# rather than send long IN lists.
_IN_LIMIT: Final = 2000
_Q = TypeVar("_Q", bound=Select[*tuple[Any, ...]])
_COUNTED: Final = ("linkedin_shares", "shares", "verification_views", "downloads", "bot_hits")


@dataclass(frozen=True)
class Dimensions:
    """What each achievement and learner is reported under.

    Attributes:
        course_of: achievement -> the first course its rule names, in written order (a
            rule naming several courses is reported under the first one).
        pathway_of: achievement -> the pathway it is a tier of (the first by slug if the
            catalog puts it in several).
        cohort_of: learner email -> cohort (the latest joined when the file lists several;
            a row without joined_at counts as earliest; on a tie, the later line wins).
    """

    course_of: Mapping[str, str]
    pathway_of: Mapping[str, str]
    cohort_of: Mapping[str, str]

    @classmethod
    def build(cls, catalog: Catalog, cohorts: pd.DataFrame) -> Dimensions:
        """Derive the mappings from the catalog and the cohorts frame (`COHORT_COLUMNS`)."""
        course_of = {}
        for slug, achievement in catalog.achievements.items():
            named = courses(achievement.rule)
            course_of[slug] = named[0] if named else ""
        pathway_of: dict[str, str] = {}
        for slug in sorted(catalog.pathways):
            for achievement_id in catalog.pathways[slug].tiers:
                pathway_of.setdefault(achievement_id, slug)
        ordered = cohorts.assign(_line=range(len(cohorts))).sort_values(
            [JOINED_AT, "_line"], na_position="first", kind="stable"
        )
        cohort_of = dict(zip(ordered[LEARNER_EMAIL], ordered[COHORT], strict=True))
        return cls(course_of=course_of, pathway_of=pathway_of, cohort_of=cohort_of)

    def fingerprint(self) -> str:
        """A short digest: a change means every credential's dimensions are recomputed."""
        text = json.dumps(
            [
                sorted(self.course_of.items()),
                sorted(self.pathway_of.items()),
                sorted(self.cohort_of.items()),
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _read(connection: Connection, query: Select[Any] | Any) -> pd.DataFrame:
    result = connection.execute(query)
    columns = list(result.keys())
    return pd.DataFrame([tuple(row) for row in result], columns=columns)


def _only(frame: pd.DataFrame, ids: Collection[str] | None, column: str) -> pd.DataFrame:
    return frame if ids is None else frame[frame[column].isin(ids)]


def _where(query: _Q, column: Any, ids: Collection[str] | None) -> _Q:
    if ids is not None and len(ids) <= _IN_LIMIT:
        return query.where(column.in_(list(ids)))
    return query


def compute_facts(
    connection: Connection,
    dimensions: Dimensions,
    *,
    now: datetime,
    credential_ids: Collection[str] | None = None,
) -> pd.DataFrame:
    """Compute the fact rows of some credentials, or of all.

    Args:
        connection: a connection (inside the caller's transaction).
        dimensions: from `Dimensions.build`.
        now: stamped as ``updated_at``.
        credential_ids: the credentials to compute; None for every credential.

    Returns:
        One row per credential, with the columns of `CREDENTIAL_COLUMNS`.
    """
    base = _read(
        connection,
        _where(
            select(
                Credential.id.label("credential_id"),
                Award.learner_id,
                Award.achievement_id,
                Credential.issued_at,
                Award.status,
                Learner.email,
            )
            .join(Award, Award.id == Credential.award_id)
            .join(Learner, Learner.id == Award.learner_id),
            Credential.id,
            credential_ids,
        ),
    )
    base = _only(base, credential_ids, "credential_id").reset_index(drop=True)
    if base.empty:
        return pd.DataFrame(columns=list(_columns()))
    base["issued_at"] = pd.to_datetime(base["issued_at"], utc=True)
    base["course_id"] = base["achievement_id"].map(dimensions.course_of).fillna("")
    base["pathway"] = base["achievement_id"].map(dimensions.pathway_of).fillna("")
    base["cohort"] = base["email"].map(dimensions.cohort_of).fillna("")
    base["issued_week"] = (
        base["issued_at"].dt.tz_convert("UTC").dt.normalize()
        - pd.to_timedelta(base["issued_at"].dt.weekday, unit="D")
    ).dt.date
    base["source"] = _sources(connection, base)
    base = base.drop(columns=["email"])
    ids = credential_ids
    base = base.merge(_outbox(connection, ids), on="credential_id", how="left")
    bounced_events = set(
        _read(
            connection,
            _where(
                select(MailEvent.credential_id).where(MailEvent.kind.in_(BOUNCE_EVENTS)),
                MailEvent.credential_id,
                ids,
            ),
        )["credential_id"]
    )
    base["email_status"] = base["email_status"].fillna("")
    base["bounced"] = (base["email_status"] == "bounced") | base["credential_id"].isin(
        bounced_events
    )
    base = base.merge(_engagement(connection, ids), on="credential_id", how="left")
    for name in _COUNTED:
        base[name] = base[name].fillna(0).astype(int)
    hours = (base["accepted_at"] - base["issued_at"]).dt.total_seconds() / 3600
    base["hours_to_accept"] = hours.clip(lower=0).astype(float)
    base["updated_at"] = now
    return base[list(_columns())]


def _columns() -> tuple[str, ...]:
    return tuple(c.name for c in CredentialEngagement.__table__.columns)


def _sources(connection: Connection, base: pd.DataFrame) -> pd.Series:
    """The source of the learner's earliest completed record of the course ('' if none)."""
    learners = set(base["learner_id"])
    query = select(
        Completion.learner_id, Completion.course_id, Completion.source, Completion.completed_at
    ).where(Completion.completed.is_(True))
    if len(learners) <= _IN_LIMIT:
        query = query.where(Completion.learner_id.in_(learners))
    done = _read(connection, query)
    if done.empty:
        return pd.Series([""] * len(base), index=base.index, dtype=object)
    done["completed_at"] = pd.to_datetime(done["completed_at"], utc=True)
    first = done.sort_values(["completed_at", "source"], na_position="last").drop_duplicates(
        ["learner_id", "course_id"]
    )
    found = base[["learner_id", "course_id"]].merge(
        first[["learner_id", "course_id", "source"]], on=["learner_id", "course_id"], how="left"
    )
    return found["source"].fillna("").set_axis(base.index)


def _outbox(connection: Connection, ids: Collection[str] | None) -> pd.DataFrame:
    rows = _read(
        connection,
        _where(
            select(EmailOutbox.credential_id, EmailOutbox.status.label("email_status")).where(
                EmailOutbox.kind == "award"
            ),
            EmailOutbox.credential_id,
            ids,
        ),
    )
    return _only(rows, ids, "credential_id")


def _engagement(connection: Connection, ids: Collection[str] | None) -> pd.DataFrame:
    hits = _read(
        connection,
        _where(
            select(
                EngagementHit.credential_id,
                EngagementHit.kind,
                EngagementHit.channel,
                EngagementHit.audience,
                EngagementHit.first_at,
            ).where(and_(EngagementHit.credential_id != "")),
            EngagementHit.credential_id,
            ids,
        ),
    )
    hits = _only(hits, ids, "credential_id")
    hits["first_at"] = pd.to_datetime(hits["first_at"], utc=True)
    people = hits[hits["audience"] == "person"]
    by = "credential_id"

    def first(kind: str) -> pd.Series:
        return people[people["kind"] == kind].groupby(by)["first_at"].min()

    def count(rows: pd.DataFrame) -> pd.Series:
        return rows.groupby(by).size()

    shares = people[people["kind"] == "share_click"]
    accepted = first("accept_confirm")
    opened = pd.concat([first("accept_open"), accepted]).groupby(level=0).min()
    facts = pd.DataFrame(
        {
            "opened_at": opened,
            "accepted_at": accepted,
            "linkedin_shares": count(shares[shares["channel"].isin(LINKEDIN_CHANNELS)]),
            "shares": count(shares),
            "first_shared_at": first("share_click"),
            "verification_views": count(people[people["kind"] == "credential_view"]),
            "downloads": count(people[people["kind"] == "credential_download"]),
            "bot_hits": count(hits[hits["audience"] == "bot"]),
        }
    )
    for name in ("opened_at", "accepted_at", "first_shared_at"):
        facts[name] = pd.to_datetime(facts[name], utc=True)
    return facts.rename_axis(by).reset_index()


def write_facts(
    connection: Connection, facts: pd.DataFrame, *, replace: Collection[str] | None
) -> None:
    """Replace fact rows: those of `replace` (None: every row) by `facts`.

    Args:
        connection: inside the caller's transaction.
        facts: from `compute_facts`.
        replace: the credential ids recomputed; None for a full rebuild.
    """
    if replace is None:
        connection.execute(delete(CredentialEngagement))
    else:
        wanted = list(replace)
        for start in range(0, len(wanted), _IN_LIMIT):
            chunk = wanted[start : start + _IN_LIMIT]
            connection.execute(
                delete(CredentialEngagement).where(CredentialEngagement.credential_id.in_(chunk))
            )
    if not facts.empty:
        connection.execute(insert(CredentialEngagement), _records(facts))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    columns = []
    for name in frame.columns:
        values = frame[name]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            converted = [None if pd.isna(v) else v.to_pydatetime() for v in values]
        else:
            converted = [None if v is None or v != v else v for v in values.tolist()]
        columns.append(converted)
    names = list(frame.columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
