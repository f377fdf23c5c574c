"""Build unsigned Open Badges 3.0 ``OpenBadgeCredential`` documents (VC Data Model 2.0).

The documents are assembled from the typed models of `badgeflow.credentials.ob3`.
By default the recipient is identified only by a salted hash of their email (an OB 3.0
``IdentityObject``); ``recipient_identity="email"`` writes the address in clear (such a
credential is never published on the site) and ``"did"`` makes the learner's DID the
subject id. Multi-valued properties are always arrays (the 1EdTech JSON Schemas expect them)
and absent values are omitted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Final, Literal, get_args

from badgeflow.credentials.ob3 import (
    ACHIEVEMENT_CREDENTIAL_SCHEMA,
    CREDENTIAL_CONTEXT,
    Achievement,
    AchievementSubject,
    Criteria,
    Evidence,
    IdentityObject,
    Image,
    OpenBadgeCredential,
    Profile,
    Result,
    ResultDescription,
    identity_hash,
    normalise_email,
)
from badgeflow.errors import CredentialError
from badgeflow.models import AchievementInfo, IssuerInfo, JSONDict

__all__ = [
    "CREDENTIAL_CONTEXT",
    "CREDENTIAL_SCHEMA",
    "RECIPIENT_IDENTITIES",
    "SCORE_RESULT_FRAGMENT",
    "RecipientIdentity",
    "achievement_model",
    "build_credential",
    "identity_hash",
    "issuer_profile",
    "normalise_email",
    "recipient_subject",
]

CREDENTIAL_SCHEMA: Final = ACHIEVEMENT_CREDENTIAL_SCHEMA
SCORE_RESULT_FRAGMENT: Final = "score"
"""Fragment of the achievement's score ``ResultDescription`` id (``<achievement id>#score``)."""
RecipientIdentity = Literal["hashed_email", "email", "did"]
"""How the recipient is named: salted email hash (default), plain email, or their DID."""
RECIPIENT_IDENTITIES: Final = frozenset(get_args(RecipientIdentity))


def issuer_profile(issuer: IssuerInfo) -> Profile:
    """Return the issuer's OB 3.0 ``Profile`` model."""
    return Profile(
        id=issuer.id,
        name=issuer.name,
        url=issuer.url,
        email=issuer.email,
        description=issuer.description,
        image=Image(id=issuer.image_url) if issuer.image_url else None,
    )


def _format_score(score: float) -> str:
    if not 0 <= score <= 100:
        raise CredentialError(f"score must be a percentage between 0 and 100, got {score}")
    return f"{score:g}"


def achievement_model(achievement: AchievementInfo, *, with_score: bool = False) -> Achievement:
    """Return the OB 3.0 ``Achievement`` model of a catalog achievement.

    Args:
        achievement: the achievement as the catalog describes it.
        with_score: add the ``Percent`` result description ``<id>#score``.
    """
    score = ResultDescription(
        id=f"{achievement.id}#{SCORE_RESULT_FRAGMENT}",
        name="Final score",
        result_type="Percent",
        value_min="0",
        value_max="100",
    )
    return Achievement(
        id=achievement.id,
        achievement_type=achievement.achievement_type,
        name=achievement.name,
        description=achievement.description,
        criteria=Criteria(id=achievement.criteria_url, narrative=achievement.criteria_narrative),
        image=Image(id=achievement.image_url),
        tags=achievement.tags,
        result_descriptions=(score,) if with_score else (),
        alignments=achievement.alignments,
        version=achievement.version,
        in_language=achievement.in_language,
        human_code=achievement.human_code,
        field_of_study=achievement.field_of_study,
        credits_available=achievement.credits_available,
        endorsements=achievement.endorsements,
    )


