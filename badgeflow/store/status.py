"""Status list slots, per-credential status entries and the status audit trail.

Slots come from one counter per purpose that only ever grows (`reserve_status_slots`), so no
slot is handed out twice, even when the transaction using it fails; a unique constraint on
(purpose, list, index) backs this up. Status changes (`change_status`) move the award's
status and write an audit event in the caller's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from badgeflow.errors import StoreError
from badgeflow.store.credentials import bare_credential_id
from badgeflow.store.schema import (
    Award,
    AwardStatus,
    Credential,
    StatusCounter,
    StatusEntry,
    StatusEvent,
)

__all__ = [
    "StatusAction",
    "StatusChange",
    "StatusEventRecord",
    "StatusSlot",
    "change_status",
    "reserve_status_slots",
    "save_status_entries",
    "save_status_entries_many",
    "status_entries_of",
    "status_events",
    "status_list_bits",
]

StatusAction = Literal["revoke", "suspend", "reinstate"]
_PURPOSE_OF_STATUS: Final = {"revoked": "revocation", "suspended": "suspension"}
_TARGET: Final[dict[str, AwardStatus]] = {
    "revoke": "revoked",
    "suspend": "suspended",
    "reinstate": "active",
}


@dataclass(frozen=True, order=True)
class StatusSlot:
    """One bit of one status list."""

    purpose: str
    list_number: int
    index: int


@dataclass(frozen=True)
class StatusChange:
    """Outcome of one revoke / suspend / reinstate request.

    Attributes:
        credential_id: the bare credential id asked for.
        action: what was asked.
        previous: the status before (None when the credential is unknown).
        status: the status after.
        problem: why nothing changed (None when it changed).
        purposes: the status purposes the credential carries entries for; a change a
            verifier should see needs the matching purpose.
    """

    credential_id: str
    action: StatusAction
    previous: AwardStatus | None
    status: AwardStatus | None
    problem: str | None = None
    purposes: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """True when the status changed and an audit event was written."""
        return self.problem is None


@dataclass(frozen=True)
class StatusEventRecord:
    """One row of the status audit trail."""

    credential_id: str
    action: str
    reason: str
    actor: str
    at: datetime


def reserve_status_slots(session: Session, purpose: str, count: int) -> list[StatusSlot]:
    """Take the next ``count`` slots of a purpose's lists (rolling over to the next list).

    Commit the reservation in its own short transaction: the slots are then never handed out
    again, whatever happens to the transaction that uses them, and concurrent allocators
    never wait for each other's signing. The single ``UPDATE ... RETURNING`` is atomic on
    PostgreSQL (row lock) and SQLite (database write lock).

    Args:
        session: the caller's session; the caller commits.
        purpose: ``revocation`` or ``suspension``.
        count: how many slots.

    Returns:
        The slots, in order.

    Raises:
        StoreError: the purpose has no counter (the schema is not migrated).
    """
    if count <= 0:
        return []
    statement = (
        update(StatusCounter)
        .where(StatusCounter.purpose == purpose)
        .values(next_position=StatusCounter.next_position + count)
        .returning(StatusCounter.next_position, StatusCounter.list_size)
    )
    row = session.execute(statement).one_or_none()
    if row is None:
        raise StoreError(f"no status counter for purpose {purpose!r}; run the migrations")
    end, size = row
    return [
        StatusSlot(purpose, position // size + 1, position % size)
        for position in range(end - count, end)
    ]


def save_status_entries(session: Session, credential_id: str, slots: Sequence[StatusSlot]) -> int:
    """Store a credential's status slots; purposes it already has entries for are skipped.

    Returns:
        How many entries were stored.
    """
    bare = bare_credential_id(credential_id)
    taken = set(
        session.scalars(select(StatusEntry.purpose).where(StatusEntry.credential_id == bare))
    )
    fresh = [slot for slot in slots if slot.purpose not in taken]
    session.add_all(
        StatusEntry(
            credential_id=bare,
            purpose=slot.purpose,
            list_number=slot.list_number,
            status_index=slot.index,
        )
        for slot in fresh
    )
    session.flush()
    return len(fresh)


def save_status_entries_many(
    session: Session, entries: Sequence[tuple[str, Sequence[StatusSlot]]]
) -> int:
    """Store the status slots of many credentials at once (one query, one bulk insert).

    The same as `save_status_entries` per credential: purposes a credential already has
    entries for are skipped.

    Args:
        session: the caller's session; the caller commits.
        entries: (credential id, its slots) pairs.

    Returns:
        How many entries were stored.
    """
    bare = [(bare_credential_id(cid), slots) for cid, slots in entries]
    ids = sorted({cid for cid, _ in bare})
    taken: set[tuple[str, str]] = set()
    for start in range(0, len(ids), 500):  # under every database's bound-parameter limit
        query = select(StatusEntry.credential_id, StatusEntry.purpose).where(
            StatusEntry.credential_id.in_(ids[start : start + 500])
        )
        taken.update((cid, purpose) for cid, purpose in session.execute(query))
    rows = []
    for cid, slots in bare:
        for slot in slots:
            if (cid, slot.purpose) not in taken:
                taken.add((cid, slot.purpose))
                rows.append(
                    {
                        "credential_id": cid,
                        "purpose": slot.purpose,
                        "list_number": slot.list_number,
                        "status_index": slot.index,
                    }
                )
    if rows:
        session.execute(insert(StatusEntry), rows)
    return len(rows)


def status_entries_of(session: Session, credential_id: str) -> list[StatusSlot]:
    """Return the status slots of one credential, by purpose."""
    query = select(StatusEntry).where(
        StatusEntry.credential_id == bare_credential_id(credential_id)
    )
    return sorted(
        StatusSlot(e.purpose, e.list_number, e.status_index) for e in session.scalars(query)
    )


def status_list_bits(session: Session) -> dict[tuple[str, int], list[int]]:
    """Return the set bits of every status list that has ever handed out a slot.

    A revocation bit is set for each revoked award, a suspension bit for each suspended one.
    Lists with no set bit are included (empty), so every published credential's list exists.

    Returns:
        ``(purpose, list number) -> sorted indices``; every purpose has at least list 1.
    """
    bits: dict[tuple[str, int], list[int]] = defaultdict(list)
    for counter in session.scalars(select(StatusCounter)):
        lists = max(1, -(-counter.next_position // counter.list_size))
        for number in range(1, lists + 1):
            bits[(counter.purpose, number)] = []
    query = (
        select(StatusEntry.purpose, StatusEntry.list_number, StatusEntry.status_index, Award.status)
        .join(Credential, StatusEntry.credential_id == Credential.id)
        .join(Award, Credential.award_id == Award.id)
        .where(Award.status != "active")
    )
    for purpose, number, index, status in session.execute(query):
        if _PURPOSE_OF_STATUS.get(status) == purpose:
            bits[(purpose, number)].append(index)
    return {key: sorted(value) for key, value in sorted(bits.items())}


def _problem(action: StatusAction, current: str) -> str | None:
    if current == "revoked":
        return "is already revoked" if action == "revoke" else "is revoked; revocation is final"
    if action == "suspend" and current == "suspended":
        return "is already suspended"
    if action == "reinstate" and current != "suspended":
        return "is not suspended"
    return None


def change_status(
    session: Session,
    credential_id: str,
    action: StatusAction,
    *,
    reason: str,
    actor: str,
    at: datetime,
) -> StatusChange:
    """Revoke, suspend or reinstate a credential and record who did it and why.

    Revocation is final (the W3C status purpose cannot be undone); a suspended credential
    can be reinstated or revoked. A request that changes nothing (unknown id, no reason,
    already revoked ...) comes back with ``problem`` set and writes nothing.

    Args:
        session: the caller's session; the caller commits.
        credential_id: bare UUID or ``urn:uuid:`` id.
        action: ``revoke``, ``suspend`` or ``reinstate``.
        reason: why (required; kept in the audit trail).
        actor: who asked (e.g. the operator's login).
        at: when (aware).

    Returns:
        What happened.
    """
    bare = bare_credential_id(credential_id.strip())
    row = session.execute(
        select(Credential, Award)
        .join(Award, Credential.award_id == Award.id)
        .where(Credential.id == bare)
    ).one_or_none()
    if row is None:
        return StatusChange(bare, action, None, None, problem="no such credential")
    award = row[1]
    purposes = tuple(slot.purpose for slot in status_entries_of(session, bare))
    previous = _status(award)
    problem = "a reason is required" if not reason.strip() else _problem(action, award.status)
    if problem is not None:
        return StatusChange(bare, action, previous, previous, problem=problem, purposes=purposes)
    award.status = _TARGET[action]
    session.add(
        StatusEvent(credential_id=bare, action=action, reason=reason.strip(), actor=actor, at=at)
    )
    session.flush()
    return StatusChange(bare, action, previous, _TARGET[action], purposes=purposes)


def _status(award: Award) -> AwardStatus:
    for status in _TARGET.values():
        if award.status == status:
            return status
    raise ValueError(f"unknown award status {award.status!r}")


def status_events(session: Session, credential_id: str | None = None) -> list[StatusEventRecord]:
    """Return the audit trail, oldest first (of one credential, or of all)."""
    query = select(StatusEvent).order_by(StatusEvent.at, StatusEvent.id)
    if credential_id is not None:
        query = query.where(StatusEvent.credential_id == bare_credential_id(credential_id))
    return [
        StatusEventRecord(e.credential_id, e.action, e.reason, e.actor, e.at)
        for e in session.scalars(query)
    ]
