"""The revoke-credentials flow: revoke credentials from the Prefect UI and publish the change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from pydantic import Field

from tasks import admin, site
from tasks.alerts import alert_ops

CredentialIds = Annotated[list[str], Field(min_length=1)]


@flow(name="revoke-credentials", log_prints=False, on_failure=[alert_ops], on_crashed=[alert_ops])
def revoke_credentials(
    credential_ids: CredentialIds,
    reason: Annotated[str, Field(min_length=1)],
    requested_by: Annotated[str, Field(min_length=1)],
    notify_learners: bool = False,
    publish: bool = True,
) -> dict[str, object]:
    """Revoke credentials for good, then re-publish the site so the status lists say so.

    Args:
        credential_ids: the credentials to revoke (uuid or urn:uuid:...), one per line.
        reason: why; kept in the audit trail and shown to the learner if notified.
        requested_by: who asks (kept in the audit trail).
        notify_learners: email each learner that their badge was revoked.
        publish: re-publish the site and status lists now (off: the next nightly run does).
    """
    logger = get_run_logger()
    at = datetime.now(UTC).replace(microsecond=0)
    summary = admin.revoke(credential_ids, reason, requested_by, notify_learners, at)
    if publish:  # also when nothing changed: a retried run publishes what a crash left unpublished
        summary.site = site.publish(at)
    create_markdown_artifact(
        key="revoke-credentials", markdown=summary.markdown(), description="Revocation"
    )
    logger.info("revoked %d, not changed %d", summary.changed, summary.problems)
    return summary.as_dict()
