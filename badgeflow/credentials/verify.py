"""Verify eddsa-rdfc-2022 credentials: proof, key, issuer and validity period.

A failed check is a value (`VerificationResult.errors`), not an exception. Keys are found
without any network access:

* ``did:key:<mk>`` or ``did:key:<mk>#<mk>``: the key is the DID itself;
* a DID (or other URL) in ``did_documents``: its ``verificationMethod`` entry with that id,
  which must also be listed under ``assertionMethod``;
* ``<issuer id>#z6Mk...`` with no document given: the key is read from the multibase
  fragment (as the 1EdTech validator does), only when the part before ``#`` is the issuer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from badgeflow.credentials.document_loader import DocumentLoader, strict_document_loader
from badgeflow.credentials.proof import CRYPTOSUITE, PROOF_TYPE, combine, hash_document
from badgeflow.credentials.signer import multibase_decode, public_key_from_multibase
from badgeflow.errors import CredentialError
from badgeflow.models import JSONDict
from badgeflow.status.check import check_status, status_entries

__all__ = ["DocumentHasher", "VerificationResult", "verify_credential"]

DocumentHasher = Callable[[JSONDict], bytes]
"""SHA-256 of a document's canonical N-Quads (`proof.hash_document`, or a faster equal one)."""


@dataclass(frozen=True)
class VerificationResult:
    """Outcome of verifying one credential.

    Attributes:
        verified: True when there are no errors.
        errors: why the credential must not be trusted (empty when verified).
        warnings: things worth knowing that do not fail verification.
        issuer: the issuer id found in the credential, if any.
        credential_id: the credential's ``id``, if any.
    """

    verified: bool
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    issuer: str | None = None
    credential_id: str | None = None


def _issuer_id(doc: JSONDict) -> str | None:
    issuer = doc.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def _parse_time(value: Any, name: str, errors: list[str]) -> datetime | None:
    if not isinstance(value, str):
        errors.append(f"{name} is missing or not a string")
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        errors.append(f"{name} {value!r} is not an ISO 8601 date-time")
        return None
    if parsed.tzinfo is None:
        errors.append(f"{name} {value!r} has no time zone")
        return None
    return parsed


def _check_period(doc: JSONDict, now: datetime, errors: list[str]) -> None:
    valid_from = _parse_time(doc.get("validFrom"), "validFrom", errors)
    if valid_from is not None and now < valid_from:
        errors.append(f"credential is not yet valid: validFrom {doc['validFrom']} is in the future")
    if "validUntil" in doc:
        valid_until = _parse_time(doc["validUntil"], "validUntil", errors)
        if valid_until is not None and now >= valid_until:
            errors.append(f"credential has expired: validUntil {doc['validUntil']} has passed")


def _method_from_document(
    method_id: str, controller: str, document: JSONDict
) -> tuple[Ed25519PublicKey, str]:
    if document.get("id") != controller:
        raise CredentialError(f"the document given for {controller} describes {document.get('id')}")
    methods = document.get("verificationMethod", [])
    for method in methods if isinstance(methods, list) else []:
        if not isinstance(method, dict):
            continue
        candidate = method.get("id", "")
        if isinstance(candidate, str) and candidate.startswith("#"):
            candidate = controller + candidate
        if candidate != method_id:
            continue
        if method.get("type") != "Multikey":
            raise CredentialError(f"verification method {method_id} is not a Multikey")
        assertion = [
            controller + ref if isinstance(ref, str) and ref.startswith("#") else ref
            for ref in document.get("assertionMethod", [])
        ]
        if method_id not in assertion:
            raise CredentialError(f"{method_id} is not authorised for assertionMethod")
        return public_key_from_multibase(str(method.get("publicKeyMultibase"))), str(
            method.get("controller", controller)
        )
    raise CredentialError(f"verification method {method_id} not found in {controller}'s document")


def _resolve_key(
    method_id: str, issuer: str | None, did_documents: Mapping[str, JSONDict], warnings: list[str]
) -> tuple[Ed25519PublicKey, str]:
    """Return the public key and controller of a verification method."""
    base, _, fragment = method_id.partition("#")
    if base.startswith("did:key:"):
        multikey = base.removeprefix("did:key:")
        if fragment and fragment != multikey:
            raise CredentialError(f"did:key fragment does not match its key: {method_id}")
        return public_key_from_multibase(multikey), base
    if base in did_documents:
        return _method_from_document(method_id, base, did_documents[base])
    if fragment.startswith("z") and base == issuer:
        warnings.append(f"key taken from the verification method fragment of {method_id}")
        return public_key_from_multibase(fragment), base
    raise CredentialError(f"no DID document or key known for verification method {method_id}")