def recipient_subject(
    achievement: Achievement,
    *,
    recipient_identity: str,
    recipient_email: str,
    salt: str,
    recipient_did: str | None,
    results: tuple[Result, ...],
) -> AchievementSubject:
    """Return the ``credentialSubject`` naming the recipient as ``recipient_identity`` says.

    Raises:
        CredentialError: an unknown option, an empty email or salt (``hashed_email``), a
            missing or malformed DID (``did``).
    """
    if recipient_identity == "did":
        if not recipient_did or not recipient_did.startswith("did:"):
            raise CredentialError(f"the learner has no DID (got {recipient_did!r})")
        return AchievementSubject(id=recipient_did, achievement=achievement, results=results)
    if recipient_identity == "email":
        identity = IdentityObject.plain_email(recipient_email)
    elif recipient_identity == "hashed_email":
        identity = IdentityObject.hashed_email(recipient_email, salt)
    else:
        raise CredentialError(f"unknown recipient identity {recipient_identity!r}")
    return AchievementSubject(identifiers=(identity,), achievement=achievement, results=results)


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
    recipient_identity: RecipientIdentity = "hashed_email",
    recipient_did: str | None = None,
) -> JSONDict:
    """Build an unsigned OB 3.0 ``OpenBadgeCredential``.

    Args:
        credential_id: the credential's id, a ``urn:uuid:...`` (or another absolute URI).
        issuer: the issuing organisation; ``issuer.id`` is its DID.
        achievement: what was achieved (with its alignments, endorsements and evidence).
        recipient_email: the learner's address; by default only its salted hash is embedded.
        salt: per-credential random salt for the identity hash.
        valid_from: start of validity (aware datetime).
        valid_until: end of validity, or None for no expiry.
        awarded_at: when the award was made (``awardedDate``; kept across re-issues).
        score: the learner's final score in percent (0-100), or None to omit the result.
        evidence_narrative: optional Markdown narrative of the evidence, after the
            achievement's own evidence items.
        credential_status: ``credentialStatus`` entries (see `badgeflow.status.status_entry`).
            One entry is written as an object (OB 3.0 allows 0..1 and its JSON Schema
            expects an object), several as an array (valid VC 2.0, outside OB 3.0's 0..1).
        recipient_identity: ``hashed_email`` (default), ``email`` (plain, ``hashed: false``)
            or ``did`` (``credentialSubject.id`` = ``recipient_did``).
        recipient_did: the learner's DID, required by ``did``.

    Returns:
        The credential as a JSON-LD dict, ready for `issue`.

    Raises:
        CredentialError: an id is not an absolute URI, the score is out of range, the
            email or salt is empty, the DID is missing, or validUntil is not after validFrom.
        ValueError: a datetime is naive.
    """
    return _assemble(
        credential_id=credential_id,
        issuer=lambda: issuer_profile(issuer),
        achievement=achievement,
        subject_achievement=lambda with_score: achievement_model(
            achievement, with_score=with_score
        ),
        recipient_email=recipient_email,
        salt=salt,
        valid_from=valid_from,
        valid_until=valid_until,
        awarded_at=awarded_at,
        score=score,
        evidence_narrative=evidence_narrative,
        credential_status=credential_status,
        recipient_identity=recipient_identity,
        recipient_did=recipient_did,
    )


def _assemble(
    *,
    credential_id: str,
    issuer: Callable[[], Profile],
    achievement: AchievementInfo,
    subject_achievement: Callable[[bool], Achievement],
    recipient_email: str,
    salt: str,
    valid_from: datetime,
    valid_until: datetime | None,
    awarded_at: datetime,
    score: float | None,
    evidence_narrative: str | None,
    credential_status: Sequence[JSONDict],
    recipient_identity: RecipientIdentity,
    recipient_did: str | None,
) -> JSONDict:
    # The issuer and achievement models come from callables, made in `build_credential`'s
    # order (its first error is reported); `CredentialBuilder` passes cached ones.
    results: tuple[Result, ...] = ()
    if score is not None:
        results = (
            Result(
                result_description=f"{achievement.id}#{SCORE_RESULT_FRAGMENT}",
                value=_format_score(score),
            ),
        )
    subject = recipient_subject(
        subject_achievement(score is not None),
        recipient_identity=recipient_identity,
        recipient_email=recipient_email,
        salt=salt,
        recipient_did=recipient_did,
        results=results,
    )
    evidence = achievement.evidence
    if evidence_narrative:
        evidence = (*evidence, Evidence(narrative=evidence_narrative))
    credential = OpenBadgeCredential(
        id=credential_id,
        name=achievement.name,
        issuer=issuer(),
        valid_from=valid_from,
        valid_until=valid_until,
        awarded_date=awarded_at,
        credential_subject=subject,
        evidence=evidence,
        credential_status=tuple(credential_status),
    )
    return credential.to_json()
