"""The Digital Bazaar verifier harness (interop/) accepts good proofs and rejects bad ones."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.interop.digitalbazaar import (
    DID_WEB,
    KEY_1,
    REFERENCE_DIR,
    NodeHarnessError,
    controller_document,
    ed25519_multikey,
    ensure_node_modules,
    run_verifier,
    sample_ob3_credential,
    sign_with_digitalbazaar,
    verify_with_digitalbazaar,
)

pytestmark = pytest.mark.slow

W3C_VECTOR = REFERENCE_DIR / "vectors" / "eddsa-rdfc-2022" / "w3c" / "signedDataInt.json"
VALIDATOR_SIMPLE = REFERENCE_DIR / "examples" / "ob30" / "validator" / "simple.json"


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def _keypair() -> tuple[bytes, str]:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes_raw(), ed25519_multikey(key.public_key().public_bytes_raw())


# (a)/(b) W3C vc-di-eddsa vector, did:key verification method -----------------------------


def test_w3c_vector_proof_verifies():
    [outcome] = verify_with_digitalbazaar([W3C_VECTOR], [], proof_only=True, extra_contexts=True)
    assert outcome == {**outcome, "verified": True, "error": None}


def test_w3c_vector_full_check_rejects_issuer_that_is_not_the_key_controller():
    # The vector's issuer is https://vc.example/issuers/5678 but its key is a did:key, so
    # vc.verifyCredential's CredentialIssuancePurpose refuses it: the proof itself is fine.
    [outcome] = verify_with_digitalbazaar([W3C_VECTOR], [], extra_contexts=True)
    assert outcome["verified"] is False
    assert "issuer must match the verification method controller" in outcome["error"]


def test_tampered_w3c_vector_fails_with_exit_1(tmp_path):
    tampered = json.loads(W3C_VECTOR.read_text(encoding="utf-8"))
    tampered["credentialSubject"]["alumniOf"] = "The School of Forgery"
    code, [outcome], _ = run_verifier(
        [_write(tmp_path / "t.json", tampered)], [], proof_only=True, extra_contexts=True
    )
    assert code == 1
    assert outcome["verified"] is False
    assert "Invalid signature" in outcome["error"]


# (c) 1EdTech validator example: https issuer, key in the verificationMethod fragment -------


def test_validator_simple_verifies_with_a_controller_document_built_from_the_fragment(tmp_path):
    credential = json.loads(VALIDATOR_SIMPLE.read_text(encoding="utf-8"))
    method_id = credential["proof"][0]["verificationMethod"]
    controller, multibase = method_id.split("#")
    doc = _write(tmp_path / "issuer.json", controller_document(controller, method_id, multibase))
    [outcome] = verify_with_digitalbazaar([VALIDATOR_SIMPLE], [doc])
    assert outcome["verified"] is True, outcome["error"]


def test_validator_simple_without_controller_document_is_not_fetched():
    [outcome] = verify_with_digitalbazaar([VALIDATOR_SIMPLE], [])
    assert outcome["verified"] is False
    assert "is not pinned" in outcome["error"]


# did:web: Digital Bazaar signs, the harness resolves the key from did.json --------------


@pytest.fixture(scope="module")
def did_web_site(tmp_path_factory) -> Path:
    """A tiny site: .well-known/did.json plus one DB-signed credential."""
    site = tmp_path_factory.mktemp("site")
    seed, multibase = _keypair()
    _write(site / ".well-known" / "did.json", controller_document(DID_WEB, KEY_1, multibase))
    signed = sign_with_digitalbazaar(
        sample_ob3_credential(DID_WEB),
        seed=seed,
        verification_method=KEY_1,
        created="2024-05-01T00:00:00Z",
    )
    _write(site / "credentials" / "python-foundations.json", signed)
    return site


def test_db_signed_proof_has_the_expected_shape(did_web_site):
    signed = json.loads((did_web_site / "credentials" / "python-foundations.json").read_text())
    proof = signed["proof"]
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["verificationMethod"] == KEY_1
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["proofValue"].startswith("z")


def test_did_web_credential_verifies(did_web_site):
    outcomes = verify_with_digitalbazaar(
        [did_web_site / "credentials"], [did_web_site / ".well-known" / "did.json"]
    )
    assert [(Path(o["file"]).name, o["verified"], o["error"]) for o in outcomes] == [
        ("python-foundations.json", True, None)
    ]


def test_did_web_credential_with_relative_method_ids_verifies(did_web_site, tmp_path):
    doc = json.loads((did_web_site / ".well-known" / "did.json").read_text())
    doc["verificationMethod"][0]["id"] = "#key-1"
    doc["assertionMethod"] = [KEY_1]
    [outcome] = verify_with_digitalbazaar(
        [did_web_site / "credentials"], [_write(tmp_path / "did.json", doc)]
    )
    assert outcome["verified"] is True, outcome["error"]


def test_did_web_credential_fails_against_another_key(did_web_site, tmp_path):
    _, other = _keypair()
    doc = _write(tmp_path / "did.json", controller_document(DID_WEB, KEY_1, other))
    [outcome] = verify_with_digitalbazaar([did_web_site / "credentials"], [doc])
    assert outcome["verified"] is False
    assert "Invalid signature" in outcome["error"]


def test_did_web_credential_fails_when_key_is_not_an_assertion_method(did_web_site, tmp_path):
    doc = json.loads((did_web_site / ".well-known" / "did.json").read_text())
    doc["assertionMethod"] = []
    [outcome] = verify_with_digitalbazaar(
        [did_web_site / "credentials"], [_write(tmp_path / "did.json", doc)]
    )
    assert outcome["verified"] is False
    assert "not authorized by controller" in outcome["error"]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda c: c["credentialSubject"]["achievement"].update(name="X"), id="name"),
        pytest.param(lambda c: c.update(validFrom="2024-05-02T00:00:00Z"), id="validFrom"),
        pytest.param(lambda c: c["proof"].update(created="2024-05-02T00:00:00Z"), id="created"),
    ],
)
def test_tampered_did_web_credential_fails(did_web_site, tmp_path, tamper):
    credential = json.loads((did_web_site / "credentials" / "python-foundations.json").read_text())
    tampered = copy.deepcopy(credential)
    tamper(tampered)
    good = did_web_site / "credentials" / "python-foundations.json"
    bad = _write(tmp_path / "tampered.json", tampered)
    code, outcomes, _ = run_verifier([good, bad], [did_web_site / ".well-known" / "did.json"])
    assert code == 1
    assert [o["verified"] for o in outcomes] == [True, False]


def test_validity_window_is_checked_against_now(did_web_site):
    [outcome] = verify_with_digitalbazaar(
        [did_web_site / "credentials"],
        [did_web_site / ".well-known" / "did.json"],
        now="2024-04-01T00:00:00Z",
    )
    assert outcome["verified"] is False
    assert 'before "validFrom"' in outcome["error"]


# command line ------------------------------------------------------------------------------


def test_usage_error_exits_2():
    code, lines, stderr = run_verifier([], [])
    assert (code, lines) == (2, [])
    assert "usage:" in stderr


def test_usage_error_raises_from_helper(tmp_path):
    with pytest.raises(NodeHarnessError, match="exited 2"):
        verify_with_digitalbazaar([tmp_path / "missing.json"], [])


def test_missing_npm_fails_clearly(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(NodeHarnessError, match="not on PATH"):
        ensure_node_modules()
