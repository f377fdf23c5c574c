"""Verify a VC-JWT offline: the JWS, its key, its claims, then the credential's own checks.

The key comes from the header, without any network access:

* ``kid``: a ``JsonWebKey`` verification method in a DID document given in ``did_documents``
  (listed under ``assertionMethod``); its controller must be the issuer;
* ``jwk`` (the 1EdTech baked samples): the embedded public key. It verifies the signature,
  but nothing ties it to the issuer unless the issuer's DID document lists the same key
  (same RFC 7638 thumbprint); otherwise the ``issuer`` check is "not checked", with a warning
  (as the fragment key of an embedded proof is).

A JWT naming no key (``simple.jwt`` of the 1EdTech validator) cannot be checked: the
``issuer`` check fails with that reason and ``proof`` is "not checked".

The credential inside then goes through `verify_credential` (format, validity, status, and
its embedded DataIntegrityProof when it has one); the named checks are merged.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from badgeflow.credentials.document_loader import DocumentLoader, strict_document_loader
from badgeflow.credentials.jws import (
    JwsPublicKey,
    decode_compact,
    jwk_thumbprint,
    public_jwk,
    public_key_from_jwk,
)
from badgeflow.credentials.proof import hash_document
from badgeflow.credentials.vcjwt import claim_errors, credential_of, decode_vc_jwt
from badgeflow.credentials.verify import CHECK_NAMES, Check, VerificationResult, verify_credential
from badgeflow.errors import CredentialError
from badgeflow.models import JSONDict

__all__ = ["verify_vc_jwt"]

_JWK_TYPES = ("JsonWebKey", "JsonWebKey2020")
_NO_PROOF = "credential has no proof"
_CLAIM_CHECK = {"iss": "issuer", "nbf": "validity", "exp": "validity"}


def _jwk_methods(document: JSONDict) -> list[tuple[str, JSONDict]]:
    """``(absolute id, method)`` of the document's JWK methods authorised for assertions."""
    did = str(document.get("id"))
    absolute = [
        did + r if isinstance(r, str) and r.startswith("#") else r
        for r in _assertion_refs(document)
    ]
    methods = document.get("verificationMethod", [])
    found = []
    for method in methods if isinstance(methods, list) else []:
        if isinstance(method, dict) and method.get("type") in _JWK_TYPES:
            method_id = str(method.get("id", ""))
            method_id = did + method_id if method_id.startswith("#") else method_id
            if method_id in absolute and isinstance(method.get("publicKeyJwk"), dict):
                found.append((method_id, method))
    return found


def _assertion_refs(document: JSONDict) -> list[Any]:
    refs = document.get("assertionMethod", [])
    return refs if isinstance(refs, list) else []


def _resolve(
    header: JSONDict, issuer: str | None, documents: Mapping[str, JSONDict]
) -> tuple[JwsPublicKey, str | None, str]:
    """Return ``(key, controller or None when self-asserted, description)``."""
    kid = header.get("kid")
    if isinstance(kid, str):
        base = kid.partition("#")[0]
        if base in documents:
            for method_id, method in _jwk_methods(documents[base]):
                if method_id == kid:
                    key = public_key_from_jwk(method["publicKeyJwk"])
                    return key, str(method.get("controller", base)), kid
            raise CredentialError(f"{kid} is not a JsonWebKey assertion method of {base}")
        if "jwk" not in header:
            raise CredentialError(f"no DID document known for the JWT key {kid}")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict):
        raise CredentialError("the JWT header names no key (neither kid nor jwk)")
    key = public_key_from_jwk(jwk)
    thumbprint = jwk_thumbprint(public_jwk(key))
    for method_id, method in _jwk_methods(documents.get(issuer or "", {})):
        if jwk_thumbprint(method["publicKeyJwk"]) == thumbprint:
            return key, issuer, f"the embedded jwk, which is {method_id}"
    return key, None, f"the embedded jwk (thumbprint {thumbprint})"


class _Jwt:
    """Failures and successes of the JWT's own checks, per check name."""

    def __init__(self) -> None:
        self.failed: dict[str, list[str]] = {name: [] for name in CHECK_NAMES}
        self.passed: dict[str, str] = {}
        self.skipped: dict[str, str] = {}
        self.warnings: list[str] = []

    def fail(self, name: str, message: str) -> None:
        self.failed[name].append(f"VC-JWT: {message}")


