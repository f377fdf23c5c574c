"""VC-JWT: an Open Badges 3.0 credential as a compact JWS (RS256 or ES256).

The payload is the credential JSON itself plus the registered claims OB 3.0 asks for:
``iss`` = ``issuer.id``, ``jti`` = ``id``, ``nbf`` = ``validFrom``, ``sub`` =
``credentialSubject.id`` and ``exp`` = ``validUntil`` (the last two when present). The header is
``alg``, ``kid`` (a DID URL dereferencing to the public JWK) and ``typ: JWT``; nothing else.
A credential that also carries an embedded DataIntegrityProof is signed as is (embedded proof
first, then wrapped), as the spec orders it.

Reading also accepts the legacy shape (VC 1.1 drafts, the 1EdTech ``simple.jwt``): the
credential inside a ``vc`` claim.

Example:
    >>> token = encode_vc_jwt(signed, jose.current("ES256"), kid=f"{did}#p256-1")  # doctest: +SKIP
    >>> decode_vc_jwt(token, resolve_key).credential == signed  # doctest: +SKIP
    True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from badgeflow.credentials.jose_keys import JoseKey
from badgeflow.credentials.jws import (
    JwsPublicKey,
    algorithm_for,
    decode_compact,
    sign_compact,
    verify_compact,
)
from badgeflow.errors import CredentialError
from badgeflow.models import JSONDict

__all__ = [
    "JWT_CLAIMS",
    "DecodedVcJwt",
    "claim_errors",
    "credential_of",
    "decode_vc_jwt",
    "encode_vc_jwt",
    "expected_claims",
    "looks_like_jws",
    "numeric_date",
]

JWT_CLAIMS: Final = frozenset({"iss", "jti", "nbf", "sub", "exp", "iat", "aud", "nonce", "vc"})
"""Registered JWT claims stripped from the payload to get the credential back."""

_HEADER: Final = frozenset({"alg", "kid", "jwk", "typ"})


@dataclass(frozen=True)
class DecodedVcJwt:
    """A VC-JWT whose signature has been checked.

    Attributes:
        header: the protected header.
        claims: the whole payload (credential properties and JWT claims).
        credential: the credential: the payload without JWT claims, or the ``vc`` claim.
        legacy: True when the credential came from a ``vc`` claim (VC 1.1 shape).
    """

    header: JSONDict
    claims: JSONDict
    credential: JSONDict
    legacy: bool


def numeric_date(value: str) -> int:
    """Return the JWT NumericDate (whole seconds since the epoch) of an ISO 8601 date-time.

    Raises:
        CredentialError: not an ISO 8601 date-time with a time zone.
    """
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise CredentialError(f"{value!r} is not an ISO 8601 date-time") from exc
    if parsed.tzinfo is None:
        raise CredentialError(f"{value!r} has no time zone")
    return int(parsed.timestamp())


def _subject_id(credential: JSONDict) -> str | None:
    subject = credential.get("credentialSubject")
    value = subject.get("id") if isinstance(subject, dict) else None
    return value if isinstance(value, str) else None


def _issuer_id(credential: JSONDict) -> str | None:
    issuer = credential.get("issuer")
    value = issuer.get("id") if isinstance(issuer, dict) else issuer
    return value if isinstance(value, str) else None


def expected_claims(credential: JSONDict) -> JSONDict:
    """Return the JWT claims a credential implies (``iss``, ``jti``, ``nbf``, ``sub``, ``exp``).

    Raises:
        CredentialError: no issuer id or a malformed ``validFrom``/``validUntil``.
    """
    issuer = _issuer_id(credential)
    if issuer is None:
        raise CredentialError("the credential has no issuer id (iss)")
    claims: JSONDict = {"iss": issuer}
    if isinstance(credential.get("id"), str):
        claims["jti"] = credential["id"]
    valid_from = credential.get("validFrom", credential.get("issuanceDate"))
    if valid_from is not None:
        claims["nbf"] = numeric_date(valid_from)
    subject = _subject_id(credential)
    if subject is not None:
        claims["sub"] = subject
    valid_until = credential.get("validUntil", credential.get("expirationDate"))
    if valid_until is not None:
        claims["exp"] = numeric_date(valid_until)
    return claims


def encode_vc_jwt(credential: JSONDict, key: JoseKey, *, kid: str) -> str:
    """Sign a credential as a VC-JWT.

    Args:
        credential: the credential JSON (with or without an embedded proof, kept as is).
        key: the JOSE key; its ``alg`` must match the key.
        kid: the header ``kid``, the absolute verification method id (``did:web:...#rsa-1``).

    Returns:
        The compact JWS.

    Raises:
        CredentialError: the credential already uses a JWT claim name, lacks an issuer id,
            has malformed dates, or the key does not match ``key.alg``.
    """
    if algorithm_for(key.private_key) != key.alg:
        raise CredentialError(f"key {key.key_id} is not an {key.alg} key")
    clash = sorted(JWT_CLAIMS & set(credential))
    if clash:
        raise CredentialError(f"the credential already has JWT claim names: {clash}")
    payload = {**credential, **expected_claims(credential)}
    return sign_compact(payload, key.private_key, kid=kid, typ="JWT")


def looks_like_jws(text: str) -> bool:
    """Return True when `text` is shaped like a compact JWS (three base64url parts)."""
    parts = text.strip().split(".")
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    return len(parts) == 3 and all(parts[:2]) and all(set(p) <= allowed for p in parts)


def credential_of(payload: Any) -> tuple[JSONDict, bool]:
    """Return ``(credential, legacy)`` from a VC-JWT payload (see `DecodedVcJwt`).

    Raises:
        CredentialError: the payload holds no credential.
    """
    if not isinstance(payload, dict):
        raise CredentialError("the JWT payload is not a JSON object")
    if "@context" not in payload and isinstance(payload.get("vc"), dict):
        return dict(payload["vc"]), True
    if "@context" not in payload:
        raise CredentialError("the JWT payload is not a credential (no @context, no vc claim)")
    return {k: v for k, v in payload.items() if k not in JWT_CLAIMS}, False


def decode_vc_jwt(token: str, resolve_key: Callable[[JSONDict], JwsPublicKey]) -> DecodedVcJwt:
    """Check a VC-JWT's signature and header, and return its credential.

    Args:
        token: the compact JWS.
        resolve_key: given the (unverified) header, returns the public key to check it
            with, from ``kid`` or ``jwk``; raises `CredentialError` when it cannot.

    Returns:
        The decoded VC-JWT. Claims are not compared with the credential here: see
        `claim_errors`.

    Raises:
        CredentialError: malformed, ``typ`` other than JWT, a header field other than
            ``alg``/``kid``/``jwk``/``typ``, an algorithm that is not the key's, a key that
            cannot be resolved, or a signature that does not verify.
    """
    header = decode_compact(token).header
    if header.get("typ", "JWT") != "JWT":
        raise CredentialError(f"JWT typ is {header.get('typ')!r}, not 'JWT'")
    if "kid" not in header and "jwk" not in header:
        raise CredentialError("the JWT header names no key (neither kid nor jwk)")
    decoded = verify_compact(token, resolve_key(header), allowed_header=_HEADER)
    credential, legacy = credential_of(decoded.payload)
    return DecodedVcJwt(decoded.header, decoded.payload, credential, legacy)


def claim_errors(claims: JSONDict, credential: JSONDict) -> list[tuple[str, str]]:
    """Compare a VC-JWT's claims with its credential.

    ``iss``, ``jti``, ``nbf``, ``sub`` and ``exp`` must be present when the credential implies
    them and equal to their credential property (``nbf``/``exp`` as NumericDates). An ``exp``
    without ``validUntil`` is not a mismatch: the spec lets ``exp`` set ``validUntil``.

    Returns:
        ``(claim name, message)`` per mismatch; empty when consistent.
    """
    try:
        expected = expected_claims(credential)
    except CredentialError as exc:
        return [("iss", str(exc))]
    errors = []
    for name, value in expected.items():
        if name not in claims:
            errors.append((name, f"JWT claim {name} is missing (expected {value!r})"))
        elif claims[name] != value:
            errors.append(
                (name, f"JWT claim {name} is {claims[name]!r}, the credential says {value!r}")
            )
    return errors
