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
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from badgeflow.credentials.document_loader import DocumentLoader, strict_document_loader
from badgeflow.credentials.proof import CRYPTOSUITE, PROOF_TYPE, combine, hash_document
from badgeflow.credentials.signer import multibase_decode, public_key_from_multibase
from badgeflow.errors import CredentialError
from badgeflow.models import JSONDict
from badgeflow.status.check import check_status, status_entries

__all__ = ["CHECK_NAMES", "Check", "DocumentHasher", "VerificationResult", "verify_credential"]

CHECK_NAMES: Final = ("format", "context", "proof", "issuer", "validity", "status")
"""The named checks of a `VerificationResult`, in the order they are reported."""

DocumentHasher = Callable[[JSONDict], bytes]
"""SHA-256 of a document's canonical N-Quads (`proof.hash_document`, or a faster equal one)."""


@dataclass(frozen=True)
class Check:
    """One named check of a verification and its outcome.

    Attributes:
        name: one of `CHECK_NAMES`: ``format`` (a VerifiableCredential), ``context`` (every
            term defined by the pinned JSON-LD contexts), ``proof`` (the signature),
            ``issuer`` (the key belongs to the issuer), ``validity`` (validFrom/validUntil),
            ``status`` (not revoked or suspended).
        passed: True or False; None when the check was not made (the detail says why).
        detail: what was found, or why it failed.
    """

    name: str
    passed: bool | None
    detail: str


@dataclass(frozen=True)
class VerificationResult:
    """Outcome of verifying one credential.

    Attributes:
        verified: True when there are no errors.
        errors: why the credential must not be trusted (empty when verified).
        warnings: things worth knowing that do not fail verification.
        issuer: the issuer id found in the credential, if any.
        credential_id: the credential's ``id``, if any.
        checks: the same outcome per named check, in `CHECK_NAMES` order; a failed check's
            detail joins its errors.
    """

    verified: bool
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    issuer: str | None = None
    credential_id: str | None = None
    checks: list[Check] = field(default_factory=list)


class _Failed(CredentialError):
    """A proof failed at the check named ``check``."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__(message)
        self.check = check


class _Outcome:
    """Errors and successes per check, gathered while verifying."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.failed: dict[str, list[str]] = {name: [] for name in CHECK_NAMES}
        self.passed: dict[str, str] = {}
        self.skipped: dict[str, str] = {}

    def fail(self, check: str, message: str) -> None:
        self.errors.append(message)
        self.failed[check].append(message)

    def checks(self) -> list[Check]:
        result = []
        for name in CHECK_NAMES:
            if self.failed[name]:
                result.append(Check(name, False, "; ".join(self.failed[name])))
            elif name in self.passed:
                result.append(Check(name, True, self.passed[name]))
            else:
                result.append(Check(name, None, self.skipped.get(name, "not checked")))
        return result


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


def _check_period(doc: JSONDict, now: datetime, outcome: _Outcome) -> None:
    errors: list[str] = []
    valid_from = _parse_time(doc.get("validFrom"), "validFrom", errors)
    if valid_from is not None and now < valid_from:
        errors.append(f"credential is not yet valid: validFrom {doc['validFrom']} is in the future")
    if "validUntil" in doc:
        valid_until = _parse_time(doc["validUntil"], "validUntil", errors)
        if valid_until is not None and now >= valid_until:
            errors.append(f"credential has expired: validUntil {doc['validUntil']} has passed")
    for error in errors:
        outcome.fail("validity", error)
    until = f" until {doc['validUntil']}" if "validUntil" in doc else ""
    outcome.passed["validity"] = (
        f"valid from {doc.get('validFrom')}{until}; checked at {now.isoformat(timespec='seconds')}"
    )


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
    outcome: _Outcome,
) -> None:
    """Verify one proof; raise `_Failed` naming the check and the reason when it fails."""
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
    try:
        public_key, controller = _resolve_key(method_id, issuer, did_documents, warnings)
    except CredentialError as exc:
        raise _Failed("issuer", str(exc)) from None
    signature = multibase_decode(proof_value)
    if len(signature) != 64:
        raise CredentialError("proofValue is not a 64-byte Ed25519 signature")
    unsigned = {key: value for key, value in doc.items() if key != "proof"}
    config = {key: value for key, value in proof.items() if key != "proofValue"}
    config["@context"] = doc.get("@context")
    try:
        doc_hash = hasher(unsigned)
        proof_hash = hasher(config)
    except CredentialError as exc:
        raise _Failed("context", str(exc)) from None
    outcome.passed["context"] = "every term is defined by the pinned JSON-LD contexts"
    if controller == issuer:
        outcome.passed["issuer"] = f"{issuer} controls the signing key"
    try:
        public_key.verify(signature, combine(proof_hash, doc_hash))
    except InvalidSignature:
        raise CredentialError("signature does not match: the credential was altered") from None
    outcome.passed["proof"] = f"{PROOF_TYPE} {CRYPTOSUITE} signature by {method_id}"
    # As vc.js's CredentialIssuancePurpose: a valid signature only speaks for the issuer when
    # the key belongs to the issuer. Otherwise anyone could sign "as" our did:web.
    if controller != issuer:
        raise _Failed(
            "issuer",
            f"signature is valid but its key is controlled by {controller}, not by the issuer "
            f"{issuer}",
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
    outcome = _Outcome()
    warnings: list[str] = []
    issuer = _issuer_id(doc)
    credential_id = doc.get("id") if isinstance(doc.get("id"), str) else None
    if issuer is None:
        outcome.fail("issuer", "credential has no issuer id")
    types = doc.get("type", [])
    type_list = types if isinstance(types, list) else [types]
    if "VerifiableCredential" not in type_list:
        outcome.fail("format", "type does not include VerifiableCredential")
    outcome.passed["format"] = "type " + ", ".join(map(str, type_list))
    if hasher is None:

        def hasher(document: JSONDict) -> bytes:
            return hash_document(document, loader=loader)

    proofs = doc.get("proof")
    proof_list = proofs if isinstance(proofs, list) else [] if proofs is None else [proofs]
    if not proof_list:
        outcome.fail("proof", "credential has no proof")
        outcome.skipped["context"] = outcome.skipped["issuer"] = "not checked: no proof"
    for proof in proof_list:
        try:
            _check_proof(doc, proof, issuer, did_documents, hasher, warnings, outcome)
        except (CredentialError, ValueError) as exc:
            outcome.fail(exc.check if isinstance(exc, _Failed) else "proof", f"proof: {exc}")
    _check_period(doc, now, outcome)
    entries = status_entries(doc)
    if status_lists is not None:

        def verify_list(listing: JSONDict) -> list[str]:
            return verify_credential(
                listing, did_documents=did_documents, now=now, loader=loader
            ).errors

        status = check_status(doc, status_lists, verify_list)
        for error in status.errors:
            outcome.fail("status", error)
        warnings.extend(status.warnings)
        if entries:
            outcome.passed["status"] = f"not revoked or suspended ({len(entries)} status entries)"
        else:
            outcome.skipped["status"] = "not checked: the credential has no credentialStatus"
    elif entries:
        warnings.append("credentialStatus was not checked (no status lists given)")
        outcome.skipped["status"] = "not checked: no status lists given"
    else:
        outcome.skipped["status"] = "not checked: the credential has no credentialStatus"
    return VerificationResult(
        verified=not outcome.errors,
        errors=outcome.errors,
        warnings=warnings,
        issuer=issuer,
        credential_id=credential_id,
        checks=outcome.checks(),
    )
