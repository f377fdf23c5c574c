"""Learners, identified across sources by their normalised email address."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from badgeflow.store._frames import chunks
from badgeflow.store.schema import Learner

__all__ = ["ensure_learners", "normalise_email"]


def normalise_email(email: str) -> str:
    """Return the form an email is stored and matched in: trimmed and lower-case.

    Args:
        email: an address as a source spelled it.

    Returns:
        The normalised address.

    Raises:
        ValueError: the address is blank.
    """
    normalised = email.strip().lower()
    if not normalised:
        raise ValueError("a learner email must not be blank")
    return normalised


def ensure_learners(session: Session, names_by_email: Mapping[str, str | None]) -> dict[str, int]:
    """Find or create the learners with these emails, refreshing names that changed.

    A known learner keeps their name when the new one is missing.

    Args:
        session: the caller's session (not committed here).
        names_by_email: normalised email → display name (or None).

    Returns:
        Normalised email → learner id, for every email given.
    """
    emails = sorted(names_by_email)
    found: dict[str, Learner] = {}
    for chunk in chunks(emails):
        for known in session.scalars(select(Learner).where(Learner.email.in_(chunk))):
            found[known.email] = known
    new: list[dict[str, str | None]] = []
    for email in emails:
        name = names_by_email[email]
        learner = found.get(email)
        if learner is None:
            new.append({"email": email, "name": name})
        elif name is not None and learner.name != name:
            learner.name = name
    session.flush()
    ids = {email: learner.id for email, learner in found.items()}
    if new:
        # One bulk INSERT for the new learners, then their ids in chunked queries.
        # On the table: the ORM's bulk insert goes row by row when None values vary.
        session.execute(insert(Learner.metadata.tables[Learner.__tablename__]), new)
        for chunk in chunks([email for email in emails if email not in ids]):
            query = select(Learner.email, Learner.id).where(Learner.email.in_(chunk))
            ids.update((email, id_) for email, id_ in session.execute(query))
    return {email: ids[email] for email in emails}
