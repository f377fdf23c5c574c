"""Admin tasks: revoke credentials, rotate the signing key (thin wrappers over `badgeflow.ops`)."""

from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from badgeflow.ops import (
    KeyRotation,
    StatusChangeSummary,
    change_credential_statuses,
    rotate_signing_key,
)
from badgeflow.pipeline.status import StatusRequest
from tasks._settings import get_runtime, get_settings


@task(name="revoke-credentials", cache_policy=NO_CACHE)
def revoke(
    credential_ids: list[str], reason: str, actor: str, notify: bool, at: datetime
) -> StatusChangeSummary:
    """Revoke the credentials (audit trail), queue and send revocation emails if asked."""
    requests = [StatusRequest(cid, reason) for cid in credential_ids]
    return change_credential_statuses(
        get_runtime(), "revoke", requests, actor=actor, at=at, notify=notify, publish=False
    )


@task(name="rotate-signing-key", cache_policy=NO_CACHE)
def rotate(now: datetime, new_issuer: bool) -> KeyRotation:
    """Make a new current signing key; the previous one is retired."""
    return rotate_signing_key(get_settings(), now=now, new_issuer=new_issuer)
