"""The JSON documents the site publishes, and the checks that keep secrets off it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from badgeflow.errors import CredentialError
from badgeflow.models import AchievementInfo, IssuerInfo, JSONDict

__all__ = [
    "OB_CONTEXT",
    "VC_CONTEXT",
    "ParsedCredential",
    "RecipientHash",
    "achievement_document",
    "check_public",
    "plainly_public",
    "profile_document",
    "read_credential",
]

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"

# Property names under which key material travels (Multikey, JWK, PEM, legacy suites).
_PRIVATE_KEYS = frozenset(
    {
        "secretKeyMultibase",
        "privateKeyMultibase",
        "privateKeyJwk",
        "privateKeyPem",
        "privateKeyBase58",
        "privateKeyHex",
        "secretKey",
        "privateKey",
    }
)
# Any of these in a JSON text may mean `check_public` refuses it. Of JSON's escapes only
# ``\uXXXX`` can spell a letter or a space (the others are quotes, slashes, control codes).
_SUSPECT = (*(f'"{name}"' for name in sorted(_PRIVATE_KEYS)), '"kty"', "PRIVATE KEY", "\\u")


@dataclass(frozen=True)
class RecipientHash:
    """A hashed email recipient (OB 3.0 ``IdentityObject``): ``sha256$<hex>`` and its salt."""

    identity_hash: str
    salt: str


@dataclass(frozen=True)
class ParsedCredential:
    """What the verification page shows from a signed credential."""

    document_id: str | None
    recipient: RecipientHash | None
    verification_method: str | None
    plaintext_email: bool = False
    """The recipient is a plain email (``hashed: false``): publish the page, never the file."""
    evidence: Any = None
    """The document's ``evidence`` value as parsed (an object, a list, or None)."""


def profile_document(issuer: IssuerInfo) -> JSONDict:
    """Build the issuer's OB 3.0 ``Profile`` JSON-LD document.

    Args:
        issuer: the issuer.

    Returns:
        The document published as ``issuer/profile.json``.
    """
    document: JSONDict = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": issuer.id,
        "type": ["Profile"],
        "name": issuer.name,
        "url": issuer.url,
    }
    if issuer.email:
        document["email"] = issuer.email
    if issuer.description:
        document["description"] = issuer.description
    if issuer.image_url:
        document["image"] = {"id": issuer.image_url, "type": "Image"}
    return document


def achievement_document(info: AchievementInfo, issuer: IssuerInfo) -> JSONDict:
    """Build an OB 3.0 ``Achievement`` JSON-LD document.

    Args:
        info: the achievement.
        issuer: its creator.

    Returns:
        The document published as ``achievements/<slug>.json``.
    """
    document: JSONDict = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": info.id,
        "type": ["Achievement"],
        "achievementType": info.achievement_type,
        "name": info.name,
        "description": info.description,
        "criteria": {"id": info.criteria_url, "narrative": info.criteria_narrative},
        "image": {"id": info.image_url, "type": "Image"},
        "creator": {"id": issuer.id, "type": ["Profile"], "name": issuer.name},
    }
    if info.tags:
        document["tag"] = list(info.tags)
    return document


def check_public(value: Any, where: str) -> None:
    """Refuse to publish anything that looks like private key material.

    Args:
        value: a parsed JSON value.
        where: what it is, for the error message.

    Raises:
        CredentialError: a private-key property, a private JWK or a PEM private key is present.
    """
    if isinstance(value, dict):
        leaked = _PRIVATE_KEYS.intersection(value)
        if leaked or ("kty" in value and "d" in value):
            raise CredentialError(f"{where} contains private key material; refusing to publish")
        for item in value.values():
            check_public(item, where)
    elif isinstance(value, list):
        for item in value:
            check_public(item, where)
    elif isinstance(value, str) and "PRIVATE KEY" in value:
        raise CredentialError(f"{where} contains a PEM private key; refusing to publish")


def plainly_public(text: str) -> bool:
    r"""Whether a JSON text provably passes `check_public`, without walking its parsed value.

    True when the text has no ``\u`` escape (the only JSON escape that can spell a letter)
    and none of the private-key property names (quoted), ``"kty"`` or ``PRIVATE KEY``: what
    `check_public` refuses would have to appear in it literally. False means only "walk it
    to know".

    Args:
        text: a JSON text.

    Returns:
        True if `check_public` of the parsed text cannot raise.
    """
    return not any(suspect in text for suspect in _SUSPECT)


def read_credential(text: str, credential_id: str) -> ParsedCredential:
    """Parse a signed credential and extract what its verification page shows.

    Args:
        text: the credential JSON.
        credential_id: its id, for error messages.

    Returns:
        The parts of the credential the page needs.

    Raises:
        CredentialError: the text is not a JSON object, names its subject by a ``mailto:``
            id, or holds private key material. (A ``hashed: false`` email identifier is
            reported as ``plaintext_email``: the caller must not publish the file.)
    """
    where = f"credential {credential_id}"
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise CredentialError(f"{where} is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise CredentialError(f"{where} is not a JSON object")
    if not plainly_public(text):
        check_public(document, where)
    recipient: RecipientHash | None = None
    plaintext = False
    for subject in _as_list(document.get("credentialSubject")):
        if not isinstance(subject, dict):
            continue
        if str(subject.get("id", "")).lower().startswith("mailto:"):
            raise CredentialError(f"{where} names its subject by a plaintext email address")
        for identity in _as_list(subject.get("identifier")):
            if _is_plain_email(identity):
                plaintext = True
                continue
            found = _email_hash(identity)
            recipient = recipient or found
    proofs = [p for p in _as_list(document.get("proof")) if isinstance(p, dict)]
    method = proofs[0].get("verificationMethod") if proofs else None
    document_id = document.get("id")
    return ParsedCredential(
        document_id=document_id if isinstance(document_id, str) else None,
        recipient=recipient,
        verification_method=method if isinstance(method, str) else None,
        plaintext_email=plaintext,
        evidence=document.get("evidence"),
    )


def _is_plain_email(identity: Any) -> bool:
    return (
        isinstance(identity, dict)
        and identity.get("identityType") == "emailAddress"
        and identity.get("hashed") is not True
    )


def _email_hash(identity: Any) -> RecipientHash | None:
    if not isinstance(identity, dict) or identity.get("identityType") != "emailAddress":
        return None
    identity_hash = identity.get("identityHash")
    if not isinstance(identity_hash, str) or not identity_hash.lower().startswith("sha256$"):
        return None
    salt = identity.get("salt")
    return RecipientHash(identity_hash=identity_hash, salt=salt if isinstance(salt, str) else "")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