def _check_proof(
    doc: JSONDict,
    proof: Any,
    issuer: str | None,
    did_documents: Mapping[str, JSONDict],
    hasher: DocumentHasher,
    warnings: list[str],
) -> None:
    """Verify one proof; raise CredentialError with the reason when it fails."""
    if not isinstance(proof, dict):
        raise CredentialError("proof is not an object")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise CredentialError(
            f"unsupported proof {proof.get('type')!r}/{proof.get('cryptosuite')!r}; "
            f"expected {PROOF_TYPE}/{CRYPTOSUITE}"
        )
    if proof.get("proofPurpose") != "assertionMethod":
        raise CredentialError(f"proofPurpose is {proof.get('proofPurpose')!r}, not assertionMethod")
    method_id, proof_value = proof.get("verificationMethod"), proof.get("proofValue")
    if not isinstance(method_id, str) or not isinstance(proof_value, str):
        raise CredentialError("proof lacks verificationMethod or proofValue")
    public_key, controller = _resolve_key(method_id, issuer, did_documents, warnings)
    signature = multibase_decode(proof_value)
    if len(signature) != 64:
        raise CredentialError("proofValue is not a 64-byte Ed25519 signature")
    unsigned = {key: value for key, value in doc.items() if key != "proof"}
    config = {key: value for key, value in proof.items() if key != "proofValue"}
    config["@context"] = doc.get("@context")
    doc_hash = hasher(unsigned)
    proof_hash = hasher(config)
    try:
        public_key.verify(signature, combine(proof_hash, doc_hash))
    except InvalidSignature:
        raise CredentialError("signature does not match: the credential was altered") from None
    # As vc.js's CredentialIssuancePurpose: a valid signature only speaks for the issuer when
    # the key belongs to the issuer. Otherwise anyone could sign "as" our did:web.
    if controller != issuer:
        raise CredentialError(
            f"signature is valid but its key is controlled by {controller}, not by the issuer "
            f"{issuer}"
        )


def verify_credential(
    doc: JSONDict,
    *,
    did_documents: Mapping[str, JSONDict],
    now: datetime,
    loader: DocumentLoader = strict_document_loader,
    status_lists: Mapping[str, JSONDict] | None = None,
    hasher: DocumentHasher | None = None,
) -> VerificationResult:
    """Verify a signed credential offline.

    Example:
        >>> verify_credential(signed, did_documents={did: did_doc}, now=now).verified
        True

    Args:
        doc: the signed credential.
        did_documents: DID documents (or controller documents) keyed by DID / URL.
        now: the time to check ``validFrom``/``validUntil`` against (aware datetime).
        loader: the JSON-LD document loader; the strict offline loader by default.
        status_lists: status list credentials keyed by URL, to check ``credentialStatus``
            (see `badgeflow.status.check_status`: revoked, suspended and a missing list are
            errors). None skips the status check, with a warning when the credential has one.
        hasher: hashes the credential and proof options (default: `proof.hash_document`
            with ``loader``); `fast.BatchVerifier` passes its template-based one.

    Returns:
        The verification result; ``verified`` is False with reasons in ``errors`` when any
        check fails (bad or missing proof, unknown key, undefined terms, expired, revoked,
        suspended ...).

    Raises:
        ValueError: ``now`` is naive.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    errors: list[str] = []
    warnings: list[str] = []
    issuer = _issuer_id(doc)
    credential_id = doc.get("id") if isinstance(doc.get("id"), str) else None
    if issuer is None:
        errors.append("credential has no issuer id")
    types = doc.get("type", [])
    if "VerifiableCredential" not in (types if isinstance(types, list) else [types]):
        errors.append("type does not include VerifiableCredential")
    if hasher is None:

        def hasher(document: JSONDict) -> bytes:
            return hash_document(document, loader=loader)

    proofs = doc.get("proof")
    proof_list = proofs if isinstance(proofs, list) else [] if proofs is None else [proofs]
    if not proof_list:
        errors.append("credential has no proof")
    for proof in proof_list:
        try:
            _check_proof(doc, proof, issuer, did_documents, hasher, warnings)
        except CredentialError as exc:
            errors.append(f"proof: {exc}")
    _check_period(doc, now, errors)
    if status_lists is not None:

        def verify_list(listing: JSONDict) -> list[str]:
            return verify_credential(
                listing, did_documents=did_documents, now=now, loader=loader
            ).errors

        status = check_status(doc, status_lists, verify_list)
        errors.extend(status.errors)
        warnings.extend(status.warnings)
    elif status_entries(doc):
        warnings.append("credentialStatus was not checked (no status lists given)")
    return VerificationResult(
        verified=not errors,
        errors=errors,
        warnings=warnings,
        issuer=issuer,
        credential_id=credential_id,
    )
