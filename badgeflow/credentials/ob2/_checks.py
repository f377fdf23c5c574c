"""The individual OB 2.0 checks behind `verify_ob2`, and the report they fill in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from badgeflow.credentials.build import identity_hash
from badgeflow.credentials.ob2.documents import IDENTITY_HASH
from badgeflow.credentials.verify import Check, VerificationResult
from badgeflow.errors import CredentialError
from badgeflow.models import JSONDict

OB2_CHECK_NAMES: Final = (
    "format",
    "documents",
    "proof",
    "issuer",
    "recipient",
    "validity",
    "status",
)
"""The named checks of an OB 2.0 verification, in the order they are reported."""

DocumentResolver = Callable[[str], JSONDict | None]
"""Returns the JSON document published at a URL, or None when it is not available offline."""

HOSTED: Final = frozenset({"hosted", "HostedBadge"})
SIGNED: Final = frozenset({"signed", "SignedBadge"})


class Report:
    def __init__(self) -> None:
        self.failed: dict[str, list[str]] = {name: [] for name in OB2_CHECK_NAMES}
        self.passed: dict[str, str] = {}
        self.skipped: dict[str, str] = {}
        self.warnings: list[str] = []

    def fail(self, check: str, message: str) -> None:
        self.failed[check].append(message)

    def result(self, assertion_id: str | None, issuer: str | None) -> VerificationResult:
        checks: list[Check] = []
        for name in OB2_CHECK_NAMES:
            if self.failed[name]:
                checks.append(Check(name, False, "; ".join(self.failed[name])))
            elif name in self.passed:
                checks.append(Check(name, True, self.passed[name]))
            else:
                checks.append(Check(name, None, self.skipped.get(name, "not checked")))
        errors = [message for name in OB2_CHECK_NAMES for message in self.failed[name]]
        return VerificationResult(
            verified=not errors,
            errors=errors,
            warnings=self.warnings,
            issuer=issuer,
            credential_id=assertion_id,
            checks=checks,
        )


def types_of(document: JSONDict) -> list[Any]:
    value = document.get("type")
    return value if isinstance(value, list) else [value]


def issuer_type(document: JSONDict) -> str:
    """Return ``Issuer`` when the document says so, else ``Profile`` (both may issue)."""
    return "Issuer" if "Issuer" in types_of(document) else "Profile"


def ids_of(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [] if value is None else [value]
    found = [item.get("id") if isinstance(item, dict) else item for item in items]
    return [item for item in found if isinstance(item, str)]


def linked(value: Any, what: str, resolve: DocumentResolver) -> JSONDict:
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise CredentialError(f"{what} is neither a URL nor an embedded document")
    document = resolve(value)
    if document is None:
        raise CredentialError(f"{what} {value} could not be retrieved offline")
    return document


def require(document: JSONDict, kind: str, fields: tuple[str, ...]) -> None:
    if kind not in types_of(document):
        raise CredentialError(f"{document.get('id')} is not a {kind}")
    missing = [name for name in fields if not document.get(name)]
    if missing:
        raise CredentialError(f"{kind} {document.get('id')} lacks {', '.join(missing)}")


def parse_time(value: Any, name: str) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise CredentialError(f"{name} {value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise CredentialError(f"{name} {value!r} has no time zone")
    return parsed


def origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def hosted_scope(assertion_id: str, badge_id: str, issuer: JSONDict) -> str:
    """Check the hosted assertion is in the scope the issuer declares; return how."""
    policy = issuer.get("verification")
    policy = policy if isinstance(policy, dict) else {}
    starts = policy.get("startsWith")
    allowed = policy.get("allowedOrigins")
    if starts:
        prefixes = starts if isinstance(starts, list) else [starts]
        if not any(assertion_id.startswith(str(p)) for p in prefixes):
            raise CredentialError(f"assertion id {assertion_id} is outside startsWith {prefixes}")
        return f"assertion id starts with {prefixes[0]}"
    if allowed:
        hosts = allowed if isinstance(allowed, list) else [allowed]
        if urlsplit(assertion_id).hostname not in hosts:
            raise CredentialError(f"assertion id {assertion_id} is outside allowedOrigins {hosts}")
        return f"assertion id host is in allowedOrigins {hosts}"
    issuer_id = str(issuer.get("id"))
    for what, url in (("assertion", assertion_id), ("BadgeClass", badge_id)):
        if origin(url) != origin(issuer_id):
            raise CredentialError(f"{what} {url} is not on the issuer's origin ({issuer_id})")
    return f"assertion and BadgeClass hosted on the issuer's origin {urlsplit(issuer_id).netloc}"


def signing_key(
    creator: Any, issuer: JSONDict, resolve: DocumentResolver
) -> tuple[str, rsa.RSAPublicKey]:
    """Return the trusted key (its URL and RSA key) for a signed assertion."""
    listed = ids_of(issuer.get("publicKey"))
    issuer_id = str(issuer.get("id"))
    if isinstance(creator, str):
        if creator not in listed:
            raise CredentialError(f"creator key {creator} is not listed in the issuer's publicKey")
        if urlsplit(creator).hostname != urlsplit(issuer_id).hostname:
            raise CredentialError(f"creator key {creator} is not on the issuer's host")
        listed = [creator]
    if len(listed) != 1:
        raise CredentialError(f"cannot choose a key: the issuer lists {len(listed)} publicKeys")
    key_doc = linked(listed[0], "CryptographicKey", resolve)
    if key_doc.get("owner") != issuer_id:
        raise CredentialError(
            f"key {listed[0]} is owned by {key_doc.get('owner')}, not {issuer_id}"
        )
    try:
        key = load_pem_public_key(str(key_doc.get("publicKeyPem", "")).encode("ascii"))
    except ValueError as exc:
        raise CredentialError(f"key {listed[0]} has no usable publicKeyPem: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise CredentialError(f"key {listed[0]} is not an RSA key (RS256)")
    return listed[0], key


def check_recipient(assertion: JSONDict, email: str | None, report: Report) -> None:
    recipient = assertion.get("recipient")
    if not isinstance(recipient, dict) or not isinstance(recipient.get("identity"), str):
        report.fail("recipient", "recipient has no identity")
        return
    identity = recipient["identity"]
    if recipient.get("hashed") is True:
        if not IDENTITY_HASH.match(identity.lower()):
            report.fail("recipient", f"hashed identity {identity[:16]}... is not sha256$<hex>")
            return
        report.passed["recipient"] = f"{recipient.get('type')} identity hashed ({identity[:7]}…)"
    else:
        report.warnings.append("the recipient identity is not hashed")
        report.passed["recipient"] = f"{recipient.get('type')} identity in plain text"
    if email is not None:
        salt = str(recipient.get("salt") or "")
        expected = identity_hash(email, salt) if recipient.get("hashed") else email
        if expected.lower() != identity.lower():
            report.fail("recipient", "the assertion was not awarded to that email address")
        else:
            report.passed["recipient"] += "; matches the given email"


def check_validity(assertion: JSONDict, now: datetime, report: Report) -> None:
    try:
        issued = parse_time(assertion.get("issuedOn"), "issuedOn")
        if issued > now:
            report.fail("validity", f"issuedOn {assertion['issuedOn']} is in the future")
        if assertion.get("expires") is not None:
            expires = parse_time(assertion["expires"], "expires")
            if expires <= now:
                report.fail("validity", f"expired: expires {assertion['expires']} has passed")
    except CredentialError as exc:
        report.fail("validity", str(exc))
    until = f" until {assertion['expires']}" if assertion.get("expires") else ""
    report.passed["validity"] = (
        f"issued {assertion.get('issuedOn')}{until}; checked at {now.isoformat(timespec='seconds')}"
    )


def check_revocation_list(assertion_id: str, issuer: JSONDict, resolve: DocumentResolver) -> str:
    url = issuer.get("revocationList")
    if not isinstance(url, str):
        return ""
    listing = resolve(url)
    if listing is None:
        raise CredentialError(f"revocation list {url} could not be retrieved offline")
    for entry in listing.get("revokedAssertions") or []:
        entry_id = entry.get("id") if isinstance(entry, dict) else entry
        if entry_id == assertion_id:
            reason = entry.get("revocationReason") if isinstance(entry, dict) else None
            raise CredentialError(f"revoked ({reason or 'no reason given'})")
    return f"not in the revocation list {url}"
