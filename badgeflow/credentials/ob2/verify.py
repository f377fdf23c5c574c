"""Verify Open Badges 2.0 assertions, hosted or signed (JWS), without network access.

Linked documents (the hosted assertion, BadgeClass, issuer Profile, CryptographicKey,
RevocationList) come from a `DocumentResolver`: usually the local site folder plus documents
given on the command line. A URL it cannot answer is reported as a failed check, never
fetched. The rules follow OB 2.0 "Verification": a hosted assertion is trusted only as found
at its ``id``, within the issuer's origin; a signed one only with a key the issuer Profile
lists (``publicKey``) and that names the issuer as ``owner``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from badgeflow.credentials.jws import decode_compact, verify_compact
from badgeflow.credentials.ob2._checks import (
    HOSTED,
    OB2_CHECK_NAMES,
    SIGNED,
    DocumentResolver,
    Report,
    check_recipient,
    check_revocation_list,
    check_validity,
    hosted_scope,
    issuer_type,
    linked,
    require,
    signing_key,
)
from badgeflow.credentials.ob2.documents import OB2_CONTEXT
from badgeflow.credentials.verify import VerificationResult
from badgeflow.errors import CredentialError
from badgeflow.models import JSONDict

__all__ = ["OB2_CHECK_NAMES", "DocumentResolver", "is_ob2", "site_resolver", "verify_ob2"]


def is_ob2(document: Any) -> bool:
    """Tell whether a parsed JSON value is an OB 2.0 object (its ``@context`` is OB v2)."""
    if not isinstance(document, dict):
        return False
    context = document.get("@context")
    contexts = context if isinstance(context, list) else [context]
    return OB2_CONTEXT in contexts


def site_resolver(
    site_dir: Path | None, base_url: str | None, documents: Mapping[str, JSONDict] = {}
) -> DocumentResolver:
    """Resolve URLs from ``documents`` (by id), then from a site folder published at ``base_url``.

    Args:
        site_dir: the local copy of the site, or None.
        base_url: the URL the site is published at.
        documents: more documents, keyed by their ``id``.
    """
    prefix = base_url.rstrip("/") + "/" if base_url else None

    def resolve(url: str) -> JSONDict | None:
        if url in documents:
            return documents[url]
        if site_dir is None or prefix is None or not url.startswith(prefix):
            return None
        relative = url[len(prefix) :].split("#", 1)[0]
        target = (site_dir / relative).resolve()
        if not target.is_relative_to(site_dir.resolve()) or not target.is_file():
            return None
        try:
            loaded = json.loads(target.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return loaded if isinstance(loaded, dict) else None

    return resolve


def _read_assertion(
    payload: str | JSONDict, resolve: DocumentResolver
) -> tuple[JSONDict, str | None]:
    """Return the assertion and, for a JWS, the token; raise when it cannot be read."""
    if isinstance(payload, dict):
        return payload, None
    text = payload.strip()
    if text.startswith(("http://", "https://")):
        return linked(text, "hosted assertion", resolve), None
    if text.startswith("{"):
        document = json.loads(text)
        if not isinstance(document, dict):
            raise CredentialError("the assertion is not a JSON object")
        return document, None
    decoded = decode_compact(text)
    if not isinstance(decoded.payload, dict):
        raise CredentialError("the JWS payload is not a JSON object")
    return decoded.payload, text


def _check_format(assertion: JSONDict, token: str | None, report: Report) -> str:
    """Check the assertion's shape; return its verification type (``hosted``/``signed``)."""
    if not is_ob2(assertion):
        report.fail("format", f"@context is not {OB2_CONTEXT}")
    try:
        require(assertion, "Assertion", ("id", "recipient", "badge", "verification", "issuedOn"))
    except CredentialError as exc:
        report.fail("format", str(exc))
    verification = assertion.get("verification")
    kind = verification.get("type") if isinstance(verification, dict) else None
    if kind in SIGNED and token is None:
        report.fail("format", "a signed assertion must come as its JWS, not as bare JSON")
    elif kind in HOSTED and token is not None:
        report.fail("format", "a JWS-wrapped assertion must declare signed verification")
    elif kind not in HOSTED | SIGNED:
        report.fail("format", f"unsupported verification type {kind!r}")
    report.passed["format"] = f"OB 2.0 Assertion, {kind} verification"
    return "signed" if kind in SIGNED else "hosted"


