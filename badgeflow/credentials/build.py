"""Build unsigned Open Badges 3.0 ``OpenBadgeCredential`` documents (VC Data Model 2.0).

The recipient is identified only by a salted hash of their email (an OB 3.0
``IdentityObject``); the plaintext address never enters a credential. Multi-valued properties
are always arrays (the 1EdTech JSON Schemas expect them) and absent values are omitted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from badgeflow.credentials.document_loader import OB_V3P0_CONTEXT_URL, VC_V2_URL
from badgeflow.credentials.proof import format_datetime
from badgeflow.errors import CredentialError
from badgeflow.models import AchievementInfo, IssuerInfo, JSONDict

__all__ = [
    "CREDENTIAL_CONTEXT",
    "CREDENTIAL_SCHEMA",
    "SCORE_RESULT_FRAGMENT",
    "build_credential",
    "identity_hash",
    "normalise_email",
]

CREDENTIAL_CONTEXT: Final = (VC_V2_URL, OB_V3P0_CONTEXT_URL)
CREDENTIAL_SCHEMA: Final = {
    "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
    # `JsonSchema` is the VC 2.0 type (defined in the VC v2 context). The 1EdTech name
    # `1EdTechJsonSchemaValidator2019` needs the extensions context and trips VC 2.0 verifiers.
    "type": "JsonSchema",
}
SCORE_RESULT_FRAGMENT: Final = "score"
"""Fragment of the achievement's score ``ResultDescription`` id (``<achievement id>#score``)."""


def normalise_email(email: str) -> str:
    """Normalise an email address before hashing: strip surrounding whitespace, lower-case.

    OB 3.0 does not specify a normalisation. Lower-casing the whole address (local part
    included) is badgeflow's documented rule, so ``Ada@Example.org `` and ``ada@example.org``
    hash alike; a verifier holding the address must apply the same rule.
    """
    return email.strip().lower()


def identity_hash(email: str, salt: str) -> str:
    """Return the OB ``identityHash`` of an email: ``sha256$`` + hex(SHA-256(email ‖ salt)).

    Args:
        email: the address; it is normalised with `normalise_email` first.
        salt: the salt, appended after the address (as the OB spec prescribes).
    """
    digest = hashlib.sha256((normalise_email(email) + salt).encode("utf-8")).hexdigest()
    return f"sha256${digest}"


def _image(url: str) -> JSONDict:
    return {"id": url, "type": "Image"}


def _issuer_profile(issuer: IssuerInfo) -> JSONDict:
    profile: JSONDict = {"id": issuer.id, "type": ["Profile"], "name": issuer.name}
    profile["url"] = issuer.url
    if issuer.email:
        profile["email"] = issuer.email
    if issuer.description:
        profile["description"] = issuer.description
    if issuer.image_url:
        profile["image"] = _image(issuer.image_url)
    return profile


def _format_score(score: float) -> str:
    if not 0 <= score <= 100:
        raise CredentialError(f"score must be a percentage between 0 and 100, got {score}")
    return f"{score:g}"


def _achievement(achievement: AchievementInfo, *, with_score: bool) -> JSONDict:
    body: JSONDict = {
        "id": achievement.id,
        "type": ["Achievement"],
        "achievementType": achievement.achievement_type,
        "name": achievement.name,
        "description": achievement.description,
        "criteria": {"id": achievement.criteria_url, "narrative": achievement.criteria_narrative},
        "image": _image(achievement.image_url),
    }
    if achievement.tags:
        body["tag"] = list(achievement.tags)
    if with_score:
        body["resultDescription"] = [
            {
                "id": f"{achievement.id}#{SCORE_RESULT_FRAGMENT}",
                "type": ["ResultDescription"],
                "name": "Final score",
                "resultType": "Percent",
                "valueMin": "0",
                "valueMax": "100",
            }
        ]
    return body


def build_credential(
    *,
    credential_id: str,
    issuer: IssuerInfo,
    achievement: AchievementInfo,
    recipient_email: str,
    salt: str,
    valid_from: datetime,
    valid_until: datetime | None,
    awarded_at: datetime,
    score: float | None,
    evidence_narrative: str | None = None,
    credential_status: Sequence[JSONDict] = (),
) -> JSONDict:
    """Build an unsigned OB 3.0 ``OpenBadgeCredential``.

    Args:
        credential_id: the credential's id, a ``urn:uuid:...`` (or another absolute URI).
        issuer: the issuing organisation; ``issuer.id`` is its DID.
        achievement: what was achieved.
        recipient_email: the learner's address; only its salted hash is embedded.
        salt: per-credential random salt for the identity hash.
        valid_from: start of validity (aware datetime).
        valid_until: end of validity, or None for no expiry.
        awarded_at: when the award was made (``awardedDate``; kept across re-issues).
        score: the learner's final score in percent (0-100), or None to omit the result.
        evidence_narrative: optional Markdown narrative of the evidence.
        credential_status: ``credentialStatus`` entries (see `badgeflow.status.status_entry`).
            One entry is written as an object (OB 3.0 allows 0..1 and its JSON Schema
            expects an object), several as an array (valid VC 2.0, outside OB 3.0's 0..1).

    Returns:
        The credential as a JSON-LD dict, ready for `issue`.

    Raises:
        CredentialError: the id is not an absolute URI, the score is out of range, the
            email or salt is empty, or validUntil is not after validFrom.
        ValueError: a datetime is naive.
    """
    if ":" not in credential_id:
        raise CredentialError(f"credential id must be an absolute URI, got {credential_id!r}")
    if not normalise_email(recipient_email) or not salt:
        raise CredentialError("recipient email and salt must not be empty")
    if valid_until is not None and valid_until <= valid_from:
        raise CredentialError("validUntil must be after validFrom")
    subject: JSONDict = {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": identity_hash(recipient_email, salt),
                "identityType": "emailAddress",
                "hashed": True,
                "salt": salt,
            }
        ],
        "achievement": _achievement(achievement, with_score=score is not None),
    }
    if score is not None:
        subject["result"] = [
            {
                "type": ["Result"],
                "resultDescription": f"{achievement.id}#{SCORE_RESULT_FRAGMENT}",
                "value": _format_score(score),
            }
        ]
    credential: JSONDict = {
        "@context": list(CREDENTIAL_CONTEXT),
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement.name,
        "issuer": _issuer_profile(issuer),
        "validFrom": format_datetime(valid_from),
    }
    if valid_until is not None:
        credential["validUntil"] = format_datetime(valid_until)
    # awardedDate belongs to the credential (OB 3.0 AchievementCredential.awardedDate).
    credential["awardedDate"] = format_datetime(awarded_at)
    credential["credentialSubject"] = subject
    if evidence_narrative:
        credential["evidence"] = [{"type": ["Evidence"], "narrative": evidence_narrative}]
    if len(credential_status) == 1:
        credential["credentialStatus"] = dict(credential_status[0])
    elif credential_status:
        credential["credentialStatus"] = [dict(entry) for entry in credential_status]
    credential["credentialSchema"] = [dict(CREDENTIAL_SCHEMA)]
    return credential
