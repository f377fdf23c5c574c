"""JOSE keys: creation, rotation, the public manifest, file modes, the DID document."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pyld import jsonld

from badgeflow.credentials import did_document, make_document_loader
from badgeflow.credentials.jose_keys import RSA_BITS, JoseKeyring, read_jose_manifest
from badgeflow.credentials.jws import public_key_from_jwk, sign_compact, verify_compact
from badgeflow.credentials.keyring import Keyring
from badgeflow.credentials.keys import write_key_file
from badgeflow.errors import ConfigurationError
from badgeflow.site._documents import check_public

from .conftest import ISSUER_DID, reference_path

T0 = datetime(2025, 1, 1, tzinfo=UTC)
T1 = T0 + timedelta(days=90)
PASS = "correct horse"


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """One keyring with both algorithms (RSA generation is slow: made once, read-only)."""
    keys_dir = tmp_path_factory.mktemp("both") / "keys"
    return keys_dir, JoseKeyring.ensure(keys_dir, PASS, now=T0)


@pytest.fixture
def keys_dir(tmp_path):
    return tmp_path / "var" / "keys"


@pytest.fixture
def ring(keys_dir):
    return JoseKeyring.ensure(keys_dir, PASS, now=T0, algs=("ES256",))


def test_ensure_makes_an_rsa_3072_and_a_p256_key_in_private_encrypted_files(both):
    keys_dir, ring = both
    rsa_key, ec_key = ring.current("RS256"), ring.current("ES256")
    assert (rsa_key.key_id, ec_key.key_id) == ("rsa-1", "p256-1")
    assert isinstance(rsa_key.private_key, rsa.RSAPrivateKey)
    assert rsa_key.private_key.key_size == RSA_BITS == 3072
    assert isinstance(ec_key.private_key, ec.EllipticCurvePrivateKey)
    assert rsa_key.created == ec_key.created == T0
    folder = keys_dir / "jose"
    assert _mode(keys_dir) == _mode(folder) == 0o700
    for name in ("rsa-1.pem", "p256-1.pem"):
        assert _mode(folder / name) == 0o600
        assert b"BEGIN ENCRYPTED PRIVATE KEY" in (folder / name).read_bytes()


def test_manifest_and_repr_never_hold_private_material(both):
    keys_dir, ring = both
    text = (keys_dir / "jose" / "jose.json").read_text()
    check_public(json.loads(text), "the JOSE manifest")  # the site builder's own guard
    private = ring.current("ES256").private_key.private_numbers().private_value
    for leaked in ("PRIVATE", PASS, '"d"'):
        assert leaked not in text
    assert str(private) not in text
    assert "PRIVATE" not in repr(ring) and "private" not in repr(ring.current("RS256"))


def test_verification_methods_are_absolute_json_web_keys_that_verify(both):
    _, ring = both
    methods = ring.verification_methods(ISSUER_DID)
    assert [m["id"] for m in methods] == [f"{ISSUER_DID}#rsa-1", f"{ISSUER_DID}#p256-1"]
    assert {m["type"] for m in methods} == {"JsonWebKey"}
    assert {m["controller"] for m in methods} == {ISSUER_DID}
    assert methods[0]["publicKeyJwk"]["kty"] == "RSA"
    assert methods[1]["publicKeyJwk"] == {"kty": "EC", "crv": "P-256"} | {
        k: methods[1]["publicKeyJwk"][k] for k in ("x", "y")
    }
    for method, alg in zip(methods, ("RS256", "ES256"), strict=True):
        token = sign_compact({"a": 1}, ring.current(alg).private_key, kid=method["id"])
        verify_compact(token, public_key_from_jwk(method["publicKeyJwk"]))


def test_ensure_is_idempotent_and_only_adds_missing_algorithms(ring, keys_dir):
    again = JoseKeyring.ensure(keys_dir, PASS, now=T1, algs=("ES256",))
    assert again.records == ring.records
    with pytest.raises(ConfigurationError, match="keys rotate --alg RS256"):
        ring.current("RS256")


def test_rotation_retires_the_previous_key_and_keeps_it_published(ring, keys_dir):
    assert ring.rotate("ES256", T1) == "p256-2"
    records = read_jose_manifest(keys_dir)
    assert [(r.key_id, r.retired_at) for r in records] == [("p256-1", T1), ("p256-2", None)]
    reloaded = JoseKeyring.load(keys_dir, PASS)
    assert reloaded.current("ES256").key_id == "p256-2" == ring.current("ES256").key_id
    assert [m["id"] for m in reloaded.verification_methods(ISSUER_DID)] == [
        f"{ISSUER_DID}#p256-1",
        f"{ISSUER_DID}#p256-2",
    ]


def test_ids_are_never_reused_even_after_a_rotation_that_died_half_way(ring, keys_dir):
    write_key_file(keys_dir / "jose" / "p256-2.pem", ec.generate_private_key(ec.SECP256R1()), PASS)
    assert JoseKeyring.load(keys_dir, PASS).current("ES256").key_id == "p256-1"
    assert ring.rotate("ES256", T1) == "p256-3"


def test_keys_changed_by_another_process_are_not_overwritten(ring, keys_dir):
    JoseKeyring.load(keys_dir, PASS).rotate("ES256", T1)
    with pytest.raises(ConfigurationError, match="changed since loading"):
        ring.rotate("ES256", T1)


def test_wrong_passphrase_other_readers_and_mismatched_files_are_refused(ring, keys_dir):
    with pytest.raises(ConfigurationError, match="wrong passphrase"):
        JoseKeyring.load(keys_dir, "battery staple")
    path = keys_dir / "jose" / "p256-1.pem"
    os.chmod(path, 0o640)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        JoseKeyring.load(keys_dir, PASS)
    path.unlink()
    write_key_file(path, ec.generate_private_key(ec.SECP256R1()), PASS)
    with pytest.raises(ConfigurationError, match="does not hold the public key"):
        JoseKeyring.load(keys_dir, PASS)


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m.update(version=2),
        lambda m: m["current"].update(ES256="p256-9"),
        lambda m: m["keys"].append(dict(m["keys"][0])),
        lambda m: m["keys"][0].update(alg="RS256"),
        lambda m: m["keys"][0]["public_jwk"].update(d="AAAA"),
        lambda m: m["keys"][0].update(created="2025-01-01T00:00:00"),
    ],
    ids=["version", "current", "duplicate", "wrong-alg", "private-jwk", "naive-time"],
)
def test_an_inconsistent_manifest_is_a_configuration_error(ring, keys_dir, edit):
    path = keys_dir / "jose" / "jose.json"
    manifest = json.loads(path.read_text())
    edit(manifest)
    path.write_text(json.dumps(manifest))
    with pytest.raises(ConfigurationError, match="JOSE key manifest .* is invalid"):
        JoseKeyring.load(keys_dir, PASS)


def test_no_keys_says_to_run_init_and_times_must_be_aware(keys_dir):
    with pytest.raises(ConfigurationError, match="badgeflow init"):
        JoseKeyring.load(keys_dir, PASS)
    with pytest.raises(ValueError, match="timezone-aware"):
        JoseKeyring.ensure(keys_dir, PASS, now=datetime(2025, 6, 1))


def test_the_did_document_lists_jose_keys_beside_the_ed25519_keys(both, tmp_path):
    _, jose = both
    ed = Keyring.create(tmp_path / "ed", PASS, now=T0)
    methods = jose.verification_methods(ISSUER_DID)
    document = did_document(ISSUER_DID, ed.public_keys(), jose_methods=methods)
    ids = [m["id"] for m in document["verificationMethod"]]
    assert ids == [f"{ISSUER_DID}#{k}" for k in ("key-1", "rsa-1", "p256-1")]
    assert document["assertionMethod"] == ids
    assert document["authentication"] == [f"{ISSUER_DID}#key-1"]
    assert document["@context"][:2] == did_document(ISSUER_DID, ed.public_keys())["@context"]
    assert document["@context"][2]["JsonWebKey"] == "https://w3id.org/security#JsonWebKey"
    check_public(document, "the DID document")


def test_the_did_document_with_json_web_keys_expands_as_json_ld_offline(both, tmp_path):
    """Every term is defined: nothing is dropped in safe mode, the JWK stays a JSON literal."""
    _, jose = both
    ed = Keyring.create(tmp_path / "ed", PASS, now=T0)
    document = did_document(
        ISSUER_DID, ed.public_keys(), jose_methods=jose.verification_methods(ISSUER_DID)
    )
    multikey = json.loads(reference_path("contexts/multikey-v1.jsonld").read_text())
    loader = make_document_loader({"https://w3id.org/security/multikey/v1": multikey})
    [expanded] = jsonld.expand(document, {"documentLoader": loader, "safeMode": True})
    methods = expanded["https://w3id.org/security#verificationMethod"]
    assert [m["@type"] for m in methods] == [
        ["https://w3id.org/security#Multikey"],
        ["https://w3id.org/security#JsonWebKey"],
        ["https://w3id.org/security#JsonWebKey"],
    ]
    jwks = [m["https://w3id.org/security#publicKeyJwk"][0] for m in methods[1:]]
    assert [j["@value"] for j in jwks] == [
        m["publicKeyJwk"] for m in document["verificationMethod"][1:]
    ]
