"""Fresh test frames in the canonical layouts (a new copy on every call)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd

from badgeflow.models import (
    ACHIEVEMENT_ID,
    AWARD_COLUMNS,
    AWARD_KEY,
    AWARDED_AT,
    COMPLETED,
    COMPLETED_AT,
    COMPLETION_COLUMNS,
    COURSE_ID,
    COURSE_NAME,
    EVIDENCE_RECORD_IDS,
    FETCHED_AT,
    LEARNER_EMAIL,
    LEARNER_ID,
    LEARNER_NAME,
    MODULES_COMPLETED,
    MODULES_TOTAL,
    PROGRESS_PCT,
    RAW,
    SCORE,
    SCORE_KIND,
    SOURCE,
    SOURCE_RECORD_ID,
    SOURCE_SYSTEM,
    VALID_FROM,
    VALID_UNTIL,
)
from badgeflow.store import NewCredential

AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

EXPECTED_TABLES = {
    "sources",
    "batches",
    "learners",
    "completions",
    "quarantined_rows",
    "awards",
    "credentials",
    "email_outbox",
    "status_counters",
    "status_entries",
    "status_events",
    "engagement_cursors",
    "engagement_salts",
    "engagement_hits",
    "mail_events",
    "credential_engagement",
    "metric_rollups",
    "pathway_funnel",
    "webhook_events",
    "pathway_progress",
}


def completion(record_id: str = "7:101", **overrides) -> dict:
    row = {
        SOURCE: "moodle-main",
        SOURCE_SYSTEM: "moodle",
        SOURCE_RECORD_ID: record_id,
        LEARNER_ID: record_id.split(":")[0],
        LEARNER_EMAIL: "ada@example.org",
        LEARNER_NAME: "Ada Lovelace",
        COURSE_ID: "101",
        COURSE_NAME: "Data Foundations",
        COMPLETED: True,
        COMPLETED_AT: AS_OF - timedelta(days=2),
        SCORE: 88.5,
        SCORE_KIND: "final_assessment",
        MODULES_COMPLETED: 6,
        MODULES_TOTAL: 6,
        PROGRESS_PCT: 100.0,
        FETCHED_AT: AS_OF,
        RAW: {"userid": 7, "courseid": 101, "timecompleted": 1764000000},
    }
    row.update(overrides)
    return row


def completions_frame(*rows: dict) -> pd.DataFrame:
    df = pd.DataFrame(list(rows) or [completion()], columns=list(COMPLETION_COLUMNS))
    for column in (COMPLETED_AT, FETCHED_AT):
        df[column] = pd.to_datetime(df[column], utc=True)
    for column in (MODULES_COMPLETED, MODULES_TOTAL):
        df[column] = df[column].astype("Int64")
    return df


def award(key: str = "ada@example.org|data-foundations|2026", **overrides) -> dict:
    row = {
        AWARD_KEY: key,
        LEARNER_EMAIL: "ada@example.org",
        LEARNER_NAME: "Ada Lovelace",
        ACHIEVEMENT_ID: "data-foundations",
        AWARDED_AT: AS_OF - timedelta(days=2),
        VALID_FROM: AS_OF - timedelta(days=2),
        VALID_UNTIL: None,
        SCORE: 88.5,
        EVIDENCE_RECORD_IDS: ("moodle-main:7:101",),
    }
    row.update(overrides)
    return row


def awards_frame(*rows: dict) -> pd.DataFrame:
    df = pd.DataFrame(list(rows) or [award()], columns=list(AWARD_COLUMNS))
    for column in (AWARDED_AT, VALID_FROM, VALID_UNTIL):
        df[column] = pd.to_datetime(df[column], utc=True)
    return df


def new_credential(award_id: int, credential_id: str, **overrides) -> NewCredential:
    values = {
        "id": credential_id,
        "award_id": award_id,
        # Non-ASCII and exact whitespace: the store must keep the signed bytes as they are.
        "document": json.dumps(
            {
                "id": f"urn:uuid:{credential_id.removeprefix('urn:uuid:')}",
                "name": "Ada\u2019s badge",
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n",
        "salt": "00ff",
        "verification_method": "did:web:badges.example.org#key-1",
        "issued_at": AS_OF,
        "batch_id": "batch-1",
    }
    values.update(overrides)
    return NewCredential(**values)
