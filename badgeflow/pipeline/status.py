"""Revoke, suspend and reinstate credentials, and sign the status lists the site publishes."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from badgeflow import store
from badgeflow.models import JSONDict
from badgeflow.pipeline.runtime import Runtime
from badgeflow.site.layout import join_url
from badgeflow.status import build_status_list_credential, status_list_path
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


def status_list_credentials(runtime: Runtime, *, published_at: datetime) -> dict[str, JSONDict]:
    """Sign every status list (each purpose, each list number in use) as of now.

    Args:
        runtime: resources built from settings.
        published_at: the lists' ``validFrom`` and proof time.

    Returns:
        Site-relative path (``status/<purpose>/<n>``) → signed status list credential.
    """
    with runtime.sessions() as session:
        bits = store.status_list_bits(session)
    base = runtime.settings.site.base_url
    lists: dict[str, JSONDict] = {}
    for (purpose, number), indices in bits.items():
        path = status_list_path(purpose, number)
        lists[path] = build_status_list_credential(
            list_url=join_url(base, path),
            purpose=purpose,
            issuer_id=runtime.issuer.id,
            set_indices=indices,
            valid_from=published_at,
            signer=runtime.signer,
        )
    return lists
