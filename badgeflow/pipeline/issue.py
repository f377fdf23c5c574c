"""Stage 3: sign an OB 3.0 credential for each new award and bake it into the badge image."""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from badgeflow import store
from badgeflow.credentials.builder import CredentialSpec
from badgeflow.credentials.pool import BakeTarget, build_sign_and_bake_parts
from badgeflow.credentials.vcjwt import encode_vc_jwt
from badgeflow.pipeline.recipients import NO_DID, learner_dids
from badgeflow.pipeline.runtime import Runtime
from badgeflow.status import status_entry, status_list_url
from badgeflow.store import AwardToIssue, NewCredential, StatusSlot

__all__ = ["CREDENTIAL_NAMESPACE", "credential_uuid", "issue_credentials", "pending_award_ids"]

logger = logging.getLogger(__name__)

CREDENTIAL_NAMESPACE = uuid.UUID("5d3c1a0e-6f0b-4c47-9a55-2b8f0d7f9e11")
"""UUIDv5 namespace of credential ids: an award always gets the same credential id."""


def credential_uuid(award_key: str) -> str:
    """Return the deterministic credential uuid of an award."""
    return str(uuid.uuid5(CREDENTIAL_NAMESPACE, award_key))


def pending_award_ids(runtime: Runtime) -> list[int]:
    """Return the ids of awards that have no credential yet, oldest first."""
    with runtime.sessions() as session:
        return store.pending_award_ids(session)


def issue_credentials(
    runtime: Runtime, award_ids: list[int], *, batch_id: str, issued_at: datetime
) -> int:
    """Sign, bake and store the credentials of a chunk of awards, in one transaction.

    Awards that already have a credential (a re-run after a crash) are skipped, and the store
    refuses a second credential per award, so no award is ever issued twice.

    Each credential gets one status list slot per purpose of ``issuance.status_purposes``.
    The slots are reserved (and committed) first, in a short transaction of their own: a
    failed chunk leaves unused slots behind but never hands a slot out twice. The
    credentials and their status entries are then stored in one transaction.

    Each chunk bakes into PNGs of its own (``<credential id>.<attempt>.png`` under
    ``var/baked``), so a run that loses an award to another run (which stored its credential
    first) never replaces that run's PNG; it deletes its own, and so does a chunk that fails.

    Args:
        runtime: resources built from settings.
        award_ids: the chunk to issue.
        batch_id: the batch doing the work.
        issued_at: the signing time (``proof.created``).

    Returns:
        How many credentials were stored.
    """
    purposes = runtime.settings.issuance.status_purposes
    count = len(set(award_ids))
    with runtime.sessions.begin() as session:
        reserved = [store.reserve_status_slots(session, p, count) for p in purposes]
    written = _Written()
    try:
        stored = _sign_and_store(runtime, award_ids, reserved, written, batch_id, issued_at)
    except BaseException:
        _discard_unstored(runtime, written.targets)
        raise
    # Awards another run issued meanwhile: its credentials and their PNGs are the ones kept.
    for target in written.lost:
        target.path.unlink(missing_ok=True)
    logger.info("issued %d credentials (%d awards in chunk)", stored, len(award_ids))
    return stored


@dataclass
class _Written:
    """The baked PNGs of one chunk: all it writes, and those of awards issued meanwhile."""

    targets: list[BakeTarget] = field(default_factory=list)
    lost: list[BakeTarget] = field(default_factory=list)


def _sign_and_store(
    runtime: Runtime,
    award_ids: list[int],
    reserved: list[list[StatusSlot]],
    written: _Written,
    batch_id: str,
    issued_at: datetime,
) -> int:
    """`issue_credentials`' transaction; records the PNGs it writes in ``written``."""
    count = len(set(award_ids))
    with runtime.sessions.begin() as session:
        awards = _with_recipient(runtime, session, store.awards_to_issue(session, award_ids))
        # One list of slots per award (empty when no status purpose is configured).
        slots = (
            [list(chosen) for chosen in zip(*reserved, strict=True)]
            if reserved
            else [[] for _ in range(count)]
        )
        # Each achievement's info is built once per chunk; the credentials themselves are
        # built where they are signed (in the signing workers with ``sign_processes > 1``).
        base = runtime.settings.site.base_url
        infos = {
            slug: runtime.catalog.achievement_info(slug, site_base_url=base)
            for slug in {award.achievement_id for award, _ in awards}
        }
        prepared = [
            _prepare(runtime, award, slots=s, did=did)
            for (award, did), s in zip(awards, slots, strict=False)
        ]
        # Each achievement's badge image is read once per chunk, not once per credential.
        images = {
            slug: runtime.catalog.image_path(slug, ".png").read_bytes()
            for slug in {award.achievement_id for award, _ in awards}
        }
        runtime.baked_dir.mkdir(parents=True, exist_ok=True)
        baked_dir = str(runtime.baked_dir)
        # Each attempt writes PNGs of its own: two runs signing the same award (a rerun
        # overlapping a nightly batch) never write the same file, so the PNG the stored
        # credential names always holds that very credential.
        attempt = secrets.token_hex(6)
        targets = written.targets
        targets.extend(
            BakeTarget(award.achievement_id, Path(f"{baked_dir}/{credential_id}.{attempt}.png"))
            for award, credential_id, _, _ in prepared
        )
        # One batch signer per chunk (or per worker's part of it): the proof options are
        # canonicalised once and each credential shape compiled once, giving the same bytes
        # as `issue` per credential. `proof` is an array: the OB 3.0 JSON Schema accepts
        # nothing else. The first part is stored while the workers finish the others (all in
        # this one transaction).
        stored = 0
        for start, documents in build_sign_and_bake_parts(
            runtime.signer,
            runtime.issuer,
            infos,
            [spec for _, _, _, spec in prepared],
            created=issued_at,
            images=images,
            targets=targets,
            processes=runtime.settings.issuance.sign_processes,
        ):
            end = start + len(documents)
            jwts = _vc_jwts(runtime, documents)
            rows = [
                _finish(runtime, award, (cid, salt, document, jwt), batch_id, issued_at, t)
                for (award, cid, salt, _), document, jwt, t in zip(
                    prepared[start:end], documents, jwts, targets[start:end], strict=True
                )
            ]
            saved = {row.id for row in store.save_new_credentials(session, rows)}
            stored += len(saved)
            written.lost.extend(
                t for row, t in zip(rows, targets[start:end], strict=True) if row.id not in saved
            )
            store.save_status_entries_many(
                session,
                [(row.id, chosen) for row, chosen in zip(rows, slots[start:end], strict=False)],
            )
    return stored


