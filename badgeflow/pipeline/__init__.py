"""The nightly issuance pipeline as plain functions, one per stage; ``tasks/`` wraps each one.

Stages: ingest (extract + validate + store, per source) → evaluate (criteria and pathways,
record awards) → issue (sign and bake, in chunks) → publish (the static site and its signed
status lists) → notify (render and send, in chunks, once the links are live). Every stage
reads its inputs from the store and commits its outputs, so a batch that dies half-way is
finished by simply running it again: nothing is issued or emailed twice. `status` revokes,
suspends and reinstates credentials outside the nightly run.
"""

from __future__ import annotations

from badgeflow.pipeline.award import AwardStageResult, evaluate_awards
from badgeflow.pipeline.bounces import BounceReport, apply_bounces
from badgeflow.pipeline.ingest import IngestResult, commit_watermarks, ingest_source
from badgeflow.pipeline.issue import issue_credentials, pending_award_ids
from badgeflow.pipeline.notify import SendResult, enqueue_emails, pending_email_ids, send_emails
from badgeflow.pipeline.publish import publish_site
from badgeflow.pipeline.runtime import Runtime, runtime_for
from badgeflow.pipeline.status import (
    StatusRequest,
    StatusResult,
    change_statuses,
    status_list_credentials,
)
from badgeflow.pipeline.summary import BatchSummary

__all__ = [
    "AwardStageResult",
    "BatchSummary",
    "BounceReport",
    "IngestResult",
    "Runtime",
    "SendResult",
    "StatusRequest",
    "StatusResult",
    "apply_bounces",
    "change_statuses",
    "commit_watermarks",
    "enqueue_emails",
    "evaluate_awards",
    "ingest_source",
    "issue_credentials",
    "pending_award_ids",
    "pending_email_ids",
    "publish_site",
    "runtime_for",
    "send_emails",
    "status_list_credentials",
]
