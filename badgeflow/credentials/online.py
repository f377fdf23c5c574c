"""Verify a credential online: resolve its did:web issuer and fetch its status lists first.

Offline verification (`verify_credential`) stays the default everywhere; this is what
``badgeflow verify --online`` calls. Every document the caller already has is used as is;
only the missing ones are fetched. A failed fetch is a value: it becomes a failure of the
named check it blocks (``issuer`` for a DID document, ``status`` for a status list), with
the reason (timeout, HTTP 404, wrong ``id`` ...) in front of the check's own message.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from badgeflow.credentials.did_web import HttpFetcher, resolve_did_web
from badgeflow.credentials.verify import Check, VerificationResult, verify_credential
from badgeflow.errors import CredentialError
from badgeflow.models import JSONDict
from badgeflow.status.check import status_entries

__all__ = ["verify_credential_online"]


def _did_web_bases(doc: JSONDict) -> list[str]:
    """The did:web DIDs a credential's issuer and proofs name, in order, without fragments."""
    issuer: Any = doc.get("issuer")
    found = [issuer.get("id") if isinstance(issuer, dict) else issuer]
    proofs = doc.get("proof")
    for proof in proofs if isinstance(proofs, list) else [proofs]:
        if isinstance(proof, dict):
            found.append(proof.get("verificationMethod"))
    bases = [v.partition("#")[0] for v in found if isinstance(v, str)]
    return list(dict.fromkeys(b for b in bases if b.startswith("did:web:")))


def _status_urls(doc: JSONDict) -> list[str]:
    urls = [e.get("statusListCredential") for e in status_entries(doc) if isinstance(e, dict)]
    return list(dict.fromkeys(u for u in urls if isinstance(u, str)))


def _with_failures(
    result: VerificationResult, failures: dict[str, list[str]]
) -> VerificationResult:
    """Fold fetch failures into the named checks they blocked."""
    if not any(failures.values()):
        return result
    checks = []
    errors = []
    for check in result.checks:
        messages = failures.get(check.name, [])
        if messages:
            detail = "; ".join([*messages, *([check.detail] if check.passed is False else [])])
            checks.append(Check(check.name, False, detail))
            errors.extend(messages)
        else:
            checks.append(check)
    return dataclasses.replace(
        result, verified=False, errors=[*errors, *result.errors], checks=checks
    )


def verify_credential_online(
    doc: JSONDict,
    *,
    now: datetime,
    fetcher: HttpFetcher,
    did_documents: Mapping[str, JSONDict] | None = None,
    status_lists: Mapping[str, JSONDict] | None = None,
) -> VerificationResult:
    """Verify a credential, fetching its did:web DID documents and status lists over HTTPS.

    Example:
        >>> verify_credential_online(signed, now=now, fetcher=HttpFetcher()).verified
        True

    Args:
        doc: the signed credential.
        now: the time to check validity against (aware).
        fetcher: does the HTTPS requests (timeouts, size limit, no redirects).
        did_documents: documents already at hand, keyed by DID; not fetched again.
        status_lists: status list credentials already at hand, keyed by URL; not fetched again.

    Returns:
        The result of `verify_credential` over the given and fetched documents, with every
        fetch failure reported under the ``issuer`` or ``status`` check.

    Raises:
        ValueError: ``now`` is naive.
    """
    documents = dict(did_documents or {})
    lists = dict(status_lists or {})
    failures: dict[str, list[str]] = {"issuer": [], "status": []}
    for did in _did_web_bases(doc):
        if did in documents:
            continue
        try:
            documents[did] = resolve_did_web(did, fetcher)
        except CredentialError as exc:
            failures["issuer"].append(f"did:web resolution of {did} failed: {exc}")
    for url in _status_urls(doc):
        if url in lists:
            continue
        try:
            lists[url] = fetcher.fetch_json(url)
        except CredentialError as exc:
            failures["status"].append(f"status list fetch failed: {exc}")
    result = verify_credential(doc, did_documents=documents, now=now, status_lists=lists)
    return _with_failures(result, failures)