def _run(
    payload: str | JSONDict,
    resolve: DocumentResolver,
    now: datetime,
    email: str | None,
    report: Report,
) -> tuple[str | None, str | None]:
    try:
        assertion, token = _read_assertion(payload, resolve)
    except (CredentialError, ValueError) as exc:
        report.fail("format", f"cannot read the assertion: {exc}")
        return None, None
    kind = _check_format(assertion, token, report)
    assertion_id = str(assertion.get("id"))
    if kind == "hosted":
        # OB 2.0: the input "should only be trusted to identify the URI of the hosted
        # verification file"; the document found there is the assertion.
        hosted = resolve(assertion_id)
        if hosted is None:
            report.fail("proof", f"hosted assertion {assertion_id} could not be retrieved offline")
            report.skipped["status"] = "not checked: the hosted assertion was not found"
        else:
            if hosted.get("revoked") is True:
                reason = hosted.get("revocationReason") or "no reason given"
                report.fail("status", f"revoked by the issuer ({reason})")
            elif hosted != assertion:
                report.warnings.append("this copy differs from the hosted assertion; used that")
            assertion = {**assertion, **hosted} if hosted.get("revoked") is True else hosted
            report.passed["proof"] = f"hosted assertion found at {assertion_id}"
            report.passed["status"] = "not revoked (hosted assertion)"
    try:
        badge = linked(assertion.get("badge"), "BadgeClass", resolve)
        require(badge, "BadgeClass", ("id", "name", "description", "image", "criteria", "issuer"))
        issuer = linked(badge.get("issuer"), "issuer Profile", resolve)
        require(issuer, issuer_type(issuer), ("id", "name", "url", "email"))
    except CredentialError as exc:
        report.fail("documents", str(exc))
        report.skipped["issuer"] = "not checked: the issuer Profile is not available"
        if kind == "signed":
            report.skipped["proof"] = "not checked: the issuer's keys are not known"
            report.skipped["status"] = "not checked: the issuer's revocationList is not known"
        check_recipient(assertion, email, report)
        check_validity(assertion, now, report)
        return assertion_id, None
    issuer_id = str(issuer.get("id"))
    report.passed["documents"] = f"BadgeClass {badge.get('name')!r} by {issuer.get('name')!r}"
    if kind == "hosted":
        try:
            report.passed["issuer"] = hosted_scope(assertion_id, str(badge.get("id")), issuer)
        except CredentialError as exc:
            report.fail("issuer", str(exc))
    else:
        _check_signature(assertion, str(token), issuer, resolve, report)
    check_recipient(assertion, email, report)
    check_validity(assertion, now, report)
    return assertion_id, issuer_id


def _check_signature(
    assertion: JSONDict, token: str, issuer: JSONDict, resolve: DocumentResolver, report: Report
) -> None:
    verification = assertion.get("verification")
    creator = verification.get("creator") if isinstance(verification, dict) else None
    try:
        key_id, key = signing_key(creator, issuer, resolve)
    except CredentialError as exc:
        report.fail("issuer", str(exc))
        report.skipped["proof"] = "not checked: no trusted key"
    else:
        report.passed["issuer"] = f"{issuer.get('id')} lists and owns the key {key_id}"
        try:
            verify_compact(token, key)
            report.passed["proof"] = f"JWS RS256 signature by {key_id}"
        except CredentialError as exc:
            report.fail("proof", str(exc))
    try:
        detail = check_revocation_list(str(assertion.get("id")), issuer, resolve)
    except CredentialError as exc:
        report.fail("status", str(exc))
        return
    if detail:
        report.passed["status"] = detail
    else:
        report.skipped["status"] = "not checked: the issuer declares no revocationList"


def verify_ob2(
    payload: str | JSONDict,
    *,
    resolve: DocumentResolver,
    now: datetime,
    recipient_email: str | None = None,
) -> VerificationResult:
    """Verify an OB 2.0 assertion: a hosted assertion's JSON or URL, or a signed JWS.

    Example:
        >>> verify_ob2(jws, resolve=site_resolver(site, base), now=now).verified  # doctest: +SKIP
        True

    Args:
        payload: the assertion JSON (parsed or text), its URL, or a compact JWS.
        resolve: where linked documents come from (see `site_resolver`).
        now: the time to check ``issuedOn``/``expires`` against (aware).
        recipient_email: when given, also check the assertion was awarded to this address.

    Returns:
        The result, with the checks of `OB2_CHECK_NAMES`.

    Raises:
        ValueError: ``now`` is naive.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    report = Report()
    assertion_id, issuer_id = _run(payload, resolve, now, recipient_email, report)
    return report.result(assertion_id, issuer_id)
