"""A credential with alignment, evidence and an embedded endorsement, against Digital Bazaar."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from badgeflow.credentials.keys import did_document
from badgeflow.credentials.proof import issue
from badgeflow.credentials.signer import Ed25519Signer
from tests.badgeflow.credentials.conftest import ISSUED_AT
from tests.badgeflow.credentials.test_ob3_schema import ENDORSEMENT, demo_credential
from tests.interop.digitalbazaar import verify_with_digitalbazaar

pytestmark = pytest.mark.slow

ISSUER = "did:web:badges.example.edu"  # the DID demo_credential's issuer uses


@pytest.mark.parametrize("recipient", ["hashed_email", "did"])
def test_credential_with_alignment_and_endorsement_verifies(recipient, tmp_path: Path):
    signer = Ed25519Signer.from_seed(
        Ed25519PrivateKey.generate().private_bytes_raw(), f"{ISSUER}#key-1"
    )
    unsigned = demo_credential("data-applied", recipient)
    unsigned.pop("credentialStatus")  # no status list is served here
    badge = unsigned["credentialSubject"]["achievement"]
    assert badge["alignment"] and badge["endorsement"] and unsigned["evidence"]
    signed = issue(unsigned, signer, created=ISSUED_AT)
    (tmp_path / "credential.json").write_text(json.dumps(signed), encoding="utf-8")
    did_json = tmp_path / "did.json"
    did_json.write_text(json.dumps(did_document(ISSUER, [("key-1", signer.public_key)])))
    [outcome] = verify_with_digitalbazaar(
        [tmp_path / "credential.json"], [did_json], now="2025-06-01T00:00:00Z"
    )
    assert outcome["verified"] is True, outcome["error"]


def test_the_demo_endorsement_verifies(tmp_path: Path):
    endorsement = json.loads(ENDORSEMENT.read_text("utf-8"))
    created = datetime.fromisoformat(endorsement["proof"][0]["created"].replace("Z", "+00:00"))
    when = (created + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    (tmp_path / "endorsement.json").write_text(json.dumps(endorsement), encoding="utf-8")
    [outcome] = verify_with_digitalbazaar([tmp_path / "endorsement.json"], [], now=when)
    assert outcome["verified"] is True, outcome["error"]
