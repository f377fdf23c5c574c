"""OB 3.0 models of awards and endorsements: the credentials, subjects, results, evidence.

The recipient is an ``IdentityObject`` (a salted email hash by default) or the subject's
``id`` (a DID). badgeflow normalises an email by trimming it and lower-casing it *whole*
before hashing (OB 3.0 leaves normalisation open), so a verifier must do the same.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from badgeflow.credentials.document_loader import OB_V3P0_CONTEXT_URL, VC_V2_URL
from badgeflow.credentials.ob3._base import (
    IDENTITY_TYPES,
    RESULT_STATUS_TYPES,
    check_enum,
    check_id,
    emit,
    timestamp,
)
from badgeflow.credentials.ob3.achievement import Achievement, Profile
from badgeflow.errors import CredentialError
from badgeflow.models import JSONDict

__all__ = [
    "ACHIEVEMENT_CREDENTIAL_SCHEMA",
    "CREDENTIAL_CONTEXT",
    "ENDORSEMENT_CREDENTIAL_SCHEMA",
    "AchievementSubject",
    "EndorsementCredential",
    "EndorsementSubject",
    "Evidence",
    "IdentityObject",
    "OpenBadgeCredential",
    "Result",
    "identity_hash",
    "normalise_email",
]

_NAMED: Final = frozenset({"name"})
CREDENTIAL_CONTEXT: Final = (VC_V2_URL, OB_V3P0_CONTEXT_URL)
_SCHEMA_BASE: Final = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
# `JsonSchema` is the VC 2.0 type (defined in the VC v2 context). The 1EdTech name
# `1EdTechJsonSchemaValidator2019` needs the extensions context and trips VC 2.0 verifiers.
ACHIEVEMENT_CREDENTIAL_SCHEMA: Final = {
    "id": _SCHEMA_BASE + "ob_v3p0_achievementcredential_schema.json",
    "type": "JsonSchema",
}
ENDORSEMENT_CREDENTIAL_SCHEMA: Final = {
    "id": _SCHEMA_BASE + "ob_v3p0_endorsementcredential_schema.json",
    "type": "JsonSchema",
}


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


@dataclass(frozen=True, kw_only=True)
class IdentityObject:
    """An ``IdentityObject``: how the recipient is identified without a subject id."""

    identity_hash: str
    identity_type: str = "emailAddress"
    hashed: bool = True
    salt: str | None = None

    def __post_init__(self) -> None:
        """Check the identity type and that a hash looks like one."""
        check_enum(self.identity_type, IDENTITY_TYPES, "identityType")
        if not self.identity_hash:
            raise CredentialError("IdentityObject needs an identityHash")
        if self.hashed and not self.identity_hash.startswith(("sha256$", "md5$")):
            raise CredentialError("a hashed identityHash must start with sha256$ or md5$")

    @classmethod
    def hashed_email(cls, email: str, salt: str) -> IdentityObject:
        """The default recipient: the salted SHA-256 of the normalised address.

        Raises:
            CredentialError: the address or the salt is empty.
        """
        if not normalise_email(email) or not salt:
            raise CredentialError("recipient email and salt must not be empty")
        return cls(identity_hash=identity_hash(email, salt), salt=salt)

    @classmethod
    def plain_email(cls, email: str) -> IdentityObject:
        """The normalised address in clear (``hashed: false``); never publish such a credential.

        Raises:
            CredentialError: the address is empty or has no ``@``.
        """
        address = normalise_email(email)
        if "@" not in address:
            raise CredentialError("recipient email must be an address")
        return cls(identity_hash=address, hashed=False)

    def to_json(self) -> JSONDict:
        """Return the OB 3.0 JSON (``type`` is the single IRI ``IdentityObject``)."""
        return emit(
            ("type", "IdentityObject"),
            ("identityHash", self.identity_hash),
            ("identityType", self.identity_type),
            ("hashed", self.hashed),
            ("salt", self.salt),
        )


@dataclass(frozen=True, kw_only=True)
class Result:
    """A ``Result``: a value (e.g. a score) for one of the achievement's ``ResultDescription``."""

    result_description: str | None = None
    value: str | None = None
    achieved_level: str | None = None
    status: str | None = None

    def __post_init__(self) -> None:
        """Check the linked ids and the status."""
        for name in ("result_description", "achieved_level"):
            link = getattr(self, name)
            if link is not None:
                check_id(link, f"Result {name}")
        if self.status is not None:
            check_enum(self.status, RESULT_STATUS_TYPES, "Result status", extensible=False)

    def to_json(self) -> JSONDict:
        """Return the OB 3.0 JSON."""
        return emit(
            ("type", ("Result",)),
            ("resultDescription", self.result_description),
            ("value", self.value),
            ("achievedLevel", self.achieved_level),
            ("status", self.status),
        )


@dataclass(frozen=True, kw_only=True)
class Evidence:
    """An ``Evidence`` item. OB 3.0 gives it no score, duration or assessor fields: see README.

    Attributes:
        id: URL of a page showing the evidence (or a data URI).
        genre: the kind of evidence, e.g. ``Assessment`` or ``Project``.
        audience: who the evidence is meant for.
    """

    id: str | None = None
    narrative: str | None = None
    name: str | None = None
    description: str | None = None
    genre: str | None = None
    audience: str | None = None

    def __post_init__(self) -> None:
        """Check the id."""
        if self.id is not None:
            check_id(self.id, "Evidence id")

    def to_json(self) -> JSONDict:
        """Return the OB 3.0 JSON."""
        return emit(
            ("id", self.id),
            ("type", ("Evidence",)),
            ("narrative", self.narrative),
            ("name", self.name),
            ("description", self.description),
            ("genre", self.genre),
            ("audience", self.audience),
        )


