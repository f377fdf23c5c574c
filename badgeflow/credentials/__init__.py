"""Open Badges 3.0 credentials: build, sign (eddsa-rdfc-2022), verify and bake.

Example:
    >>> unsigned = build_credential(credential_id=..., issuer=..., ...)  # doctest: +SKIP
    >>> signed = issue(unsigned, signer, created=issued_at)  # doctest: +SKIP
    >>> verify_credential(signed, did_documents={did: did_doc}, now=issued_at).verified
    True
"""

from __future__ import annotations

from badgeflow.credentials.bake import bake_png, unbake_png
from badgeflow.credentials.bake_svg import bake_svg, unbake_svg
from badgeflow.credentials.build import build_credential, identity_hash, normalise_email
from badgeflow.credentials.document_loader import (
    DocumentLoader,
    make_document_loader,
    strict_document_loader,
)
from badgeflow.credentials.keys import did_document, generate_key_file, load_private_key
from badgeflow.credentials.proof import canonicalize, issue
from badgeflow.credentials.signer import (
    Ed25519Signer,
    Signer,
    did_key_from_public_key,
    public_key_multibase,
)
from badgeflow.credentials.verify import VerificationResult, verify_credential

__all__ = [
    "DocumentLoader",
    "Ed25519Signer",
    "Signer",
    "VerificationResult",
    "bake_png",
    "bake_svg",
    "build_credential",
    "canonicalize",
    "did_document",
    "did_key_from_public_key",
    "generate_key_file",
    "identity_hash",
    "issue",
    "load_private_key",
    "make_document_loader",
    "normalise_email",
    "public_key_multibase",
    "strict_document_loader",
    "unbake_png",
    "unbake_svg",
    "verify_credential",
]
