"""Where the issue stage finds a learner's DID (``issuance.recipient_identity = "did"``).

The DID is the ``learner_id`` a source reported for the completion(s) that earned the award,
when it is a DID (``did:...``): an LMS or export that knows its learners' DIDs puts them in
that column, and nothing else has to change.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from badgeflow.store import AwardToIssue
from badgeflow.store.schema import Completion

__all__ = ["NO_DID", "learner_dids"]

NO_DID = (
    "recipient_identity is did, but no completion that earned this award gives a DID "
    "(did:...) as its learner_id"
)
"""The reason an award is left unissued when its learner has no DID."""


def learner_dids(session: Session, awards: Sequence[AwardToIssue]) -> dict[int, str | None]:
    """Return each award's learner DID (or None) from its evidence completions.

    Args:
        session: any session.
        awards: the awards of a chunk.

    Returns:
        Award id -> the first DID among its evidence rows' learner ids, or None.
    """
    keys = {key for award in awards for key in award.evidence}
    pairs = [tuple(key.split(":", 1)) for key in keys if ":" in key]
    found: dict[str, str] = {}
    if pairs:
        query = select(Completion.source, Completion.source_record_id, Completion.lms_learner_id)
        query = query.where(tuple_(Completion.source, Completion.source_record_id).in_(pairs))
        for source, record_id, learner in session.execute(query):
            if learner and learner.strip().startswith("did:"):
                found[f"{source}:{record_id}"] = learner.strip()
    return {
        award.award_id: next((found[k] for k in award.evidence if k in found), None)
        for award in awards
    }
