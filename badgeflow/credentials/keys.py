"""The issuer's key file (Ed25519, PKCS#8 PEM) and the DID document that publishes its keys."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from badgeflow.credentials.jws import JwsPrivateKey
from badgeflow.credentials.signer import public_key_multibase
from badgeflow.errors import ConfigurationError
from badgeflow.models import JSONDict

__all__ = [
    "DID_DOCUMENT_CONTEXT",
    "JSON_WEB_KEY_CONTEXT",
    "did_document",
    "generate_key_file",
    "load_pem_key",
    "load_private_key",
    "write_key_file",
]

DID_DOCUMENT_CONTEXT = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]

JSON_WEB_KEY_CONTEXT: JSONDict = {
    "JsonWebKey": "https://w3id.org/security#JsonWebKey",
    "publicKeyJwk": {"@id": "https://w3id.org/security#publicKeyJwk", "@type": "@json"},
}
"""Inline context for ``JsonWebKey`` methods: the two terms of ``https://w3id.org/security/jwk/v1``
that the DID document uses, with the same IRIs. Inline because neither our strict loader nor the
interop harness holds that context offline (``controller``, ``id`` and ``type`` come from the
DID context)."""


def generate_key_file(path: Path, passphrase: str | None) -> Ed25519PrivateKey:
    """Create a new Ed25519 key and write it as PKCS#8 PEM, readable by the owner only.

    Args:
        path: where to write the key; must not exist yet.
        passphrase: encrypts the PEM (best available scheme) when set; None stores it
            unencrypted.

    Returns:
        The new private key (for its public half; it is already on disk).

    Raises:
        ConfigurationError: the file already exists, or the passphrase is empty.
    """
    key = Ed25519PrivateKey.generate()
    write_key_file(path, key, passphrase)
    return key


def write_key_file(
    path: Path, key: Ed25519PrivateKey | JwsPrivateKey, passphrase: str | None
) -> None:
    """Write a private key (Ed25519, or RSA/EC for JOSE) as PKCS#8 PEM, owner-only, flushed.

    The parent folder is created with mode 0700 if missing; the file gets mode 0600 from
    the moment it exists (it is opened with those permissions, never chmod-ed afterwards).

    Args:
        path: where to write the key; must not exist yet.
        key: the private key.
        passphrase: encrypts the PEM (best available scheme) when set; None stores it
            unencrypted.

    Raises:
        ConfigurationError: the file already exists, or the passphrase is empty.
    """
    if passphrase == "":
        raise ConfigurationError("an empty key passphrase is not allowed; use None for none")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    encryption = (
        BestAvailableEncryption(passphrase.encode("utf-8")) if passphrase else NoEncryption()
    )
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, encryption)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise ConfigurationError(f"key file {path} already exists; refusing to overwrite") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())


def load_private_key(path: Path, passphrase: str | None) -> Ed25519PrivateKey:
    """Read the issuer's Ed25519 key from a PKCS#8 PEM file.

    Args:
        path: the key file.
        passphrase: the passphrase it was encrypted with, or None.

    Returns:
        The private key.

    Raises:
        ConfigurationError: the file is missing or unreadable, the passphrase is wrong or
            missing, or the key is not Ed25519.
    """
    key = load_pem_key(path, passphrase)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"signing key file {path} does not hold an Ed25519 key")
    return key


def load_pem_key(path: Path, passphrase: str | None) -> PrivateKeyTypes:
    """Read a private key of any type from a PKCS#8 PEM file (callers check the type).

    Args:
        path: the key file.
        passphrase: the passphrase it was encrypted with, or None.

    Returns:
        The private key.

    Raises:
        ConfigurationError: the file is missing or unreadable, or the passphrase is wrong
            or missing.
    """
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read signing key file {path}: {exc.strerror}") from exc
    secret = passphrase.encode("utf-8") if passphrase else None
    try:
        key = load_pem_private_key(pem, password=secret)
    except TypeError as exc:
        hint = "is encrypted: set the passphrase" if secret is None else "is not encrypted"
        raise ConfigurationError(f"signing key file {path} {hint}") from exc
    except ValueError as exc:
        raise ConfigurationError(
            f"cannot load signing key file {path}: wrong passphrase or not a PEM key"
        ) from exc
    return key


def did_document(
    did: str,
    keys: Sequence[tuple[str, Ed25519PublicKey]],
    *,
    jose_methods: Sequence[JSONDict] = (),
) -> JSONDict:
    """Build the DID document (``did.json``) publishing the issuer's keys as Multikeys.

    Args:
        did: the DID the document describes (``did:web:...``), controller of every key.
        keys: ``(key_id, public_key)`` pairs; the method id is ``f"{did}#{key_id}"``.
        jose_methods: ``JsonWebKey`` verification methods (VC-JWT and OB 2.0 keys, from
            `JoseKeyring.verification_methods`), listed under ``verificationMethod`` and
            ``assertionMethod`` only; the context then gains `JSON_WEB_KEY_CONTEXT`.

    Returns:
        A DID document with absolute verification method ids; the Ed25519 keys are listed
        under both ``assertionMethod`` (signing credentials) and ``authentication``.
    """
    methods = [
        {
            "id": f"{did}#{key_id}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": public_key_multibase(public_key),
        }
        for key_id, public_key in keys
    ]
    method_ids = [method["id"] for method in methods]
    context: list[Any] = list(DID_DOCUMENT_CONTEXT)
    if jose_methods:
        context.append(dict(JSON_WEB_KEY_CONTEXT))
    return {
        "@context": context,
        "id": did,
        "verificationMethod": methods + [dict(m) for m in jose_methods],
        "assertionMethod": method_ids + [str(m["id"]) for m in jose_methods],
        "authentication": list(method_ids),
    }
