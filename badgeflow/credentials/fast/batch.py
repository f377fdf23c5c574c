"""Batch signing and verification on compiled templates, optionally across processes.

`BatchSigner.sign` returns exactly what `proof.issue` returns for each document (same dicts,
same ``proofValue``), and `BatchVerifier.verify` exactly what `verify.verify_credential`
returns: both run the reference code with the template-based hash in place of pyld.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from datetime import datetime
from hashlib import sha256
from itertools import repeat
from typing import Any, Final, TypeVar

import orjson

from badgeflow.credentials.document_loader import DocumentLoader, strict_document_loader
from badgeflow.credentials.fast.canon import FastCanonicalizer, shared_canonicalizer
from badgeflow.credentials.fast.extract import may_hold_float
from badgeflow.credentials.fast.shape import freeze
from badgeflow.credentials.proof import combine, proof_config
from badgeflow.credentials.signer import Signer, multibase_encode
from badgeflow.credentials.verify import VerificationResult, verify_credential
from badgeflow.errors import CredentialError
from badgeflow.models import JSONDict

__all__ = ["DEFAULT_CHUNK_SIZE", "BatchSigner", "BatchVerifier", "credential_json"]

DEFAULT_CHUNK_SIZE: Final = 500
"""Documents per task sent to a process pool (large enough to amortise the pickling)."""

_OPTIONS_KEYS: Final = 8  # proof options: type, cryptosuite, created, method, purpose, @context
_OPTIONS_MAX: Final = 1024
_T = TypeVar("_T")
_R = TypeVar("_R")


def credential_json(signed: JSONDict, *, floats: bool = True) -> str:
    """Serialise a credential as the pipeline stores it: indent 2, raw UTF-8, final LF.

    The text equals ``json.dumps(signed, indent=2, ensure_ascii=False)`` plus LF. orjson
    writes the same bytes for strings (every code point checked), integers and the layout,
    twenty times faster; a document holding a float (``1e-05`` vs ``0.00001``), an integer
    beyond 64 bits or a lone surrogate goes through `json` instead.

    Args:
        signed: the credential.
        floats: False when the caller knows no float sits in ``signed`` (skips a scan).
    """
    if not (floats and may_hold_float(signed)):
        try:
            return orjson.dumps(signed, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"
        except (TypeError, orjson.JSONEncodeError):
            pass
    return json.dumps(signed, indent=2, ensure_ascii=False) + "\n"


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _spread(
    executor: Executor,
    work: Callable[..., list[_R]],
    fixed: tuple[Any, ...],
    items: Sequence[Any],
    size: int,
) -> list[_R]:
    results: list[_R] = []
    for part in executor.map(work, *(repeat(arg) for arg in fixed), _chunks(items, size)):
        results.extend(part)
    return results


class BatchSigner:
    """Sign many credentials with one key and one ``created`` time, as `proof.issue` would.

    Example:
        >>> signer = BatchSigner(runtime.signer, created=issued_at)  # doctest: +SKIP
        >>> documents = signer.sign_json(unsigned_credentials)  # doctest: +SKIP
    """

    def __init__(
        self,
        signer: Signer,
        *,
        created: datetime,
        loader: DocumentLoader = strict_document_loader,
        canonicalizer: FastCanonicalizer | None = None,
        proof_as_array: bool = False,
    ) -> None:
        """Prepare a batch.

        Args:
            signer: holds the key and names its verification method.
            created: the proofs' ``created`` time (aware datetime).
            loader: the document loader; the strict offline loader by default.
            canonicalizer: the template cache; by default this process's one for ``loader``.
            proof_as_array: write ``proof`` as a one-element array, as
                ``issue(..., proof_as_array=True)`` does.
        """
        self.signer = signer
        self.created = created
        self.loader = loader
        self.canonicalizer = canonicalizer or shared_canonicalizer(loader)
        self.proof_as_array = proof_as_array
        self._proofs: dict[Any, tuple[JSONDict, bytes]] = {}

    def sign(self, docs: Sequence[JSONDict]) -> list[JSONDict]:
        """Sign each unsigned credential; the result equals ``issue(doc, signer, created=...)``.

        Raises:
            CredentialError: as `proof.issue`, for the first document it refuses.
        """
        return [self._sign_one(doc)[0] for doc in docs]

    def sign_json(
        self,
        docs: Sequence[JSONDict],
        *,
        executor: Executor | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> list[str]:
        """Sign each credential and serialise it with `credential_json`.

        Args:
            docs: the unsigned credentials.
            executor: a process pool to spread the chunks over (the signer and the loader
                must then pickle: `Ed25519Signer` and `strict_document_loader` do).
            chunk_size: documents per pool task.

        Returns:
            The signed credentials as JSON text, in input order.

        Raises:
            CredentialError: as `proof.issue`, for the first document it refuses.
        """
        if executor is None:
            out = []
            for doc in docs:
                signed, floats = self._sign_one(doc)
                out.append(credential_json(signed, floats=floats))
            return out
        fixed = (self.signer, self.created, self.loader, self.proof_as_array)
        return _spread(executor, _sign_chunk, fixed, docs, chunk_size)

    def _sign_one(self, doc: JSONDict) -> tuple[JSONDict, bool]:
        """Return the signed document and whether a float may sit in it."""
        if "proof" in doc:
            raise CredentialError("credential already has a proof; sign the unsigned document")
        # The proof options differ between documents only by their @context: build and hash
        # them once per context (`proof_config` + `attach_proof` would give the same proof).
        context = doc["@context"]
        context_key = context if type(context) is str else freeze(context)
        cached = self._proofs.get(context_key)
        if cached is None:  # in `issue`'s order: options, document hash, options hash
            config = proof_config(
                doc, verification_method=self.signer.verification_method, created=self.created
            )
            text, floats = self.canonicalizer.canonical_form(doc)
            proof = {key: value for key, value in config.items() if key != "@context"}
            cached = self._proofs[context_key] = (proof, self.canonicalizer.hash(config))
        else:
            text, floats = self.canonicalizer.canonical_form(doc)
        proof, proof_hash = cached
        signature = self.signer.sign(combine(proof_hash, sha256(text.encode("utf-8")).digest()))
        signed_proof = {**proof, "proofValue": multibase_encode(signature)}
        signed = {**doc, "proof": [signed_proof] if self.proof_as_array else signed_proof}
        return signed, floats


def _sign_chunk(
    signer: Signer,
    created: datetime,
    loader: DocumentLoader,
    proof_as_array: bool,
    docs: Sequence[JSONDict],
) -> list[str]:
    signer_ = BatchSigner(signer, created=created, loader=loader, proof_as_array=proof_as_array)
    return signer_.sign_json(docs)


class BatchVerifier:
    """Verify many credentials as `verify.verify_credential` would, with template hashing.

    Example:
        >>> verifier = BatchVerifier(did_documents={did: did_doc}, now=now)  # doctest: +SKIP
        >>> results = verifier.verify(docs)  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        did_documents: Mapping[str, JSONDict],
        now: datetime,
        loader: DocumentLoader = strict_document_loader,
        canonicalizer: FastCanonicalizer | None = None,
    ) -> None:
        """Prepare a batch.

        Args:
            did_documents: DID documents (or controller documents) keyed by DID / URL.
            now: the time to check ``validFrom``/``validUntil`` against (aware datetime).
            loader: the JSON-LD document loader; the strict offline loader by default.
            canonicalizer: the template cache; by default this process's one for ``loader``.
        """
        self._options: dict[tuple[Any, ...], bytes] = {}
        self.did_documents = dict(did_documents)
        self.now = now
        self.loader = loader
        self.canonicalizer = canonicalizer or shared_canonicalizer(loader)

    def verify(
        self,
        docs: Sequence[JSONDict],
        *,
        executor: Executor | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> list[VerificationResult]:
        """Verify each signed credential; each result equals `verify_credential`'s.

        Args:
            docs: the signed credentials.
            executor: a process pool to spread the chunks over (the loader must pickle).
            chunk_size: documents per pool task.

        Raises:
            ValueError: ``now`` is naive.
        """
        if executor is not None:
            fixed = (self.did_documents, self.now, self.loader)
            return _spread(executor, _verify_chunk, fixed, docs, chunk_size)
        return [
            verify_credential(
                doc,
                did_documents=self.did_documents,
                now=self.now,
                loader=self.loader,
                hasher=self._hash,
            )
            for doc in docs
        ]

    def _hash(self, doc: JSONDict) -> bytes:
        # Proof options repeat across a batch: a small document of string (or string list)
        # values is hashed once. Its canonical form depends on nothing else.
        key = _options_key(doc)
        if key is None:
            return self.canonicalizer.hash(doc)
        digest = self._options.get(key)
        if digest is None:
            if len(self._options) >= _OPTIONS_MAX:
                self._options.clear()
            digest = self._options[key] = self.canonicalizer.hash(doc)
        return digest


def _options_key(doc: JSONDict) -> tuple[Any, ...] | None:
    if len(doc) > _OPTIONS_KEYS:
        return None
    key: list[Any] = []
    for name, value in doc.items():
        if type(value) is list and all(type(item) is str for item in value):
            value = tuple(value)
        elif type(value) is not str:
            return None
        key += (name, value)
    return tuple(key)


def _verify_chunk(
    did_documents: Mapping[str, JSONDict],
    now: datetime,
    loader: DocumentLoader,
    docs: Sequence[JSONDict],
) -> list[VerificationResult]:
    return BatchVerifier(did_documents=did_documents, now=now, loader=loader).verify(docs)
