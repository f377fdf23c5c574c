"""Revoke, suspend and reinstate credentials, and sign the status lists the site publishes."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from badgeflow import store
from badgeflow.credentials.verify import verify_credential
from badgeflow.models import JSONDict
from badgeflow.pipeline.runtime import Runtime
from badgeflow.site.layout import join_url
from badgeflow.status import build_status_list_credential, encode_bitstring, status_list_path
from badgeflow.store import StatusAction, StatusChange

__all__ = ["StatusRequest", "StatusResult", "change_statuses", "status_list_credentials"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StatusRequest:
    """One credential to revoke, suspend or reinstate.

    Attributes:
        credential_id: bare UUID or ``urn:uuid:`` id.
        reason: why; required, kept in the audit trail (and shown in a revocation email).
        label: where the request came from (e.g. ``row 3``), for reports.
    """

    credential_id: str
    reason: str
    label: str = ""


@dataclass(frozen=True)
class StatusResult:
    """Outcome of one request: the change, and the email queued for it (if any)."""

    request: StatusRequest
    change: StatusChange
    outbox_id: int | None = None


def change_statuses(
    runtime: Runtime,
    requests: Sequence[StatusRequest],
    action: StatusAction,
    *,
    actor: str,
    at: datetime,
    notify: bool = False,
) -> list[StatusResult]:
    """Apply one action to many credentials, each in its own transaction.

    A request that cannot be applied (unknown id, missing reason, already revoked ...) is
    reported in its result and does not affect the others. The status lists change only
    when the site is published again (`badgeflow.pipeline.publish_site`).

    Args:
        runtime: resources built from settings.
        requests: the credentials and reasons.
        action: ``revoke``, ``suspend`` or ``reinstate``.
        actor: who asked, recorded in the audit trail.
        at: when, recorded in the audit trail (aware).
        notify: queue a ``revoked`` email to the learner for each revocation.

    Returns:
        One result per request, in order.
    """
    results: list[StatusResult] = []
    for request in requests:
        with runtime.sessions.begin() as session:
            change = store.change_status(
                session, request.credential_id, action, reason=request.reason, actor=actor, at=at
            )
            outbox_id = None
            if change.changed and notify and action == "revoke":
                outbox_id = store.enqueue_revoked_email(session, change.credential_id)
        if change.changed:
            logger.info("credential %s: %s (%s)", change.credential_id, action, change.status)
        results.append(StatusResult(request, change, outbox_id))
    return results


def status_list_credentials(
    runtime: Runtime, *, published_at: datetime, reuse_from: Path | None = None
) -> dict[str, JSONDict]:
    """Sign every status list (each purpose, each list number in use) as of now.

    With ``reuse_from`` (the published site's folder), a list whose published copy already
    holds exactly these bits, is signed by the current key and verifies is kept as it is,
    so an unchanged list keeps its bytes (and its ``validFrom``) from one publish to the
    next; only lists whose bits changed, or without a valid published copy, are re-signed.

    Args:
        runtime: resources built from settings.
        published_at: the ``validFrom`` and proof time of the lists signed now.
        reuse_from: the site folder whose published lists may be kept; None signs them all.

    Returns:
        Site-relative path (``status/<purpose>/<n>``) → signed status list credential.
    """
    with runtime.sessions() as session:
        bits = store.status_list_bits(session)
    base = runtime.settings.site.base_url
    lists: dict[str, JSONDict] = {}
    resigned = 0
    for (purpose, number), indices in bits.items():
        path = status_list_path(purpose, number)
        if reuse_from is not None:
            kept = _reusable_list(
                runtime, reuse_from / path, join_url(base, path), purpose, indices, published_at
            )
            if kept is not None:
                lists[path] = kept
                continue
        resigned += 1
        lists[path] = build_status_list_credential(
            list_url=join_url(base, path),
            purpose=purpose,
            issuer_id=runtime.issuer.id,
            set_indices=indices,
            valid_from=published_at,
            signer=runtime.signer,
        )
    logger.info("status lists: %d re-signed, %d unchanged", resigned, len(lists) - resigned)
    return lists


def _reusable_list(
    runtime: Runtime,
    published: Path,
    list_url: str,
    purpose: str,
    indices: Iterable[int],
    now: datetime,
) -> JSONDict | None:
    """The published list, when it still says exactly this, in our current key's name."""
    try:
        document: Any = json.loads(published.read_text("utf-8"))
        subject = document["credentialSubject"]
        proofs = document["proof"]
        proof = proofs[0] if isinstance(proofs, list) and len(proofs) == 1 else proofs
        same = (
            document.get("id") == list_url
            and document.get("issuer") == runtime.issuer.id
            and subject.get("statusPurpose") == purpose
            and subject.get("encodedList") == encode_bitstring(indices)
            and proof.get("verificationMethod") == runtime.signer.verification_method
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not same:
        return None
    did_documents = {runtime.settings.site.issuer_did: runtime.did_document}
    if not verify_credential(document, did_documents=did_documents, now=now).verified:
        logger.warning("published status list %s does not verify: re-signing it", list_url)
        return None
    return cast(JSONDict, document)
