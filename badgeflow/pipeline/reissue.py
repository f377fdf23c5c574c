"""Re-issue credentials: a new credential per old one, then the old one is revoked.

The new credential has a new id, a fresh status list slot per configured purpose, the same
``awardedDate`` and ``validUntil``, ``validFrom`` = the re-issue time, and is signed by the
current key. In the **same transaction** the old credential is revoked with the reason
``superseded by urn:uuid:<new id>`` (audit trail included) and a ``reissue`` email is queued,
so a crash leaves either all of it or none of it. Re-running skips credentials that already
have a successor (``credentials.supersedes`` is unique), so nothing is re-issued twice.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from badgeflow import store
from badgeflow.credentials import bake_png, build_credential
from badgeflow.credentials.fast import BatchSigner
from badgeflow.errors import StoreError
from badgeflow.pipeline.issue import credential_uuid
from badgeflow.pipeline.runtime import Runtime
from badgeflow.status import status_entry, status_list_url
from badgeflow.store import AwardToIssue, NewCredential, StatusSlot
from badgeflow.store import reissue as reissue_store

__all__ = ["ReissueResult", "reissue_credentials", "select_for_reissue"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReissueResult:
    """Outcome of re-issuing one credential.

    Attributes:
        old_id: the credential asked for (bare id).
        new_id: its successor (bare id), new or found from an earlier run; None when refused.
        problem: why it was not re-issued (None when it was, or already had been).
        already: True when an earlier run had re-issued it (nothing done now).
        outbox_id: the queued ``reissue`` email.
    """

    old_id: str
    new_id: str | None
    problem: str | None = None
    already: bool = False
    outbox_id: int | None = None


def select_for_reissue(
    runtime: Runtime,
    *,
    credential_ids: Sequence[str] | None = None,
    achievement_id: str | None = None,
    without_status: bool = False,
) -> list[str]:
    """Return the bare ids of stored credentials matching every given filter, oldest first.

    Args:
        runtime: resources built from settings.
        credential_ids: only these; None for any.
        achievement_id: only this achievement's.
        without_status: only credentials without a status list entry, active, not re-issued.

    Returns:
        Credential ids; unknown ids in ``credential_ids`` are kept, so they are reported.
    """
    with runtime.sessions() as session:
        found = reissue_store.reissue_candidates(
            session,
            credential_ids=credential_ids,
            achievement_id=achievement_id,
            without_status=without_status,
        )
    ids = [c.credential_id for c in found]
    if credential_ids is not None and achievement_id is None and not without_status:
        known = set(ids)
        ids += [store.bare_credential_id(c) for c in credential_ids if c not in known]
    return list(dict.fromkeys(ids))


def reissue_credentials(
    runtime: Runtime,
    credential_ids: Sequence[str],
    *,
    reissued_at: datetime,
    actor: str,
    batch_id: str,
) -> list[ReissueResult]:
    """Re-issue credentials one by one, each in its own transaction.

    Only credentials of active awards are re-issued; revoked or suspended ones, and expired
    ones (their ``validUntil`` has passed), are refused with a reason. The site is not
    published and the emails are not sent here (`publish_site`, `send_emails`).

    Args:
        runtime: resources built from settings.
        credential_ids: the credentials (bare or ``urn:uuid:`` ids).
        reissued_at: the new ``validFrom``, proof time and audit time (aware).
        actor: who asked, recorded in the revocation's audit event.
        batch_id: recorded on the new awards and credentials.

    Returns:
        One result per id, in order.
    """
    return [
        _reissue_one(runtime, store.bare_credential_id(c), reissued_at, actor, batch_id)
        for c in credential_ids
    ]


def _reissue_one(
    runtime: Runtime, old_id: str, at: datetime, actor: str, batch_id: str
) -> ReissueResult:
    with runtime.sessions() as session:
        found = reissue_store.reissue_candidates(session, credential_ids=[old_id])
    if not found:
        return ReissueResult(old_id, None, problem="no such credential")
    old = found[0]
    if old.successor is not None:
        return ReissueResult(old_id, old.successor, already=True)
    if old.status != "active":
        return ReissueResult(old_id, None, problem=f"is {old.status}; only active ones")
    if old.valid_until is not None and old.valid_until <= at:
        return ReissueResult(old_id, None, problem="has expired; a re-issue would be expired")
    purposes = runtime.settings.issuance.status_purposes
    with runtime.sessions.begin() as session:
        slots = [store.reserve_status_slots(session, p, 1)[0] for p in purposes]
    new_key = reissue_store.reissue_award_key(old.award_key, old_id)
    new_id = credential_uuid(new_key)
    try:
        outbox_id = _store_reissue(runtime, old, new_key, new_id, slots, at, actor, batch_id)
    except IntegrityError:
        # Another run re-issued it between our read and our commit; its successor stands.
        with runtime.sessions() as session:
            successor = reissue_store.successor_of(session, old_id)
        return ReissueResult(old_id, successor, already=True)
    logger.info("credential %s re-issued as %s", old_id, new_id)
    return ReissueResult(old_id, new_id, outbox_id=outbox_id)


def _store_reissue(
    runtime: Runtime,
    old: reissue_store.ReissueCandidate,
    new_key: str,
    new_id: str,
    slots: list[StatusSlot],
    at: datetime,
    actor: str,
    batch_id: str,
) -> int | None:
    """Store the new award and credential, revoke the old one, queue the email: one commit."""
    old_id = old.credential_id
    with runtime.sessions.begin() as session:
        award_id = reissue_store.copy_award_for_reissue(
            session, old.award_id, award_key=new_key, batch_id=batch_id
        )
        [award] = store.awards_to_issue(session, [award_id])
        row = _sign_and_bake(runtime, award, new_id, slots, at, batch_id, supersedes=old_id)
        store.save_credentials(session, [row])
        store.save_status_entries(session, new_id, slots)
        change = store.change_status(
            session, old_id, "revoke", reason=f"superseded by urn:uuid:{new_id}", actor=actor, at=at
        )
        if not change.changed:
            # Changed since it was read (e.g. revoked meanwhile): undo the whole re-issue.
            raise StoreError(f"credential {old_id} could not be revoked: {change.problem}")
        return reissue_store.enqueue_reissue_email(session, new_id)


def _sign_and_bake(
    runtime: Runtime,
    award: AwardToIssue,
    credential_id: str,
    slots: list[StatusSlot],
    at: datetime,
    batch_id: str,
    *,
    supersedes: str,
) -> NewCredential:
    base = runtime.settings.site.base_url
    salt = secrets.token_hex(16)
    unsigned = build_credential(
        credential_id=f"urn:uuid:{credential_id}",
        issuer=runtime.issuer,
        achievement=runtime.catalog.achievement_info(award.achievement_id, site_base_url=base),
        recipient_email=award.learner_email,
        salt=salt,
        valid_from=at,
        valid_until=award.valid_until,
        awarded_at=award.awarded_at,
        score=award.score,
        credential_status=[
            status_entry(
                list_url=status_list_url(base, s.purpose, s.list_number),
                index=s.index,
                purpose=s.purpose,
            )
            for s in slots
        ],
    )
    # The batch signer's text is what the nightly issue stage stores (same bytes as `issue`).
    [text] = BatchSigner(runtime.signer, created=at, proof_as_array=True).sign_json([unsigned])
    image = runtime.catalog.image_path(award.achievement_id, ".png").read_bytes()
    runtime.baked_dir.mkdir(parents=True, exist_ok=True)
    # A file of its own per attempt, as in the issue stage (two admins re-issuing at once).
    target = runtime.baked_dir / f"{credential_id}.{secrets.token_hex(6)}.png"
    tmp = target.with_suffix(".png.tmp")
    tmp.write_bytes(bake_png(image, text))
    tmp.replace(target)
    return NewCredential(
        id=credential_id,
        award_id=award.award_id,
        document=text,
        salt=salt,
        verification_method=runtime.signer.verification_method,
        issued_at=at,
        batch_id=batch_id,
        baked_path=str(target),
        supersedes=supersedes,
    )
