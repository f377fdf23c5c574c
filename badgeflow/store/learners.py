"""Learners, identified across sources by their normalised email address."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from badgeflow.store._bulk import insert_rows
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
    # Plain columns: a batch touches thousands of learners and renames hardly any, so only
    # the renamed ones are loaded as entities (and updated through the session).
    ids: dict[str, int] = {}
    renamed: dict[int, str] = {}
    for chunk in chunks(emails):
        query = select(Learner.email, Learner.id, Learner.name).where(Learner.email.in_(chunk))
        for email, id_, stored_name in session.execute(query):
            ids[email] = id_
            name = names_by_email[email]
            if name is not None and stored_name != name:
                renamed[id_] = name
    for chunk_ids in chunks(sorted(renamed)):
        for learner in session.scalars(select(Learner).where(Learner.id.in_(chunk_ids))):
            learner.name = renamed[learner.id]
    unknown = [email for email in emails if email not in ids]
    new = [{"email": email, "name": names_by_email[email]} for email in unknown]
    session.flush()
    if new:
        # One bulk INSERT for the new learners, then their ids in chunked queries.
        # On the table: the ORM's bulk insert goes row by row when None values vary.
        # A learner another run created meanwhile (two sources' batches ingesting the same
        # person at once) is skipped, not an error; PostgreSQL waits for that run's outcome.
        table = Learner.metadata.tables[Learner.__tablename__]
        insert_rows(session, table, new, skip_existing=["email"])
        for chunk in chunks(unknown):
            by_email = select(Learner.email, Learner.id).where(Learner.email.in_(chunk))
            ids.update((email, id_) for email, id_ in session.execute(by_email))
    return {email: ids[email] for email in emails}