def _jwt_checks(
    token: str,
    claims: JSONDict,
    credential: JSONDict,
    documents: Mapping[str, JSONDict],
    now: datetime,
) -> _Jwt:
    out = _Jwt()
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    header = decode_compact(token).header
    try:
        resolved: tuple[JwsPublicKey, str | None, str] | None = _resolve(
            header, issuer_id, documents
        )
    except CredentialError as exc:
        out.fail("issuer", str(exc))
        out.skipped["proof"] = "not checked: the key of the VC-JWT is unknown"
        resolved = None
    if resolved is not None:
        key, controller, how = resolved
        try:
            decode_vc_jwt(token, lambda _header: key)
            out.passed["proof"] = f"VC-JWT {header.get('alg')} signature by {how}"
        except CredentialError as exc:
            out.fail("proof", str(exc))
        if controller is None:
            out.skipped["issuer"] = f"not checked: the JWT key is {how}, not tied to the issuer"
        elif controller == issuer_id:
            out.passed["issuer"] = f"{issuer_id} controls the VC-JWT key"
        else:
            out.fail("issuer", f"the JWT key is controlled by {controller}, not by {issuer_id}")
    for name, message in claim_errors(claims, credential):
        if name == "sub" and "sub" not in claims:
            # Required by OB 3.0, yet the 1EdTech validator's own samples carry `aud` instead.
            out.warnings.append(f"{message}: OB 3.0 requires it; the 1EdTech baked samples omit it")
        else:
            out.fail(_CLAIM_CHECK.get(name, "format"), message)
    for name, late in (("nbf", False), ("exp", True)):
        value = claims.get(name)
        if not isinstance(value, int | float):
            continue
        if now.timestamp() >= value if late else now.timestamp() < value:
            when = datetime.fromtimestamp(value, UTC).isoformat()
            out.fail("validity", f"{'expired' if late else 'not yet valid'}: {name} is {when}")
    return out


def verify_vc_jwt(
    token: str,
    *,
    did_documents: Mapping[str, JSONDict],
    now: datetime,
    loader: DocumentLoader = strict_document_loader,
    status_lists: Mapping[str, JSONDict] | None = None,
) -> VerificationResult:
    """Verify a VC-JWT offline and report the same named checks as `verify_credential`.

    Args:
        token: the compact JWS.
        did_documents: DID documents keyed by DID, to resolve the header's ``kid``.
        now: the time to check ``nbf``/``exp`` and ``validFrom``/``validUntil`` against (aware).
        loader: the JSON-LD document loader (terms of the credential).
        status_lists: as for `verify_credential`.

    Returns:
        The verification result; ``warnings`` notes a legacy ``vc``-claim JWT and a key that
        is only the embedded ``jwk``.

    Raises:
        CredentialError: the token is not a compact JWS or holds no credential (unreadable,
            as opposed to not verified).
        ValueError: ``now`` is naive.
    """
    claims = decode_compact(token).payload
    credential, legacy = credential_of(claims)
    view = dict(credential)
    warnings: list[str] = []
    if legacy:
        warnings.append("legacy VC-JWT: the credential is in the vc claim (VC 1.1 shape)")
        view.setdefault("validFrom", view.get("issuanceDate"))
        if "expirationDate" in view:
            view.setdefault("validUntil", view["expirationDate"])
    base = verify_credential(
        view, did_documents=did_documents, now=now, loader=loader, status_lists=status_lists
    )
    embedded = "proof" in credential
    errors = [e for e in base.errors if embedded or e != _NO_PROOF]
    checks = {c.name: c for c in base.checks}
    if not embedded:
        checks["proof"] = Check("proof", None, "no embedded proof")
        try:
            hash_document(credential, loader=loader)
            checks["context"] = Check(
                "context", True, "every term is defined by the pinned contexts"
            )
        except CredentialError as exc:
            checks["context"] = Check("context", False, str(exc))
            errors.append(f"context: {exc}")
        if checks["issuer"].passed is None:
            checks["issuer"] = Check("issuer", None, "no embedded proof")
    jwt = _jwt_checks(token, claims, credential, did_documents, now)
    merged = []
    for name in CHECK_NAMES:
        old, failed = checks[name], jwt.failed[name]
        errors.extend(failed)
        if failed:
            details = ([old.detail] if old.passed is False else []) + failed
            merged.append(Check(name, False, "; ".join(details)))
        elif old.passed is False:
            merged.append(old)
        elif name in jwt.passed:
            details = ([old.detail] if old.passed else []) + [jwt.passed[name]]
            merged.append(Check(name, True, "; ".join(details)))
        elif name in jwt.skipped and not old.passed:
            merged.append(Check(name, None, jwt.skipped[name]))
        else:
            merged.append(old)
    if "issuer" in jwt.skipped:
        warnings.append(jwt.skipped["issuer"].removeprefix("not checked: "))
    warnings.extend(jwt.warnings)
    return VerificationResult(
        verified=not errors,
        errors=errors,
        warnings=warnings + base.warnings,
        issuer=base.issuer,
        credential_id=base.credential_id,
        checks=merged,
    )
