"""Operations: failure alerts for ops and the admin actions the Prefect flows and the CLI share.

`alerts` builds the failure email (what failed, the stage, the redacted error, links);
`admin` revokes credentials and rotates the signing key, returning summaries to show.
"""

from __future__ import annotations

from badgeflow.ops.admin import (
    KeyRotation,
    StatusChangeSummary,
    change_credential_statuses,
    rotate_signing_key,
)
from badgeflow.ops.alerts import (
    FailedRun,
    build_alert_email,
    failed_stage,
    redact,
    run_url,
    send_alert,
)

__all__ = [
    "FailedRun",
    "KeyRotation",
    "StatusChangeSummary",
    "build_alert_email",
    "change_credential_statuses",
    "failed_stage",
    "redact",
    "rotate_signing_key",
    "run_url",
    "send_alert",
]
