"""Check a credential's ``credentialStatus`` against status list credentials (offline).

Follows the W3C Bitstring Status List validation algorithm: the list credential must verify
(its own proof, by the same issuer), its purpose must match the entry's, and the list must be
at least 131,072 entries long. A set ``revocation`` bit means revoked, a set ``suspension``
bit means suspended; both fail verification.

A status list that is not available is an **error**, not a warning: a verifier that cannot
see the list cannot tell a revoked credential from a good one (the spec's
``STATUS_RETRIEVAL_ERROR``). An entry of a type other than ``BitstringStatusListEntry`` is
reported as a warning and left unchecked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from badgeflow.errors import CredentialError
from badgeflow.models import JSONDict
from badgeflow.status.bitstring import MIN_LIST_LENGTH, bit_is_set, decode_bitstring

__all__ = ["StatusCheck", "check_status", "status_entries"]

ListVerifier = Callable[[JSONDict], Sequence[str]]
"""Verifies a status list credential; returns its verification errors (empty when fine)."""

_MESSAGES = {
    "revocation": "credential has been REVOKED by its issuer",
    "suspension": "credential is SUSPENDED by its issuer",
}


@dataclass(frozen=True)
class StatusCheck:
    """Outcome of checking the status entries of one credential.

    Attributes:
        errors: revoked / suspended, or why the status could not be established.
        warnings: entries that were not checked.
        revoked: a revocation bit is set.
        suspended: a suspension bit is set.
    """

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    revoked: bool = False
    suspended: bool = False


def status_entries(doc: JSONDict) -> list[Any]:
    """Return the credential's ``credentialStatus`` entries as a list (empty when absent)."""
    value = doc.get("credentialStatus")
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _issuer_id(doc: JSONDict) -> Any:
    issuer = doc.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def _index(value: Any) -> int:
    # The spec says a base-10 string; the 1EdTech examples use a JSON number. Accept both.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise CredentialError(f"statusListIndex {value!r} is not an integer")
    try:
        index = int(value)
    except ValueError:
        raise CredentialError(f"statusListIndex {value!r} is not an integer") from None
    if index < 0:
        raise CredentialError(f"statusListIndex {value!r} is negative")
    return index


def _bit(
    doc: JSONDict, entry: JSONDict, status_lists: Mapping[str, JSONDict], verify_list: ListVerifier
) -> tuple[str, bool]:
    """Return (purpose, bit) of one entry; raise CredentialError when it cannot be read."""
    purpose, url = entry.get("statusPurpose"), entry.get("statusListCredential")
    if not isinstance(purpose, str) or not isinstance(url, str):
        raise CredentialError("entry lacks statusPurpose or statusListCredential")
    index = _index(entry.get("statusListIndex"))
    listing = status_lists.get(url)
    if listing is None:
        raise CredentialError(
            f"status list {url} is not available, so revocation cannot be ruled out"
        )
    problems = list(verify_list(listing))
    if problems:
        raise CredentialError(f"status list {url} does not verify: {'; '.join(problems)}")
    if _issuer_id(listing) != _issuer_id(doc):
        raise CredentialError(
            f"status list {url} is issued by {_issuer_id(listing)}, not the issuer"
        )
    types = listing.get("type", [])
    subject = listing.get("credentialSubject")
    if "BitstringStatusListCredential" not in types or not isinstance(subject, dict):
        raise CredentialError(f"{url} is not a BitstringStatusListCredential")
    if subject.get("statusPurpose") != purpose:
        raise CredentialError(
            f"status list {url} has purpose {subject.get('statusPurpose')!r}, "
            f"the entry says {purpose!r}"
        )
    encoded = subject.get("encodedList")
    if not isinstance(encoded, str):
        raise CredentialError(f"status list {url} has no encodedList")
    bits = decode_bitstring(encoded)
    if len(bits) * 8 < MIN_LIST_LENGTH:
        raise CredentialError(f"status list {url} is shorter than {MIN_LIST_LENGTH} entries")
    if index >= len(bits) * 8:
        raise CredentialError(f"statusListIndex {index} is outside status list {url}")
    return purpose, bit_is_set(bits, index)


def check_status(
    doc: JSONDict, status_lists: Mapping[str, JSONDict], verify_list: ListVerifier
) -> StatusCheck:
    """Check every ``BitstringStatusListEntry`` of a credential.

    Args:
        doc: the credential.
        status_lists: status list credentials keyed by URL (``statusListCredential``).
        verify_list: verifies a list credential's proof and dates (see `ListVerifier`).

    Returns:
        The errors (revoked, suspended, list missing or invalid) and warnings.
    """
    errors: list[str] = []
    warnings: list[str] = []
    revoked = suspended = False
    for entry in status_entries(doc):
        if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
            kind = entry.get("type") if isinstance(entry, dict) else entry
            warnings.append(f"credentialStatus of type {kind!r} was not checked")
            continue
        try:
            purpose, is_set = _bit(doc, entry, status_lists, verify_list)
        except CredentialError as exc:
            errors.append(f"status: {exc}")
            continue
        if not is_set:
            continue
        message = _MESSAGES.get(purpose)
        if message is None:
            warnings.append(f"status bit of purpose {purpose!r} is set")
            continue
        errors.append(
            f"status: {message} (list {entry['statusListCredential']}, index "
            f"{entry['statusListIndex']})"
        )
        revoked = revoked or purpose == "revocation"
        suspended = suspended or purpose == "suspension"
    return StatusCheck(errors=errors, warnings=warnings, revoked=revoked, suspended=suspended)
