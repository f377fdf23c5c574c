"""Open Badges 2.0 for systems still on 2.0: hosted and signed (JWS) assertions, verification."""

from __future__ import annotations

from badgeflow.credentials.ob2.documents import (
    OB2_CONTEXT,
    Alignment,
    assertion,
    badge_class,
    cryptographic_key,
    issuer_profile,
    recipient_identity,
    revocation_list,
    revoked_assertion,
    sign_assertion,
)
from badgeflow.credentials.ob2.verify import (
    OB2_CHECK_NAMES,
    DocumentResolver,
    is_ob2,
    site_resolver,
    verify_ob2,
)

__all__ = [
    "OB2_CHECK_NAMES",
    "OB2_CONTEXT",
    "Alignment",
    "DocumentResolver",
    "assertion",
    "badge_class",
    "cryptographic_key",
    "is_ob2",
    "issuer_profile",
    "recipient_identity",
    "revocation_list",
    "revoked_assertion",
    "sign_assertion",
    "site_resolver",
    "verify_ob2",
]
