"""Typed Open Badges 3.0 models (frozen dataclasses) with ``to_json()``.

Example:
    >>> achievement = Achievement(
    ...     id="https://badges.example.org/achievements/sql",
    ...     name="SQL",
    ...     description="Writes SQL.",
    ...     criteria=Criteria(narrative="Pass SQL110."),
    ... )
    >>> achievement.to_json()["type"]
    ['Achievement']
"""

from __future__ import annotations

from badgeflow.credentials.ob3._base import (
    ACHIEVEMENT_TYPES,
    ALIGNMENT_TARGET_TYPES,
    IDENTITY_TYPES,
    RESULT_STATUS_TYPES,
    RESULT_TYPES,
    check_id,
)
from badgeflow.credentials.ob3.achievement import (
    Achievement,
    Alignment,
    Criteria,
    Image,
    Profile,
    ResultDescription,
    RubricCriterionLevel,
)
from badgeflow.credentials.ob3.credential import (
    ACHIEVEMENT_CREDENTIAL_SCHEMA,
    CREDENTIAL_CONTEXT,
    ENDORSEMENT_CREDENTIAL_SCHEMA,
    AchievementSubject,
    EndorsementCredential,
    EndorsementSubject,
    Evidence,
    IdentityObject,
    OpenBadgeCredential,
    Result,
    identity_hash,
    normalise_email,
)

__all__ = [
    "ACHIEVEMENT_CREDENTIAL_SCHEMA",
    "ACHIEVEMENT_TYPES",
    "ALIGNMENT_TARGET_TYPES",
    "CREDENTIAL_CONTEXT",
    "ENDORSEMENT_CREDENTIAL_SCHEMA",
    "IDENTITY_TYPES",
    "RESULT_STATUS_TYPES",
    "RESULT_TYPES",
    "Achievement",
    "AchievementSubject",
    "Alignment",
    "Criteria",
    "EndorsementCredential",
    "EndorsementSubject",
    "Evidence",
    "IdentityObject",
    "Image",
    "OpenBadgeCredential",
    "Profile",
    "Result",
    "ResultDescription",
    "RubricCriterionLevel",
    "check_id",
    "identity_hash",
    "normalise_email",
]
