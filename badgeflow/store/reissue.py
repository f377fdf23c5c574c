"""Re-issue bookkeeping: which credentials to re-issue, the successor award, the email.

A re-issued credential certifies a copy of the old award (same learner, achievement,
``awarded_at`` and validity period) under the award key ``<old key>:reissue:<old id>``, so
the one-credential-per-award rule holds and revoking the old credential (which moves its
award to ``revoked``) leaves the new one active. ``credentials.supersedes`` (unique) links
the new credential to the old one.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from badgeflow.store.credentials import bare_credential_id
from badgeflow.store.schema import Award, Credential, EmailOutbox, Learner, StatusEntry

__all__ = [
    "REISSUE_KIND",
    "ReissueCandidate",
    "copy_award_for_reissue",
    "enqueue_reissue_email",
    "reissue_award_key",
    "reissue_candidates",
    "successor_of",
]

REISSUE_KIND: Final = "reissue"


@dataclass(frozen=True)
class ReissueCandidate:
    """A stored credential and what decides whether it can be re-issued.

    Attributes:
        credential_id: the bare id.
        award_id: its award.
        award_key: its award's key.
        status: the award's status (only ``active`` ones are re-issued).
        valid_until: the award's end of validity (None: never expires).
        successor: the bare id of the credential that already re-issued it, if any.
    """

    credential_id: str
    award_id: int
    award_key: str
    status: str
    valid_until: datetime | None
    successor: str | None


def reissue_award_key(award_key: str, credential_id: str) -> str:
    """Return the key of the award a re-issue of ``credential_id`` certifies."""
    return f"{award_key}:reissue:{bare_credential_id(credential_id)}"


def reissue_candidates(
    session: Session,
    *,
    credential_ids: Collection[str] | None = None,
    achievement_id: str | None = None,
    without_status: bool = False,
) -> list[ReissueCandidate]:
    """Return stored credentials matching every given filter, oldest first.

    Args:
        session: any session.
        credential_ids: only these (bare or ``urn:uuid:``); None for any.
        achievement_id: only credentials of this achievement.
        without_status: only credentials with no status list entry (issued before status
            lists existed), of active awards, not yet re-issued.

    Returns:
        The candidates, with their status and successor (if any).
    """
    successor = aliased(Credential)
    query = (
        select(
            Credential.id,
            Award.id,
            Award.award_key,
            Award.status,
            Award.valid_until,
            successor.id,
        )
        .join(Award, Credential.award_id == Award.id)
        .outerjoin(successor, successor.supersedes == Credential.id)
        .order_by(Credential.issued_at, Credential.id)
    )
    if credential_ids is not None:
        query = query.where(Credential.id.in_({bare_credential_id(c) for c in credential_ids}))
    if achievement_id is not None:
        query = query.where(Award.achievement_id == achievement_id)
    if without_status:
        has_entry = exists().where(StatusEntry.credential_id == Credential.id)
        query = query.where(~has_entry, Award.status == "active", successor.id.is_(None))
    return [ReissueCandidate(*row) for row in session.execute(query)]


def successor_of(session: Session, credential_id: str) -> str | None:
    """Return the bare id of the credential that re-issued ``credential_id``, or None."""
    query = select(Credential.id).where(Credential.supersedes == bare_credential_id(credential_id))
    return session.scalar(query)


def copy_award_for_reissue(
    session: Session, award_id: int, *, award_key: str, batch_id: str
) -> int:
    """Store a copy of an award under a new key (idempotent: an existing copy is returned).

    Args:
        session: the caller's session; the caller commits.
        award_id: the award to copy (learner, achievement, dates, score, evidence).
        award_key: the copy's key (`reissue_award_key`).
        batch_id: the run doing the re-issue.

    Returns:
        The copy's id.

    Raises:
        KeyError: no such award.
    """
    existing = session.scalar(select(Award.id).where(Award.award_key == award_key))
    if existing is not None:
        return existing
    award = session.get(Award, award_id)
    if award is None:
        raise KeyError(f"unknown award {award_id}")
    copy = Award(
        award_key=award_key,
        learner_id=award.learner_id,
        achievement_id=award.achievement_id,
        awarded_at=award.awarded_at,
        valid_from=award.valid_from,
        valid_until=award.valid_until,
        score=award.score,
        evidence=list(award.evidence),
        batch_id=batch_id,
        status="active",
    )
    session.add(copy)
    session.flush()
    return copy.id


def enqueue_reissue_email(session: Session, credential_id: str) -> int | None:
    """Queue a ``reissue`` email about a new credential (at most one per credential).

    Args:
        session: the caller's session; the caller commits.
        credential_id: the new credential.

    Returns:
        The outbox id, or None when the credential is unknown or already has one.
    """
    bare = bare_credential_id(credential_id)
    email = session.scalar(
        select(Learner.email)
        .join(Award, Award.learner_id == Learner.id)
        .join(Credential, Credential.award_id == Award.id)
        .where(Credential.id == bare)
    )
    taken = session.scalar(
        select(EmailOutbox.id).where(
            EmailOutbox.credential_id == bare, EmailOutbox.kind == REISSUE_KIND
        )
    )
    if email is None or taken is not None:
        return None
    item = EmailOutbox(
        credential_id=bare, kind=REISSUE_KIND, to_address=email, status="pending", attempts=0
    )
    session.add(item)
    session.flush()
    return item.id
