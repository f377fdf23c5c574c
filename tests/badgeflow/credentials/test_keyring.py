"""The keyring: creation, rotation, the public manifest, legacy key files, file modes."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from badgeflow.credentials import did_document, issue, verify_credential
from badgeflow.credentials.keyring import Keyring, LegacyKey, ensure_keyring, read_manifest
from badgeflow.credentials.keys import generate_key_file
from badgeflow.credentials.signer import secret_key_multibase
from badgeflow.errors import ConfigurationError
from badgeflow.site._documents import check_public

from .conftest import ISSUED_AT, ISSUER_DID

T0 = datetime(2025, 1, 1, tzinfo=UTC)
T1 = T0 + timedelta(days=90)
PASS = "correct horse"


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def keys_dir(tmp_path):
    return tmp_path / "var" / "keys"


@pytest.fixture
def ring(keys_dir):
    return Keyring.create(keys_dir, PASS, now=T0)


def test_create_writes_an_encrypted_private_key_file_and_a_private_folder(ring, keys_dir):
    assert ring.current.key_id == "key-1"
    key_file = keys_dir / "key-1.pem"
    assert _mode(keys_dir) == 0o700
    assert _mode(key_file) == 0o600
    assert b"BEGIN ENCRYPTED PRIVATE KEY" in key_file.read_bytes()
    assert read_manifest(keys_dir) == ring.records


def test_manifest_never_holds_private_material(ring, keys_dir):
    ring.rotate(T1)
    text = (keys_dir / "keyring.json").read_text()
    check_public(json.loads(text), "the manifest")  # the site builder's own guard
    reloaded = Keyring.load(keys_dir, PASS)
    secret = secret_key_multibase(reloaded._key)
    seed = reloaded._key.private_bytes_raw()
    for leaked in (secret, secret[1:], seed.hex(), "PRIVATE", PASS):
        assert leaked not in text
    assert set(json.loads(text)) == {"version", "current", "keys"}
    assert {k for entry in json.loads(text)["keys"] for k in entry} == {
        "id",
        "public_key_multibase",
        "created",
        "retired_at",
        "file",
    }
    assert PASS not in repr(reloaded) and PASS not in repr(reloaded.signer(ISSUER_DID))


def test_rotation_keeps_every_key_in_the_did_document_with_absolute_ids(ring, keys_dir):
    first = ring.current
    assert ring.rotate(T1) == "key-2"
    assert ring.rotate(T1 + timedelta(days=1)) == "key-3"
    records = {r.key_id: r for r in read_manifest(keys_dir)}
    assert records["key-1"] == replace(first, retired_at=T1)
    assert records["key-3"].retired_at is None and ring.current.key_id == "key-3"
    assert _mode(keys_dir / "key-2.pem") == _mode(keys_dir / "key-3.pem") == 0o600

    document = did_document(ISSUER_DID, ring.public_keys())
    ids = [method["id"] for method in document["verificationMethod"]]
    assert ids == [f"{ISSUER_DID}#key-{n}" for n in (1, 2, 3)]
    assert document["assertionMethod"] == ids
    assert [m["publicKeyMultibase"] for m in document["verificationMethod"]] == [
        r.public_key_multibase for r in ring.records
    ]


def test_credential_signed_before_a_rotation_verifies_after_it(ring, keys_dir, unsigned):
    before = issue(unsigned, ring.signer(ISSUER_DID), created=ISSUED_AT)
    ring.rotate(T1)
    rotated = Keyring.load(keys_dir, PASS)  # the next run
    after = issue(unsigned, rotated.signer(ISSUER_DID), created=ISSUED_AT)
    assert before["proof"]["verificationMethod"] == f"{ISSUER_DID}#key-1"
    assert after["proof"]["verificationMethod"] == f"{ISSUER_DID}#key-2"
    documents = {ISSUER_DID: did_document(ISSUER_DID, rotated.public_keys())}
    for signed in (before, after):
        result = verify_credential(signed, did_documents=documents, now=ISSUED_AT)
        assert result.verified, result.errors
    # ... and a document that forgot the retired key would not do.
    current_only = {ISSUER_DID: did_document(ISSUER_DID, rotated.public_keys()[1:])}
    assert not verify_credential(before, did_documents=current_only, now=ISSUED_AT).verified


def test_ids_are_never_reused_even_after_a_rotation_that_died_half_way(ring, keys_dir):
    # A crash after the key file was written but before the manifest named it.
    generate_key_file(keys_dir / "key-2.pem", PASS)
    assert Keyring.load(keys_dir, PASS).current.key_id == "key-1"
    assert ring.rotate(T1) == "key-3"


def test_a_keyring_changed_by_another_process_is_not_overwritten(ring, keys_dir):
    other = Keyring.load(keys_dir, PASS)
    other.rotate(T1)
    with pytest.raises(ConfigurationError, match="changed since it was loaded"):
        ring.rotate(T1)
    assert [r.key_id for r in read_manifest(keys_dir)] == ["key-1", "key-2"]


def test_wrong_or_missing_passphrase_is_a_clear_configuration_error(ring, keys_dir):
    with pytest.raises(ConfigurationError, match="wrong passphrase"):
        Keyring.load(keys_dir, "battery staple")
    with pytest.raises(ConfigurationError, match="set the passphrase"):
        Keyring.load(keys_dir, None)


def test_a_key_file_others_can_read_is_refused(ring, keys_dir):
    os.chmod(keys_dir / "key-1.pem", 0o640)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        Keyring.load(keys_dir, PASS)


def test_a_key_file_that_does_not_match_the_manifest_is_refused(ring, keys_dir):
    (keys_dir / "key-1.pem").unlink()
    generate_key_file(keys_dir / "key-1.pem", PASS)
    with pytest.raises(ConfigurationError, match="does not hold the public key"):
        Keyring.load(keys_dir, PASS)


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m.update(version=2),
        lambda m: m.update(current="key-9"),
        lambda m: m["keys"].append(dict(m["keys"][0])),
        lambda m: m["keys"][0].update(public_key_multibase="z123"),
        lambda m: m["keys"][0].update(created="2025-01-01T00:00:00"),
        lambda m: m.pop("keys"),
    ],
    ids=["version", "current", "duplicate", "bad-key", "naive-time", "no-keys"],
)
def test_an_inconsistent_manifest_is_a_configuration_error(ring, keys_dir, edit):
    path = keys_dir / "keyring.json"
    manifest = json.loads(path.read_text())
    edit(manifest)
    path.write_text(json.dumps(manifest))
    with pytest.raises(ConfigurationError, match="keyring manifest .* is invalid"):
        Keyring.load(keys_dir, PASS)


def test_no_keyring_says_to_run_init(keys_dir):
    with pytest.raises(ConfigurationError, match="badgeflow init"):
        Keyring.load(keys_dir, PASS, legacy=LegacyKey(keys_dir / "issuer.pem", "key-1"))
    with pytest.raises(ConfigurationError, match="already holds a keyring"):
        Keyring.create(keys_dir, PASS, now=T0)
        Keyring.create(keys_dir, PASS, now=T0)


def test_times_must_be_aware(ring, tmp_path):
    with pytest.raises(ValueError, match="timezone-aware"):
        ring.rotate(datetime(2025, 6, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        Keyring.create(tmp_path / "other", PASS, now=datetime(2025, 6, 1))


def test_a_legacy_key_file_is_used_in_place_then_adopted(keys_dir, unsigned):
    legacy = LegacyKey(keys_dir / "issuer-ed25519.pem", "key-1")
    generate_key_file(legacy.path, PASS)
    ring = Keyring.load(keys_dir, PASS, legacy=legacy)
    assert (ring.saved, ring.current.key_id) == (False, "key-1")
    assert read_manifest(keys_dir) is None  # loading never writes
    before = issue(unsigned, ring.signer(ISSUER_DID), created=ISSUED_AT)

    adopted, outcome = ensure_keyring(keys_dir, PASS, legacy=legacy, now=T0)
    assert outcome == "adopted"
    assert [r.file for r in read_manifest(keys_dir)] == ["issuer-ed25519.pem"]
    assert sorted(p.name for p in keys_dir.glob("*.pem")) == ["issuer-ed25519.pem"]
    assert ensure_keyring(keys_dir, PASS, legacy=legacy, now=T0)[1] == "kept"

    assert adopted.rotate(T1) == "key-2"
    documents = {ISSUER_DID: did_document(ISSUER_DID, adopted.public_keys())}
    assert verify_credential(before, did_documents=documents, now=ISSUED_AT).verified


def test_rotating_a_legacy_key_writes_the_manifest(tmp_path, keys_dir):
    legacy = LegacyKey(tmp_path / "elsewhere" / "issuer.pem", "main")
    generate_key_file(legacy.path, PASS)
    ring = Keyring.load(keys_dir, PASS, legacy=legacy)
    assert ring.rotate(T1) == "key-1"  # "main" is not numbered: numbering starts at 1
    records = read_manifest(keys_dir)
    assert [(r.key_id, r.file) for r in records] == [
        ("main", str(legacy.path.resolve())),
        ("key-1", "key-1.pem"),
    ]
    assert _mode(keys_dir) == 0o700
