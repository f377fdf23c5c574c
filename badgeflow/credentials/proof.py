"""The eddsa-rdfc-2022 Data Integrity pipeline as small pure steps.

Signing (VC-DI-EdDSA §3.3, checked against the W3C and 1EdTech vectors)::

    doc_hash   = sha256(RDFC-1.0 canonical N-Quads of the credential without proof)
    proof_hash = sha256(RDFC-1.0 canonical N-Quads of the proof options + the doc's @context)
    signature  = Ed25519(proof_hash ‖ doc_hash)          # proof hash FIRST
    proofValue = "z" + base58btc(signature)

`canonicalize` refuses documents that would not be fully signed: pyld silently drops
properties no context defines and triples whose IRIs stay relative (an undefined ``type``
value), so those raise `UndefinedTermError` / `CredentialError` instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
import weakref
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Final

import pyld.nquads
from pyld import ContextResolver, jsonld

from badgeflow.credentials.document_loader import DocumentLoader, strict_document_loader
from badgeflow.credentials.signer import Signer, multibase_encode
from badgeflow.errors import ContextNotPinned, CredentialError, UndefinedTermError
from badgeflow.models import JSONDict

__all__ = [
    "CRYPTOSUITE",
    "PROOF_TYPE",
    "attach_proof",
    "canonicalize",
    "combine",
    "format_datetime",
    "hash_document",
    "issue",
    "proof_config",
]

PROOF_TYPE: Final = "DataIntegrityProof"
CRYPTOSUITE: Final = "eddsa-rdfc-2022"

# RDFC-1.0 writes literals in canonical N-Quads form (RDF 1.2 N-Triples canonical form): the
# quote, the backslash and BS, HT, LF, FF, CR as ECHAR (backslash + one of `"\\btnfr`); the other
# C0 controls and DEL as UCHAR with upper-case hex (backslash-u000B); anything else unescaped.
# rdf-canonize 5 (Digital Bazaar, behind jsonld.js and vc.js) does exactly this. pyld 3.3.0 only
# escapes backslash, quote, HT, LF and CR, so a literal with BS, FF or another control character
# would hash differently and could even get other blank-node labels (labels come from hashing
# serialised quads). We swap in a conforming escape function while our normalisation runs.
_ECHARS: Final = {
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
    '"': '\\"',
    "\\": "\\\\",
}
_RDFC_ESCAPE_RE: Final = re.compile(r'[\x00-\x1f\x7f"\\]')
_ESCAPE_LOCK: Final = threading.Lock()


def _escape_char(match: re.Match[str]) -> str:
    char = match.group(0)
    return _ECHARS.get(char) or f"\\u{ord(char):04X}"


def _rdfc_escape(value: str) -> str:
    return _RDFC_ESCAPE_RE.sub(_escape_char, value)


@contextlib.contextmanager
def _rdfc_escaping() -> Iterator[None]:
    with _ESCAPE_LOCK:
        original = pyld.nquads.escape
        pyld.nquads.escape = _rdfc_escape
        try:
            yield
        finally:
            pyld.nquads.escape = original


# One resolved-context cache per loader (pyld's default is one per process, keyed by URL only,
# which would let a context served by one loader answer for another).
_RESOLVER_CACHES: Final[weakref.WeakKeyDictionary[DocumentLoader, dict[str, Any]]] = (
    weakref.WeakKeyDictionary()
)
_RESOLVER_CACHE_MAX: Final = 256


def _context_resolver(loader: DocumentLoader) -> Any:
    cache = _RESOLVER_CACHES.setdefault(loader, {})
    if len(cache) > _RESOLVER_CACHE_MAX:
        cache.clear()
    return ContextResolver(cache, loader)


def _is_absolute_iri(value: str) -> bool:
    return value.startswith("_:") or ":" in value


def _relative_iris(node: Any, types: list[str], ids: list[str]) -> None:
    """Collect @type and @id values of an expanded document that stayed relative."""
    if isinstance(node, list):
        for item in node:
            _relative_iris(item, types, ids)
        return
    if not isinstance(node, dict):
        return
    if "@value" in node:
        datatype = node.get("@type")
        if isinstance(datatype, str) and datatype != "@json" and not _is_absolute_iri(datatype):
            types.append(datatype)
        return
    for type_value in node.get("@type", []):
        if not _is_absolute_iri(type_value):
            types.append(type_value)
    node_id = node.get("@id")
    if isinstance(node_id, str) and not _is_absolute_iri(node_id):
        ids.append(node_id)
    for key, value in node.items():
        if key not in ("@type", "@id", "@context"):
            _relative_iris(value, types, ids)


def _context_not_pinned(exc: BaseException) -> ContextNotPinned | None:
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, ContextNotPinned):
            return current
        current = current.__cause__ or current.__context__
    return None


def canonicalize(doc: JSONDict, *, loader: DocumentLoader = strict_document_loader) -> str:
    """Canonicalise a JSON-LD document to RDFC-1.0 (URDNA2015) N-Quads.

    Args:
        doc: the JSON-LD document (a credential without ``proof``, or proof options).
        loader: the document loader; the strict offline loader by default.

    Returns:
        The canonical N-Quads, one quad per line, each ending in LF.

    Raises:
        UndefinedTermError: a property or type is not defined by the document's contexts.
        ContextNotPinned: the document uses a context the loader does not hold.
        CredentialError: the document is not valid JSON-LD or has relative node ids.
    """
    dropped: list[str] = []
    processor = jsonld.JsonLdProcessor(on_property_dropped=lambda prop: dropped.append(str(prop)))
    # base None: relative IRIs stay relative (as in jsonld.js) instead of being resolved
    # against pyld's made-up default base, so we can find and reject them.
    options: dict[str, Any] = {
        "documentLoader": loader,
        "base": None,
        "contextResolver": _context_resolver(loader),
    }
    try:
        expanded = processor.expand(doc, options)
        types: list[str] = []
        ids: list[str] = []
        _relative_iris(expanded, types, ids)
        if dropped or types:
            raise UndefinedTermError(dropped + types)
        if ids:
            raise CredentialError(f"node ids must be absolute IRIs, got {sorted(set(ids))}")
        with _rdfc_escaping():
            nquads = processor.normalize(
                expanded,
                {**options, "algorithm": "URDNA2015", "format": "application/n-quads"},
            )
    except jsonld.JsonLdError as exc:
        not_pinned = _context_not_pinned(exc)
        if not_pinned is not None:
            raise ContextNotPinned(not_pinned.url) from exc
        raise CredentialError(f"not valid JSON-LD: {exc}") from exc
    return str(nquads)


def hash_document(doc: JSONDict, *, loader: DocumentLoader = strict_document_loader) -> bytes:
    """Return SHA-256 of the document's canonical N-Quads (UTF-8).

    Raises:
        CredentialError: see `canonicalize`.
    """
    return hashlib.sha256(canonicalize(doc, loader=loader).encode("utf-8")).digest()


def format_datetime(value: datetime) -> str:
    """Format an aware datetime as ``YYYY-MM-DDTHH:MM:SSZ`` in UTC.

    Raises:
        ValueError: the datetime is naive.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetimes in credentials must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def proof_config(
    doc: JSONDict,
    *,
    verification_method: str,
    created: datetime,
    proof_purpose: str = "assertionMethod",
) -> JSONDict:
    """Build the proof options that get canonicalised and hashed (no ``proofValue``).

    Args:
        doc: the unsigned credential; its ``@context`` is copied into the options.
        verification_method: absolute URL of the public key.
        created: when the proof is made (aware datetime).
        proof_purpose: the proof purpose; credentials use ``assertionMethod``.

    Returns:
        The proof configuration, ``@context`` included.
    """
    return {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": format_datetime(created),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
        "@context": doc["@context"],
    }