@dataclass(frozen=True, kw_only=True)
class AchievementSubject:
    """The ``credentialSubject``: who achieved what, with results and activity dates.

    Either ``id`` (e.g. the learner's DID) or at least one ``identifiers`` entry is required.
    """

    achievement: Achievement
    id: str | None = None
    identifiers: tuple[IdentityObject, ...] = ()
    results: tuple[Result, ...] = ()
    activity_start_date: datetime | None = None
    activity_end_date: datetime | None = None
    credits_earned: float | None = None

    def __post_init__(self) -> None:
        """Check that the recipient is identified, and the id."""
        if self.id is None and not self.identifiers:
            raise CredentialError("the credential subject needs an id or an identifier")
        if self.id is not None:
            check_id(self.id, "credentialSubject id")
            if self.id.lower().startswith("mailto:"):
                raise CredentialError("use an IdentityObject, not a mailto: subject id")

    def to_json(self) -> JSONDict:
        """Return the OB 3.0 JSON."""
        start, end = self.activity_start_date, self.activity_end_date
        return emit(
            ("id", self.id),
            ("type", ("AchievementSubject",)),
            ("identifier", self.identifiers),
            ("achievement", self.achievement),
            ("result", self.results),
            ("activityStartDate", timestamp(start) if start else None),
            ("activityEndDate", timestamp(end) if end else None),
            ("creditsEarned", self.credits_earned),
        )


def _period(valid_from: datetime, valid_until: datetime | None) -> None:
    if valid_from.tzinfo is None or (valid_until is not None and valid_until.tzinfo is None):
        raise ValueError("credential datetimes must be timezone-aware")
    if valid_until is not None and valid_until <= valid_from:
        raise CredentialError("validUntil must be after validFrom")


def _status(entries: tuple[JSONDict, ...]) -> JSONDict | list[JSONDict] | None:
    # OB 3.0 allows 0..1 credentialStatus (its JSON Schema expects an object); several
    # entries are written as an array (valid VC 2.0, outside OB 3.0).
    if len(entries) == 1:
        return dict(entries[0])
    return [dict(entry) for entry in entries] or None


@dataclass(frozen=True, kw_only=True)
class OpenBadgeCredential:
    """An unsigned ``OpenBadgeCredential`` (VC Data Model 2.0).

    Attributes:
        credential_status: ``credentialStatus`` entries (one is written as an object).
    """

    id: str
    issuer: Profile
    credential_subject: AchievementSubject
    valid_from: datetime
    name: str | None = None
    description: str | None = None
    valid_until: datetime | None = None
    awarded_date: datetime | None = None
    evidence: tuple[Evidence, ...] = ()
    credential_status: tuple[JSONDict, ...] = ()

    def __post_init__(self) -> None:
        """Check the id and the validity period."""
        check_id(self.id, "credential id")
        _period(self.valid_from, self.valid_until)

    def to_json(self) -> JSONDict:
        """Return the credential as a JSON-LD dict, ready for `issue`."""
        until, awarded = self.valid_until, self.awarded_date
        return emit(
            ("@context", CREDENTIAL_CONTEXT),
            ("id", self.id),
            ("type", ("VerifiableCredential", "OpenBadgeCredential")),
            ("name", self.name),
            ("description", self.description),
            ("issuer", self.issuer),
            ("validFrom", timestamp(self.valid_from)),
            ("validUntil", timestamp(until) if until else None),
            ("awardedDate", timestamp(awarded) if awarded else None),
            ("credentialSubject", self.credential_subject),
            ("evidence", self.evidence),
            ("credentialStatus", _status(self.credential_status)),
            ("credentialSchema", [dict(ACHIEVEMENT_CREDENTIAL_SCHEMA)]),
            required=_NAMED,
        )


@dataclass(frozen=True, kw_only=True)
class EndorsementSubject:
    """What an endorsement is about (an achievement, a profile ...) and the endorser's comment."""

    id: str
    endorsement_comment: str | None = None

    def __post_init__(self) -> None:
        """Check the id."""
        check_id(self.id, "EndorsementSubject id")

    def to_json(self) -> JSONDict:
        """Return the OB 3.0 JSON."""
        return emit(
            ("id", self.id),
            ("type", ("EndorsementSubject",)),
            ("endorsementComment", self.endorsement_comment),
        )


@dataclass(frozen=True, kw_only=True)
class EndorsementCredential:
    """An unsigned ``EndorsementCredential``: a third party vouching for an achievement."""

    id: str
    name: str
    issuer: Profile
    credential_subject: EndorsementSubject
    valid_from: datetime
    description: str | None = None
    valid_until: datetime | None = None
    awarded_date: datetime | None = None

    def __post_init__(self) -> None:
        """Check the id, the name and the validity period."""
        check_id(self.id, "endorsement id")
        _period(self.valid_from, self.valid_until)

    def to_json(self) -> JSONDict:
        """Return the credential as a JSON-LD dict, ready for `issue`."""
        until, awarded = self.valid_until, self.awarded_date
        return emit(
            ("@context", CREDENTIAL_CONTEXT),
            ("id", self.id),
            ("type", ("VerifiableCredential", "EndorsementCredential")),
            ("name", self.name),
            ("description", self.description),
            ("issuer", self.issuer),
            ("validFrom", timestamp(self.valid_from)),
            ("validUntil", timestamp(until) if until else None),
            ("awardedDate", timestamp(awarded) if awarded else None),
            ("credentialSubject", self.credential_subject),
            ("credentialSchema", [dict(ENDORSEMENT_CREDENTIAL_SCHEMA)]),
            required=_NAMED,
        )
