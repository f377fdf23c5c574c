"""Build Open Badges 2.0 documents: Issuer, BadgeClass, Assertion, CryptographicKey, RevocationList.

OB 2.0 is plain JSON-LD with the context ``https://w3id.org/openbadges/v2``. Every object is
identified by an absolute http(s) URL where it is hosted; the builders refuse anything else.
Signed assertions are a compact JWS (RS256) over the assertion JSON (`sign_assertion`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from badgeflow.credentials.jws import sign_compact
from badgeflow.credentials.proof import format_datetime
from badgeflow.errors import CredentialError
from badgeflow.models import JSONDict

__all__ = [
    "IDENTITY_HASH",
    "OB2_CONTEXT",
    "Alignment",
    "assertion",
    "badge_class",
    "check_url",
    "cryptographic_key",
    "issuer_profile",
    "recipient_identity",
    "revocation_list",
    "revoked_assertion",
    "sign_assertion",
]

OB2_CONTEXT: Final = "https://w3id.org/openbadges/v2"
IDENTITY_HASH: Final = re.compile(r"^(sha256\$[0-9a-f]{64}|md5\$[0-9a-f]{32})$")
"""An OB 2.0 ``identityHash``: the algorithm, ``$``, the lower-case hex digest."""


@dataclass(frozen=True)
class Alignment:
    """An OB 2.0 ``AlignmentObject``: a standard or framework the badge aligns to.

    Attributes:
        target_name: name of the aligned item.
        target_url: URL of the aligned item.
        target_description: short description, optional.
        target_framework: name of the framework, optional.
        target_code: locally unique code within the framework, optional.
    """

    target_name: str
    target_url: str
    target_description: str | None = None
    target_framework: str | None = None
    target_code: str | None = None


def check_url(value: str, what: str) -> str:
    """Return ``value`` when it is an absolute http(s) URL with a host.

    Raises:
        CredentialError: it is not.
    """
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CredentialError(f"{what} must be an absolute http(s) URL, got {value!r}")
    return value


def issuer_profile(
    *,
    issuer_id: str,
    name: str,
    url: str,
    email: str,
    description: str | None = None,
    image: str | None = None,
    public_keys: Sequence[str] = (),
    revocation_list: str | None = None,
) -> JSONDict:
    """Build an OB 2.0 issuer ``Profile`` (type ``Issuer``).

    Args:
        issuer_id: where the profile is hosted.
        name: the organisation's name.
        url: its home page.
        email: contact address (required of an issuer by OB 2.0).
        description: optional description.
        image: optional logo URL (PNG or SVG).
        public_keys: URLs of its `cryptographic_key` documents (for signed assertions).
        revocation_list: URL of its `revocation_list` (for signed assertions).

    Returns:
        The profile document.

    Raises:
        CredentialError: a URL is not absolute http(s), or name or email is empty.
    """
    if not name or not email or "@" not in email:
        raise CredentialError("an OB 2.0 issuer needs a name and a contact email")
    profile: JSONDict = {
        "@context": OB2_CONTEXT,
        "type": "Issuer",
        "id": check_url(issuer_id, "issuer id"),
        "name": name,
        "url": check_url(url, "issuer url"),
        "email": email,
    }
    if description:
        profile["description"] = description
    if image:
        profile["image"] = check_url(image, "issuer image")
    if public_keys:
        keys = [check_url(key, "publicKey") for key in public_keys]
        profile["publicKey"] = keys[0] if len(keys) == 1 else keys
    if revocation_list:
        profile["revocationList"] = check_url(revocation_list, "revocationList")
    return profile


def badge_class(
    *,
    badge_id: str,
    name: str,
    description: str,
    image: str,
    issuer_id: str,
    criteria_url: str | None = None,
    criteria_narrative: str | None = None,
    tags: Sequence[str] = (),
    alignments: Sequence[Alignment] = (),
) -> JSONDict:
    """Build an OB 2.0 ``BadgeClass``.

    Args:
        badge_id: where the badge class is hosted.
        name: the achievement's name.
        description: what it means.
        image: URL of its image (PNG or SVG).
        issuer_id: URL of the issuer profile.
        criteria_url: a human-readable criteria page (the ``Criteria`` ``id``).
        criteria_narrative: the criteria as Markdown text.
        tags: keywords.
        alignments: standards the badge aligns to.

    Returns:
        The badge class document.

    Raises:
        CredentialError: a URL is not absolute http(s), a required text is empty, or
            neither criteria URL nor narrative is given.
    """
    if not name or not description:
        raise CredentialError("an OB 2.0 BadgeClass needs a name and a description")
    criteria: JSONDict = {}
    if criteria_url:
        criteria["id"] = check_url(criteria_url, "criteria id")
    if criteria_narrative:
        criteria["narrative"] = criteria_narrative
    if not criteria:
        raise CredentialError("an OB 2.0 BadgeClass needs criteria (a URL or a narrative)")
    document: JSONDict = {
        "@context": OB2_CONTEXT,
        "type": "BadgeClass",
        "id": check_url(badge_id, "BadgeClass id"),
        "name": name,
        "description": description,
        "image": check_url(image, "BadgeClass image"),
        "criteria": criteria,
        "issuer": check_url(issuer_id, "issuer id"),
    }
    if tags:
        document["tags"] = list(tags)
    if alignments:
        document["alignment"] = [_alignment(item) for item in alignments]
    return document


def _alignment(item: Alignment) -> JSONDict:
    body: JSONDict = {
        "targetName": item.target_name,
        "targetUrl": check_url(item.target_url, "alignment targetUrl"),
    }
    optional = {
        "targetDescription": item.target_description,
        "targetFramework": item.target_framework,
        "targetCode": item.target_code,
    }
    body.update({key: value for key, value in optional.items() if value})
    return body


def recipient_identity(identity_hash: str, salt: str) -> JSONDict:
    """Build a hashed email ``IdentityObject``: ``{type: email, hashed: true, salt, identity}``.

    The hash is the same as OB 3.0's (``sha256$`` + hex SHA-256 of the normalised address
    followed by the salt), so an OB 3.0 credential's ``identityHash`` and salt carry over.

    Raises:
        CredentialError: the hash is not ``sha256$<64 hex>`` (or ``md5$``), or the salt is empty.
    """
    if not IDENTITY_HASH.match(identity_hash) or not salt:
        raise CredentialError("recipient identity must be sha256$<hex> with a non-empty salt")
    return {"type": "email", "hashed": True, "salt": salt, "identity": identity_hash}


def assertion(
    *,
    assertion_id: str,
    badge_id: str,
    recipient: JSONDict,
    issued_on: datetime,
    creator: str | None = None,
    expires: datetime | None = None,
    image: str | None = None,
    evidence: str | None = None,
    narrative: str | None = None,
) -> JSONDict:
    """Build an OB 2.0 ``Assertion``.

    Args:
        assertion_id: where the assertion is hosted (a hosted assertion is verified there).
        badge_id: URL of its `badge_class`.
        recipient: a `recipient_identity`.
        issued_on: when the badge was awarded (aware).
        creator: URL of the signing `cryptographic_key` for a signed assertion
            (``verification: {type: signed, creator}``); None for ``{type: hosted}``.
        expires: when it stops being valid, or None.
        image: URL of the baked image, optional.
        evidence: URL of the evidence, optional.
        narrative: Markdown narrative of the achievement, optional.

    Returns:
        The assertion document.

    Raises:
        CredentialError: a URL is not absolute http(s), or ``expires`` is not after
            ``issued_on``.
        ValueError: a datetime is naive.
    """
    if expires is not None and expires <= issued_on:
        raise CredentialError("expires must be after issuedOn")
    verification: JSONDict = {"type": "hosted"}
    if creator is not None:
        verification = {"type": "signed", "creator": check_url(creator, "creator")}
    document: JSONDict = {
        "@context": OB2_CONTEXT,
        "type": "Assertion",
        "id": check_url(assertion_id, "Assertion id"),
        "recipient": dict(recipient),
        "badge": check_url(badge_id, "badge"),
        "verification": verification,
        "issuedOn": format_datetime(issued_on),
    }
    if expires is not None:
        document["expires"] = format_datetime(expires)
    if image:
        document["image"] = check_url(image, "Assertion image")
    if evidence:
        document["evidence"] = check_url(evidence, "evidence")
    if narrative:
        document["narrative"] = narrative
    return document


def revoked_assertion(document: JSONDict, reason: str | None) -> JSONDict:
    """Return a hosted assertion marked ``revoked: true`` with its ``revocationReason``.

    A static site cannot answer ``410 Gone``; OB 2.0 treats a hosted body declaring
    ``revoked: true`` as revoked all the same.
    """
    marked = dict(document)
    marked["revoked"] = True
    if reason:
        marked["revocationReason"] = reason
    return marked


def cryptographic_key(*, key_id: str, owner: str, public_key: rsa.RSAPublicKey) -> JSONDict:
    """Build an OB 2.0 ``CryptographicKey`` with the public key as ``publicKeyPem``.

    Args:
        key_id: where the key document is hosted (the ``creator`` of signed assertions).
        owner: URL of the issuer profile, which lists ``key_id`` under ``publicKey``.
        public_key: the RSA public key.

    Raises:
        CredentialError: a URL is not absolute http(s).
    """
    pem = public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")
    return {
        "@context": OB2_CONTEXT,
        "type": "CryptographicKey",
        "id": check_url(key_id, "CryptographicKey id"),
        "owner": check_url(owner, "key owner"),
        "publicKeyPem": pem,
    }


def revocation_list(
    *, list_id: str, issuer_id: str, revoked: Sequence[tuple[str, str | None]]
) -> JSONDict:
    """Build an OB 2.0 ``RevocationList``.

    Args:
        list_id: where the list is hosted (the issuer's ``revocationList``).
        issuer_id: URL of the issuer profile.
        revoked: ``(assertion id, reason or None)`` per revoked assertion.

    Raises:
        CredentialError: a URL is not absolute http(s).
    """
    entries: list[JSONDict] = []
    for assertion_id, reason in revoked:
        entry: JSONDict = {"id": check_url(assertion_id, "revoked Assertion id")}
        if reason:
            entry["revocationReason"] = reason
        entries.append(entry)
    return {
        "@context": OB2_CONTEXT,
        "type": "RevocationList",
        "id": check_url(list_id, "RevocationList id"),
        "issuer": check_url(issuer_id, "issuer id"),
        "revokedAssertions": entries,
    }


def sign_assertion(document: JSONDict, key: rsa.RSAPrivateKey) -> str:
    """Sign an assertion as a compact JWS, RS256 (as OB 2.0 recommends), header ``{alg}``.

    Args:
        document: an `assertion` built with a ``creator``.
        key: the private half of the ``creator`` key (2048 bits or more).

    Returns:
        ``header.payload.signature``.

    Raises:
        CredentialError: the assertion does not declare signed verification, or the key is
            not a usable RSA key.
    """
    verification = document.get("verification")
    if not isinstance(verification, dict) or verification.get("type") != "signed":
        raise CredentialError("only an assertion with verification type 'signed' can be signed")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CredentialError("OB 2.0 signed assertions use RS256: an RSA key is needed")
    return sign_compact(document, key)
