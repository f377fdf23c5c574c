"""Digital Bazaar's verifier across a key rotation, and with did:key issuers."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from badgeflow.credentials.keyring import Keyring
from badgeflow.credentials.keys import did_document
from badgeflow.credentials.proof import issue
from badgeflow.credentials.signer import did_key_from_public_key
from tests.interop.digitalbazaar import DID_WEB, sample_ob3_credential, verify_with_digitalbazaar

pytestmark = pytest.mark.slow

CREATED = datetime(2024, 5, 1, tzinfo=UTC)
ROTATED = datetime(2024, 6, 1, tzinfo=UTC)


def _write(path, document):
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_credential_signed_before_a_rotation_verifies_after_it(tmp_path):
    ring = Keyring.create(tmp_path / "keys", "pass", now=CREATED)
    before = issue(sample_ob3_credential(DID_WEB), ring.signer(DID_WEB), created=CREATED)
    ring.rotate(ROTATED)
    after = issue(sample_ob3_credential(DID_WEB), ring.signer(DID_WEB), created=ROTATED)
    assert after["proof"]["verificationMethod"] == f"{DID_WEB}#key-2"

    files = [_write(tmp_path / "before.json", before), _write(tmp_path / "after.json", after)]
    did_json = _write(tmp_path / "did.json", did_document(DID_WEB, ring.public_keys()))
    outcomes = verify_with_digitalbazaar(files, [did_json])
    assert [(o["verified"], o["error"]) for o in outcomes] == [(True, None), (True, None)]

    # The same check fails once the retired key is dropped from did.json.
    current_only = did_document(DID_WEB, ring.public_keys()[1:])
    [outcome] = verify_with_digitalbazaar([files[0]], [_write(did_json, current_only)])
    assert outcome["verified"] is False


def test_did_key_credentials_verify_across_a_rotation(tmp_path):
    ring = Keyring.create(tmp_path / "keys", "pass", now=CREATED)
    files = []
    for name, when in (("before", CREATED), ("after", ROTATED)):
        if name == "after":
            ring.rotate(when)
        issuer = did_key_from_public_key(ring.current.public_key)
        signed = issue(sample_ob3_credential(issuer), ring.signer(None), created=when)
        assert signed["proof"]["verificationMethod"].startswith(issuer + "#z6Mk")
        files.append(_write(tmp_path / f"{name}.json", signed))
    assert json.loads(files[0].read_text())["issuer"] != json.loads(files[1].read_text())["issuer"]
    outcomes = verify_with_digitalbazaar(files, [])
    assert [(o["verified"], o["error"]) for o in outcomes] == [(True, None), (True, None)]
