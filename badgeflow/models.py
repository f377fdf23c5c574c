"""Typed records shared across the core, and the column names of its DataFrames."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:  # the OB 3.0 models import this module
    from badgeflow.credentials.ob3 import Alignment, Evidence

__all__ = [
    "ACHIEVEMENT_ID",
    "ATTESTATION",
    "ATTESTATION_COLUMNS",
    "ATTESTED_AT",
    "ATTESTED_BY",
    "AWARDED_AT",
    "AWARD_COLUMNS",
    "AWARD_KEY",
    "AWARD_STATUS",
    "COHORT",
    "COHORT_COLUMNS",
    "COLUMN_NAME",
    "COMPLETED",
    "COMPLETED_AT",
    "COMPLETION_COLUMNS",
    "COURSE_ID",
    "COURSE_NAME",
    "EVIDENCE_RECORD_IDS",
    "EXPECTATION",
    "FETCHED_AT",
    "JOINED_AT",
    "LEARNER_EMAIL",
    "LEARNER_ID",
    "LEARNER_NAME",
    "MODULES_COMPLETED",
    "MODULES_TOTAL",
    "OUTCOME",
    "OUTCOME_COLUMNS",
    "PARSE_ERRORS",
    "PENDING_COLUMNS",
    "PROGRESS_PCT",
    "QUARANTINE_COLUMNS",
    "RAW",
    "REASON",
    "RECORD_KEY",
    "REVOCATION_COLUMNS",
    "ROW_NUMBER",
    "SCORE",
    "SCORE_KIND",
    "SOURCE",
    "SOURCE_RECORD_ID",
    "SOURCE_SYSTEM",
    "VALID_FROM",
    "VALID_UNTIL",
    "VALUE",
    "AchievementInfo",
    "IssuerInfo",
    "JSONDict",
]

JSONDict = dict[str, Any]
"""A JSON object: the one place `Any` is allowed (JSON-LD documents, raw LMS payloads)."""

# --- Canonical completion record (see README "Canonical completion record") -----------------
SOURCE: Final = "source"
"""Name of the configured source (``settings.sources[].name``), e.g. ``moodle-main``."""
SOURCE_SYSTEM: Final = "source_system"
"""Vendor of the source: ``moodle``, ``canvas``, ..., or ``csv``."""
SOURCE_RECORD_ID: Final = "source_record_id"
"""Stable id of the record in the source; with SOURCE it identifies a completion."""
LEARNER_ID: Final = "learner_id"
LEARNER_EMAIL: Final = "learner_email"
LEARNER_NAME: Final = "learner_name"
COURSE_ID: Final = "course_id"
COURSE_NAME: Final = "course_name"
COMPLETED: Final = "completed"
COMPLETED_AT: Final = "completed_at"
SCORE: Final = "score"
SCORE_KIND: Final = "score_kind"
MODULES_COMPLETED: Final = "modules_completed"
MODULES_TOTAL: Final = "modules_total"
PROGRESS_PCT: Final = "progress_pct"
FETCHED_AT: Final = "fetched_at"
RAW: Final = "raw"
"""The original payload of the record, a JSON object (dict), kept for audit."""

COMPLETION_COLUMNS: Final = (
    SOURCE,
    SOURCE_SYSTEM,
    SOURCE_RECORD_ID,
    LEARNER_ID,
    LEARNER_EMAIL,
    LEARNER_NAME,
    COURSE_ID,
    COURSE_NAME,
    COMPLETED,
    COMPLETED_AT,
    SCORE,
    SCORE_KIND,
    MODULES_COMPLETED,
    MODULES_TOTAL,
    PROGRESS_PCT,
    FETCHED_AT,
    RAW,
)

# --- Bookkeeping columns ----------------------------------------------------------------------
ROW_NUMBER: Final = "row_number"
"""1-based position of the record in what the source returned (file line order for CSV)."""
RECORD_KEY: Final = "record_key"
"""``"<source>:<source_record_id>"``: the key every row outcome is reported under."""
PARSE_ERRORS: Final = "parse_errors"
"""Tuple of messages from the connector about values it could not parse (empty when clean).
The contract step quarantines any row that has one."""
REASON: Final = "reason"
"""Human-readable reason: why a row was quarantined or is not yet eligible."""

EXPECTATION: Final = "expectation"
"""The first check a quarantined row failed: a GX expectation type, or ``parse_error``."""
COLUMN_NAME: Final = "column_name"
"""The column that check looked at (the vendor's label for an export suite)."""
VALUE: Final = "value"
"""The offending cell as text (None when the cell was empty)."""

QUARANTINE_COLUMNS: Final = (
    SOURCE,
    ROW_NUMBER,
    RECORD_KEY,
    REASON,
    RAW,
    EXPECTATION,
    COLUMN_NAME,
    VALUE,
)
"""One row per rejected input row: every reason in `REASON`, the first failure in
`EXPECTATION`, `COLUMN_NAME` and `VALUE`."""

# --- Awards (output of rules.evaluate) --------------------------------------------------------
ACHIEVEMENT_ID: Final = "achievement_id"
"""The catalog slug of the achievement, e.g. ``data-foundations``."""
AWARDED_AT: Final = "awarded_at"
VALID_FROM: Final = "valid_from"
VALID_UNTIL: Final = "valid_until"
AWARD_KEY: Final = "award_key"
"""Deterministic key of an award: learner, achievement and validity period."""
EVIDENCE_RECORD_IDS: Final = "evidence_record_keys"
"""Tuple of RECORD_KEYs of the completions that earned the award."""

AWARD_COLUMNS: Final = (
    AWARD_KEY,
    LEARNER_EMAIL,
    LEARNER_NAME,
    ACHIEVEMENT_ID,
    AWARDED_AT,
    VALID_FROM,
    VALID_UNTIL,
    SCORE,
    EVIDENCE_RECORD_IDS,
)
PENDING_COLUMNS: Final = (RECORD_KEY, LEARNER_EMAIL, COURSE_ID, REASON)
AWARD_STATUS: Final = "status"
"""Status of a stored award: ``active``, ``revoked`` or ``suspended`` (only active ones count)."""
OUTCOME: Final = "outcome"
"""What the rules made of a completion row: ``awarded`` or ``not_yet_eligible``."""
OUTCOME_COLUMNS: Final = (RECORD_KEY, LEARNER_EMAIL, COURSE_ID, OUTCOME, REASON)
REVOCATION_COLUMNS: Final = (AWARD_KEY, LEARNER_EMAIL, ACHIEVEMENT_ID, AWARD_STATUS, REASON)
"""Stored awards the rules say must change status (a pathway tier whose prerequisite expired,
with ``on_prerequisite_expiry: suspend``): the new status and why."""

# --- Facts from file sources, used by criteria (cohorts, attestations) -----------------------
COHORT: Final = "cohort"
JOINED_AT: Final = "joined_at"
"""When the learner joined the cohort (timezone-aware UTC), or missing."""
COHORT_COLUMNS: Final = (LEARNER_EMAIL, COHORT, JOINED_AT)
ATTESTATION: Final = "attestation"
"""The attestation's name as criteria refer to it, e.g. ``manager-signoff``."""
ATTESTED_BY: Final = "attested_by"
ATTESTED_AT: Final = "attested_at"
ATTESTATION_COLUMNS: Final = (LEARNER_EMAIL, ATTESTATION, ATTESTED_BY, ATTESTED_AT)


@dataclass(frozen=True)
class IssuerInfo:
    """The issuer as it appears in credentials (an OB 3.0 ``Profile``).

    Attributes:
        id: the issuer's DID (``did:web:...``), also the controller of its keys.
        name: display name.
        url: the organisation's home page.
        email: contact address, optional.
        description: one-paragraph description, optional.
        image_url: absolute URL of the issuer logo, optional.
    """

    id: str
    name: str
    url: str
    email: str | None = None
    description: str | None = None
    image_url: str | None = None


@dataclass(frozen=True)
class AchievementInfo:
    """An achievement as it appears in credentials (an OB 3.0 ``Achievement``).

    Attributes:
        id: absolute URL of the achievement page on the verification site.
        slug: catalog slug (file name in ``badge_catalog/achievements/``).
        name: display name.
        description: what the badge means.
        criteria_narrative: Markdown text of the criteria (OB 3.0 ``criteria.narrative``).
        criteria_url: absolute URL of a human-readable criteria page.
        image_url: absolute URL of the badge image (PNG or SVG).
        achievement_type: an OB 3.0 achievement type, e.g. ``Badge`` or ``Certification``.
        tags: free keywords.
        valid_for_days: how long an award stays valid; None for never expiring.
        alignments: skills, competencies or standards it aligns to (OB 3.0 ``alignment``).
        endorsements: signed ``EndorsementCredential`` documents embedded as ``endorsement``.
        evidence: evidence items every credential of it carries (assessment, assessor ...).
        version, in_language, human_code, field_of_study, credits_available: the OB 3.0
            ``Achievement`` properties of the same names (omitted when None).
    """

    id: str
    slug: str
    name: str
    description: str
    criteria_narrative: str
    criteria_url: str
    image_url: str
    achievement_type: str = "Badge"
    tags: tuple[str, ...] = field(default_factory=tuple)
    valid_for_days: int | None = None
    alignments: tuple[Alignment, ...] = ()
    endorsements: tuple[JSONDict, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    version: str | None = None
    in_language: str | None = None
    human_code: str | None = None
    field_of_study: str | None = None
    credits_available: float | None = None
