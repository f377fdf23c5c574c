"""Signed credentials: at most one per award, stored byte-exact."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Select, and_, func, insert, or_, select
from sqlalchemy.orm import Session

from badgeflow.store._frames import chunks
from badgeflow.store.schema import AWARD_STATUSES, Award, AwardStatus, Credential, Learner

__all__ = [
    "CredentialRecord",
    "NewCredential",
    "baked_paths_in_use",
    "bare_credential_id",
    "count_credentials",
    "credentials_page",
    "credentials_to_bake",
    "get_credential",
    "list_credentials",
    "new_accept_token",
    "save_credentials",
    "save_new_credentials",
    "set_baked_path",
]

URN_PREFIX = "urn:uuid:"


def new_accept_token() -> str:
    """Return a fresh accept-link secret: 128 random bits as 32 lowercase hex digits."""
    return secrets.token_hex(16)


def bare_credential_id(credential_id: str) -> str:
    """Return the stored form of a credential id: the UUID without ``urn:uuid:``."""
    return credential_id.removeprefix(URN_PREFIX)


@dataclass(frozen=True)
class NewCredential:
    """A freshly signed credential to store.

    Attributes:
        id: the UUID (the credential's ``id`` is ``urn:uuid:<id>``; either form is accepted).
        award_id: the award it certifies.
        document: the signed JSON text, stored exactly as given.
        salt: salt of the hashed recipient identifier, if any.
        verification_method: the key that signed it.
        issued_at: when it was signed (aware).
        batch_id: the batch that issued it.
        baked_path: the baked PNG, when already written.
        format: the credential format.
        supersedes: the bare id of the credential this one re-issues, if any.
        jwt: the VC-JWT (compact JWS) of the same credential, when ``vc-jwt`` is issued.
    """

    id: str
    award_id: int
    document: str
    salt: str | None
    verification_method: str
    issued_at: datetime
    batch_id: str
    baked_path: str | None = None
    format: str = "ob3-di"
    supersedes: str | None = None
    jwt: str | None = None


@dataclass(frozen=True)
class CredentialRecord:
    """A stored credential with what the site and the baker show about it.

    Attributes:
        credential_id: the bare UUID (see `urn` for the JSON-LD id).
        award_id: the award it certifies.
        document: the signed JSON text, exactly as stored.
        achievement_id: catalog slug of the achievement.
        learner_name: display name of the recipient.
        awarded_at: when the award was earned.
        valid_until: end of validity, None for never.
        issued_at: when the credential was signed.
        baked_path: the baked PNG, None until baked.
        status: the award's status: ``active``, ``revoked`` or ``suspended``.
        jwt: the VC-JWT of the same credential, if one was issued.
        accept_token: the secret of the learner's accept link (`layout.accept_page`); only
            the award email carries it.
    """

    credential_id: str
    award_id: int
    document: str
    achievement_id: str
    learner_name: str | None
    awarded_at: datetime
    valid_until: datetime | None
    issued_at: datetime
    baked_path: str | None
    status: AwardStatus
    jwt: str | None = None
    accept_token: str | None = None

    @property
    def urn(self) -> str:
        """The credential's JSON-LD id, ``urn:uuid:<id>``."""
        return URN_PREFIX + self.credential_id


def save_credentials(session: Session, rows: Sequence[NewCredential]) -> int:
    """Store new credentials, skipping any award that already has one.

    Never creates a second credential for an award (also enforced by a unique constraint),
    so saving the same batch twice is harmless.

    Args:
        session: the caller's session; the caller commits.
        rows: the signed credentials.

    Returns:
        How many were stored.
    """
    return len(save_new_credentials(session, rows))


def save_new_credentials(session: Session, rows: Sequence[NewCredential]) -> list[NewCredential]:
    """`save_credentials`, returning the rows it stored (the others were issued meanwhile).

    Args:
        session: the caller's session; the caller commits.
        rows: the signed credentials.

    Returns:
        The rows stored, in their order; a row left out lost to a credential stored before.
    """
    award_ids = sorted({row.award_id for row in rows})
    ids = sorted({bare_credential_id(row.id) for row in rows})
    taken_awards = set(
        session.scalars(select(Credential.award_id).where(Credential.award_id.in_(award_ids)))
    )
    taken_ids = set(session.scalars(select(Credential.id).where(Credential.id.in_(ids))))
    fresh: list[dict[str, object]] = []
    stored: list[NewCredential] = []
    for row in rows:
        bare = bare_credential_id(row.id)
        if row.award_id in taken_awards or bare in taken_ids:
            continue
        stored.append(row)
        fresh.append(
            {
                "id": bare,
                "award_id": row.award_id,
                "format": row.format,
                "document": row.document,
                "salt": row.salt,
                "verification_method": row.verification_method,
                "issued_at": row.issued_at,
                "baked_path": row.baked_path,
                "batch_id": row.batch_id,
                "supersedes": row.supersedes,
                "jwt": row.jwt,
                "accept_token": new_accept_token(),
            }
        )
        taken_awards.add(row.award_id)
        taken_ids.add(bare)
    if fresh:
        # One bulk INSERT (executemany) instead of a unit of work per credential.
        session.execute(insert(Credential), fresh)
    return stored


def baked_paths_in_use(session: Session, paths: Sequence[str]) -> set[str]:
    """Return those of ``paths`` that a stored credential names as its baked PNG."""
    named: set[str] = set()
    for part in chunks(paths):
        query = select(Credential.baked_path).where(Credential.baked_path.in_(part))
        named.update(p for p in session.scalars(query) if p)
    return named


def set_baked_path(session: Session, credential_id: str, path: str | Path) -> None:
    """Record where the baked PNG of a credential was written.

    Raises:
        KeyError: no such credential.
    """
    row = session.get(Credential, bare_credential_id(credential_id))
    if row is None:
        raise KeyError(f"unknown credential {credential_id!r}")
    row.baked_path = str(path)
    session.flush()


def _records() -> Select[Credential, Award, str | None]:
    return (
        select(Credential, Award, Learner.name)
        .join(Award, Credential.award_id == Award.id)
        .join(Learner, Award.learner_id == Learner.id)
        .order_by(Credential.issued_at, Credential.id)
    )


def _record(credential: Credential, award: Award, name: str | None) -> CredentialRecord:
    return CredentialRecord(
        credential_id=credential.id,
        award_id=award.id,
        document=credential.document,
        achievement_id=award.achievement_id,
        learner_name=name,
        awarded_at=award.awarded_at,
        valid_until=award.valid_until,
        issued_at=credential.issued_at,
        baked_path=credential.baked_path,
        status=_award_status(award.status),
        jwt=credential.jwt,
        accept_token=credential.accept_token,
    )


def _award_status(value: str) -> AwardStatus:
    for status in AWARD_STATUSES:  # narrows str to the Literal; the CHECK constraint agrees
        if value == status:
            return status
    raise ValueError(f"unknown award status {value!r}")


def credentials_to_bake(session: Session, *, limit: int) -> list[CredentialRecord]:
    """Return credentials of active awards that have no baked PNG yet, oldest first."""
    query = _records().where(Credential.baked_path.is_(None), Award.status == "active")
    return [_record(c, a, n) for c, a, n in session.execute(query.limit(limit))]


def list_credentials(session: Session) -> list[CredentialRecord]:
    """Return every credential (all award statuses), oldest first, for the site."""
    return [_record(c, a, n) for c, a, n in session.execute(_records())]


def get_credential(session: Session, credential_id: str) -> CredentialRecord | None:
    """Return one credential by id (bare UUID or ``urn:uuid:``), or None."""
    query = _records().where(Credential.id == bare_credential_id(credential_id))
    row = session.execute(query).one_or_none()
    return None if row is None else _record(row[0], row[1], row[2])


def count_credentials(session: Session) -> int:
    """Return how many credentials there are (all award statuses)."""
    return int(session.scalar(select(func.count()).select_from(Credential)) or 0)


def credentials_page(
    session: Session, *, after: CredentialRecord | None, limit: int
) -> list[CredentialRecord]:
    """Return the next ``limit`` credentials after ``after``, in `list_credentials` order.

    Keyset paging (issued_at, id): a page costs the same wherever it starts, so the site can
    stream 100,000 credentials without holding them all.

    Args:
        session: a session.
        after: the last credential of the previous page, or None for the first page.
        limit: the page size.
    """
    query = _records()
    if after is not None:
        query = query.where(
            or_(
                Credential.issued_at > after.issued_at,
                and_(Credential.issued_at == after.issued_at, Credential.id > after.credential_id),
            )
        )
    return [_record(c, a, n) for c, a, n in session.execute(query.limit(limit))]
