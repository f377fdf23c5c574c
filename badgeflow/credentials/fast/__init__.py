"""The fast signing and verification path: shape templates instead of per-document pyld.

`proof.issue` canonicalises every credential with pyld (~10 ms). Credentials of one *shape*
(same keys, array lengths, types and contexts) differ only in values, so each shape is
canonicalised once by that reference pipeline with sentinel values and kept as an N-Quads
template; a new credential fills in its values and gets its blank-node labels recomputed
(`template.Template`). Whatever the templates do not model goes through the reference path.

Example:
    >>> signed = BatchSigner(signer, created=issued_at).sign(unsigned_credentials)  # doctest: +SKIP
    >>> BatchVerifier(did_documents=docs, now=now).verify(signed)  # doctest: +SKIP
"""

from __future__ import annotations

from badgeflow.credentials.fast.batch import (
    DEFAULT_CHUNK_SIZE,
    BatchSigner,
    BatchVerifier,
    credential_json,
)
from badgeflow.credentials.fast.canon import CanonStats, FastCanonicalizer, shared_canonicalizer

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "BatchSigner",
    "BatchVerifier",
    "CanonStats",
    "FastCanonicalizer",
    "credential_json",
    "shared_canonicalizer",
]