def _discard_unstored(runtime: Runtime, targets: list[BakeTarget]) -> None:
    """After a failed chunk, delete the PNGs it wrote that no stored credential names.

    A failure while committing may leave it unknown whether the credentials were stored, so
    the store is asked; when it cannot answer, the files stay (an orphan PNG is harmless).
    """
    if not targets:
        return
    try:
        with runtime.sessions() as session:
            named = store.baked_paths_in_use(session, [str(t.path) for t in targets])
    except Exception:
        logger.warning(
            "kept the %d baked PNGs of the failed chunk: store unreachable", len(targets)
        )
        return
    for target in targets:
        if str(target.path) not in named:
            target.path.unlink(missing_ok=True)
            target.path.with_suffix(".png.tmp").unlink(missing_ok=True)  # a write cut short


def _with_recipient(
    runtime: Runtime, session: Session, awards: list[AwardToIssue]
) -> list[tuple[AwardToIssue, str | None]]:
    """Pair each award with its learner's DID; in did mode, drop (and log) those without one.

    An award left out stays pending, so it is issued by the first run after its learner's
    DID arrives; its credential id is deterministic, so it is never issued twice.
    """
    if runtime.settings.issuance.recipient_identity != "did":
        return [(award, None) for award in awards]
    dids = learner_dids(session, awards)
    for award in awards:
        if dids[award.award_id] is None:
            logger.warning(
                "award %d (%s) not issued: %s", award.award_id, award.achievement_id, NO_DID
            )
    return [(award, dids[award.award_id]) for award in awards if dids[award.award_id]]


def _prepare(
    runtime: Runtime,
    award: AwardToIssue,
    *,
    slots: list[StatusSlot],
    did: str | None,
) -> tuple[AwardToIssue, str, str, CredentialSpec]:
    """The build arguments of an award's credential: (award, credential id, salt, spec)."""
    credential_id = credential_uuid(award.award_key)
    salt = secrets.token_hex(16)
    base = runtime.settings.site.base_url
    spec = CredentialSpec(
        credential_id=f"urn:uuid:{credential_id}",
        achievement=award.achievement_id,
        recipient_email=award.learner_email,
        salt=salt,
        valid_from=award.valid_from,
        valid_until=award.valid_until,
        awarded_at=award.awarded_at,
        score=award.score,
        recipient_identity=runtime.settings.issuance.recipient_identity,
        recipient_did=did,
        credential_status=tuple(
            status_entry(
                list_url=status_list_url(base, slot.purpose, slot.list_number),
                index=slot.index,
                purpose=slot.purpose,
            )
            for slot in slots
        ),
    )
    return award, credential_id, salt, spec


def _vc_jwts(runtime: Runtime, documents: list[str]) -> list[str | None]:
    """The VC-JWT of each signed credential (embedded proof included), or None per credential."""
    issuance = runtime.settings.issuance
    if "vc-jwt" not in issuance.formats:
        return [None] * len(documents)
    key = runtime.jose_keyring.current(issuance.jwt_alg)
    kid = f"{runtime.issuer_did}#{key.key_id}"
    return [encode_vc_jwt(json.loads(document), key, kid=kid) for document in documents]


def _finish(
    runtime: Runtime,
    award: AwardToIssue,
    signed: tuple[str, str, str, str | None],
    batch_id: str,
    issued_at: datetime,
    baked: BakeTarget,
) -> NewCredential:
    credential_id, salt, document, jwt = signed
    return NewCredential(
        id=credential_id,
        award_id=award.award_id,
        document=document,
        salt=salt,
        verification_method=runtime.signer.verification_method,
        issued_at=issued_at,
        batch_id=batch_id,
        baked_path=str(baked.path),
        jwt=jwt,
    )
