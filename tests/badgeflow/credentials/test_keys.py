"""The issuer key file and the DID document."""

from __future__ import annotations

import stat

import pytest

from badgeflow.credentials.keys import did_document, generate_key_file, load_private_key
from badgeflow.credentials.signer import Ed25519Signer, public_key_multibase
from badgeflow.errors import ConfigurationError

from .conftest import TEST_SEED


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_generated_key_file_is_private_and_encrypted(tmp_path):
    path = tmp_path / "keys" / "issuer.pem"
    generate_key_file(path, "correct horse")
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert b"BEGIN ENCRYPTED PRIVATE KEY" in path.read_bytes()
    key = load_private_key(path, "correct horse")
    assert len(public_key_multibase(key.public_key())) > 40


def test_unencrypted_key_file_without_passphrase(tmp_path):
    path = tmp_path / "issuer.pem"
    generate_key_file(path, None)
    assert b"BEGIN PRIVATE KEY" in path.read_bytes()
    assert _mode(path) == 0o600
    load_private_key(path, None)


def test_refuses_to_overwrite(tmp_path):
    path = tmp_path / "issuer.pem"
    generate_key_file(path, None)
    before = path.read_bytes()
    with pytest.raises(ConfigurationError, match="refusing to overwrite"):
        generate_key_file(path, None)
    assert path.read_bytes() == before


def test_wrong_passphrase(tmp_path):
    path = tmp_path / "issuer.pem"
    generate_key_file(path, "right")
    with pytest.raises(ConfigurationError, match="wrong passphrase"):
        load_private_key(path, "wrong")


def test_missing_passphrase_for_encrypted_key(tmp_path):
    path = tmp_path / "issuer.pem"
    generate_key_file(path, "right")
    with pytest.raises(ConfigurationError, match="set the passphrase"):
        load_private_key(path, None)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_private_key(tmp_path / "nope.pem", None)


def test_empty_passphrase_is_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="empty"):
        generate_key_file(tmp_path / "issuer.pem", "")


def test_did_document_lists_absolute_multikey_methods():
    did = "did:web:badges.example.edu"
    public_key = Ed25519Signer.from_seed(TEST_SEED).public_key
    document = did_document(did, [("key-1", public_key)])
    method_id = f"{did}#key-1"
    assert document == {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {
                "id": method_id,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": public_key_multibase(public_key),
            }
        ],
        "assertionMethod": [method_id],
        "authentication": [method_id],
    }
