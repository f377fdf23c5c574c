"""Is a delivery genuine? Each vendor's signature or shared-secret scheme, in constant time.

- ``hmac``, generic: ``X-Badgeflow-Timestamp: <unix seconds>`` and
  ``X-Badgeflow-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + raw body>``.
- ``hmac``, 360learning (the Standard Webhooks scheme): ``webhook-id``, ``webhook-timestamp``
  and ``webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>." + raw body>``,
  several space-separated while the sender rotates its secret; a ``whsec_`` secret is the
  base64 of the key.
- ``bearer``: ``Authorization: Bearer <secret>``; ``header``: the secret in a named header
  (Cornerstone's and Docebo's custom headers); ``query``: ``?token=<secret>``.

A timestamp further than the tolerance from the intake's clock is refused, so a captured
delivery cannot be replayed later; within the window a replay is a duplicate event id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "Verifier", "sign_generic", "sign_standard"]

TIMESTAMP_HEADER = "x-badgeflow-timestamp"
SIGNATURE_HEADER = "x-badgeflow-signature"


@dataclass(frozen=True)
class Verifier:
    """How one source's deliveries are authenticated.

    Attributes:
        auth: ``hmac``, ``bearer``, ``header`` or ``query``.
        vendor: the payload format; picks the hmac scheme (360learning or generic).
        secrets: the accepted secrets (current first, then the one being rotated out).
        header: the header holding the secret when ``auth == "header"``.
        tolerance: how far a signed timestamp may be from the intake's clock.
    """

    auth: str
    vendor: str
    secrets: tuple[str, ...]
    header: str = "x-badgeflow-token"
    tolerance: timedelta = timedelta(minutes=5)

    def __repr__(self) -> str:
        hidden = f"<{len(self.secrets)} hidden>"
        return f"Verifier(auth={self.auth!r}, vendor={self.vendor!r}, secrets={hidden})"

    def check(
        self, headers: Mapping[str, str], query: Mapping[str, str], body: bytes, now: datetime
    ) -> str | None:
        """Authenticate one delivery.

        Args:
            headers: request headers, names lower-cased.
            query: query parameters.
            body: the raw body, exactly as received.
            now: the intake's clock.

        Returns:
            None when genuine, else why not (safe to return to the caller: no secret in it).
        """
        if self.auth == "bearer":
            scheme, _, token = headers.get("authorization", "").partition(" ")
            return _match_token(token.strip() if scheme.lower() == "bearer" else "", self.secrets)
        if self.auth == "header":
            return _match_token(headers.get(self.header.lower(), ""), self.secrets)
        if self.auth == "query":
            return _match_token(query.get("token", ""), self.secrets)
        if self.vendor == "360learning":
            return self._check_standard(headers, body, now)
        return self._check_generic(headers, body, now)

    def _check_generic(self, headers: Mapping[str, str], body: bytes, now: datetime) -> str | None:
        stamp, signature = headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER)
        if not stamp or not signature:
            return f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header"
        late = _stale(stamp, now, self.tolerance)
        if late:
            return late
        given = signature.removeprefix("sha256=").strip().lower()
        for secret in self.secrets:
            if hmac.compare_digest(sign_generic(secret, stamp, body).encode(), given.encode()):
                return None
        return "signature does not match"

    def _check_standard(self, headers: Mapping[str, str], body: bytes, now: datetime) -> str | None:
        msg_id, stamp = headers.get("webhook-id"), headers.get("webhook-timestamp")
        signatures = headers.get("webhook-signature", "")
        if not msg_id or not stamp or not signatures:
            return "missing webhook-id, webhook-timestamp or webhook-signature header"
        late = _stale(stamp, now, self.tolerance)
        if late:
            return late
        given = [s.partition(",")[2].encode() for s in signatures.split() if s.startswith("v1,")]
        for secret in self.secrets:
            expected = sign_standard(secret, msg_id, stamp, body).encode()
            if any(hmac.compare_digest(expected, g) for g in given):
                return None
        return "signature does not match"


def sign_generic(secret: str, timestamp: str, body: bytes) -> str:
    """The generic event's signature: hex HMAC-SHA256 of ``"<timestamp>." + body``.

    Args:
        secret: the source's secret.
        timestamp: Unix seconds, as sent in ``X-Badgeflow-Timestamp``.
        body: the raw body.

    Returns:
        The lower-case hex digest (send it as ``sha256=<digest>``).
    """
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def sign_standard(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    """A Standard Webhooks (360Learning) ``v1`` signature: base64 HMAC-SHA256.

    Args:
        secret: the signing secret; ``whsec_<base64>`` is decoded to the key.
        msg_id: the ``webhook-id`` header.
        timestamp: the ``webhook-timestamp`` header (Unix seconds).
        body: the raw body.

    Returns:
        The base64 signature (sent as ``v1,<signature>``).
    """
    key = secret.encode()
    if secret.startswith("whsec_"):
        try:
            key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except binascii.Error:
            pass
    content = f"{msg_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def _match_token(given: str, secrets: Sequence[str]) -> str | None:
    if not given:
        return "missing credentials"
    hits = [hmac.compare_digest(given.encode(), s.encode()) for s in secrets]
    return None if any(hits) else "credentials do not match"


def _stale(stamp: str, now: datetime, tolerance: timedelta) -> str | None:
    try:
        sent = datetime.fromtimestamp(int(stamp), UTC)
    except (ValueError, OverflowError, OSError):
        return f"timestamp {stamp[:20]!r} is not Unix seconds"
    if abs(now - sent) > tolerance:
        return f"timestamp is more than {int(tolerance.total_seconds())} s from the intake's clock"
    return None
