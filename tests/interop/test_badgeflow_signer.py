"""badgeflow's own signer (Python, pyld) against Digital Bazaar's verifier and issuer."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from badgeflow.credentials.keys import did_document
from badgeflow.credentials.proof import issue
from badgeflow.credentials.signer import Ed25519Signer
from tests.interop.digitalbazaar import (
    DID_WEB,
    KEY_1,
    sample_ob3_credential,
    sign_with_digitalbazaar,
    verify_with_digitalbazaar,
)

pytestmark = pytest.mark.slow

CREATED = datetime(2024, 5, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def seed() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes_raw()


def test_badgeflow_signed_credential_verifies_with_digitalbazaar(seed, tmp_path):
    signer = Ed25519Signer.from_seed(seed, KEY_1)
    signed = issue(sample_ob3_credential(DID_WEB), signer, created=CREATED)
    credential = tmp_path / "credential.json"
    credential.write_text(json.dumps(signed), encoding="utf-8")
    did_json = tmp_path / "did.json"
    did_json.write_text(json.dumps(did_document(DID_WEB, [("key-1", signer.public_key)])))
    [outcome] = verify_with_digitalbazaar([credential], [did_json])
    assert outcome["verified"] is True, outcome["error"]


def test_badgeflow_and_digitalbazaar_produce_the_same_proof(seed):
    # Ed25519 is deterministic: same key, document and proof options => same proofValue.
    ours = issue(
        sample_ob3_credential(DID_WEB), Ed25519Signer.from_seed(seed, KEY_1), created=CREATED
    )
    theirs = sign_with_digitalbazaar(
        sample_ob3_credential(DID_WEB),
        seed=seed,
        verification_method=KEY_1,
        created="2024-05-01T00:00:00Z",
    )
    assert ours["proof"] == theirs["proof"]
    assert ours == theirs