def combine(proof_hash: bytes, doc_hash: bytes) -> bytes:
    """Return the bytes to sign: the proof hash FIRST, then the document hash."""
    return proof_hash + doc_hash


def attach_proof(
    doc: JSONDict, config: JSONDict, signature: bytes, *, as_array: bool = False
) -> JSONDict:
    """Return a copy of ``doc`` with the proof made from ``config`` and ``signature``.

    Args:
        doc: the unsigned credential (not modified).
        config: the proof configuration from `proof_config`.
        signature: the 64-byte Ed25519 signature over `combine`'s output.
        as_array: write ``proof`` as a one-element array (what the OB 3.0 JSON Schemas
            require) instead of one object (the W3C test vectors' form). The signature is
            the same either way: ``proof`` is not part of the signed data.

    Returns:
        A new credential dict with ``proof`` set (``proofValue`` = ``z`` + base58btc).
    """
    proof = {key: value for key, value in config.items() if key != "@context"}
    proof["proofValue"] = multibase_encode(signature)
    return {**doc, "proof": [proof] if as_array else proof}


def issue(
    unsigned: JSONDict,
    signer: Signer,
    *,
    created: datetime,
    loader: DocumentLoader = strict_document_loader,
    proof_as_array: bool = False,
) -> JSONDict:
    """Sign a credential with an eddsa-rdfc-2022 DataIntegrityProof.

    Example:
        >>> signed = issue(build_credential(...), signer, created=issued_at)  # doctest: +SKIP

    Args:
        unsigned: the credential, without ``proof``.
        signer: holds the key and names its verification method.
        created: the proof's ``created`` time (the clock comes in as a parameter).
        loader: the document loader; the strict offline loader by default.
        proof_as_array: write ``proof`` as a one-element array (see `attach_proof`).

    Returns:
        A new dict: the credential with its ``proof``.

    Raises:
        CredentialError: the credential already has a proof, or does not canonicalise
            (`UndefinedTermError`, `ContextNotPinned`).
    """
    if "proof" in unsigned:
        raise CredentialError("credential already has a proof; sign the unsigned document")
    config = proof_config(unsigned, verification_method=signer.verification_method, created=created)
    doc_hash = hash_document(unsigned, loader=loader)
    proof_hash = hash_document(config, loader=loader)
    signature = signer.sign(combine(proof_hash, doc_hash))
    return attach_proof(unsigned, config, signature, as_array=proof_as_array)
