"""Credentials signed by the fast path (hostile strings included) verify with Digital Bazaar."""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime

import pytest

from badgeflow.credentials.fast import BatchSigner
from badgeflow.credentials.keys import did_document
from badgeflow.credentials.signer import Ed25519Signer
from tests.badgeflow.credentials.fast.strategies import sample_credentials
from tests.interop.digitalbazaar import DID_WEB, KEY_1, verify_with_digitalbazaar

pytestmark = pytest.mark.slow

CREATED = datetime(2025, 3, 2, tzinfo=UTC)


def test_fast_signed_batch_verifies_with_digitalbazaar(tmp_path):
    signer = Ed25519Signer.from_seed(bytes(range(1, 33)), KEY_1)
    docs = sample_credentials(24, seed=7)
    for doc in docs:  # the harness resolves the issuer through did.json
        doc["issuer"]["id"] = DID_WEB
    with ProcessPoolExecutor(max_workers=2) as pool:
        texts = BatchSigner(signer, created=CREATED).sign_json(docs, executor=pool, chunk_size=5)
    paths = []
    for index, text in enumerate(texts):
        path = tmp_path / "credentials" / f"{index:02d}.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    did_json = tmp_path / "did.json"
    did_json.write_text(json.dumps(did_document(DID_WEB, [("key-1", signer.public_key)])))
    outcomes = verify_with_digitalbazaar(paths, [did_json], now="2025-06-01T00:00:00Z")
    assert len(outcomes) == len(docs)
    assert [o["error"] for o in outcomes if not o["verified"]] == []
