"""BatchSigner / BatchVerifier give exactly what `issue` / `verify_credential` give."""

from __future__ import annotations

import copy
import json
import pickle
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from badgeflow.credentials import Ed25519Signer, did_document, issue, verify_credential
from badgeflow.credentials.fast import (
    BatchSigner,
    BatchVerifier,
    FastCanonicalizer,
    credential_json,
)
from badgeflow.errors import CredentialError, UndefinedTermError

from .strategies import ISSUER_DID, credentials, sample_credentials

CREATED = datetime(2025, 3, 2, 9, 30, tzinfo=UTC)
SIGNER = Ed25519Signer.from_seed(bytes(range(32)), f"{ISSUER_DID}#key-1")
DID_DOCUMENTS = {ISSUER_DID: did_document(ISSUER_DID, [("key-1", SIGNER.public_key)])}
# One canonicaliser for the whole module: shapes compile once, as in a long batch.
CANON = FastCanonicalizer()
HYPOTHESIS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference_json(doc, *, proof_as_array=False):
    signed = issue(doc, SIGNER, created=CREATED, proof_as_array=proof_as_array)
    return json.dumps(signed, indent=2, ensure_ascii=False) + "\n"


@HYPOTHESIS
@given(st.lists(credentials(), min_size=1, max_size=3))
def test_fast_signing_is_byte_identical_to_the_reference(docs):
    signer = BatchSigner(SIGNER, created=CREATED, canonicalizer=CANON)
    assert signer.sign_json(docs) == [reference_json(doc) for doc in docs]
    assert signer.sign(docs) == [issue(doc, SIGNER, created=CREATED) for doc in docs]


def test_proof_as_array_matches_the_reference_in_process_and_pool():
    docs = sample_credentials(12)
    signer = BatchSigner(SIGNER, created=CREATED, proof_as_array=True)
    expected = [reference_json(doc, proof_as_array=True) for doc in docs]
    assert signer.sign_json(docs) == expected
    with ProcessPoolExecutor(max_workers=2) as pool:
        assert signer.sign_json(docs, executor=pool, chunk_size=5) == expected
    [first] = signer.sign(docs[:1])
    assert isinstance(first["proof"], list) and len(first["proof"]) == 1
    # The array form signs the same bytes: only the container differs.
    [single] = BatchSigner(SIGNER, created=CREATED).sign(docs[:1])
    assert first["proof"] == [single["proof"]]
    result = verify_credential(first, did_documents=DID_DOCUMENTS, now=CREATED)
    assert result.verified, result.errors


def test_mixed_shapes_in_one_batch_keep_their_order(unsigned):
    variants = []
    for index in range(12):
        doc = copy.deepcopy(unsigned)
        doc["id"] = f"urn:uuid:00000000-0000-4000-8000-{index:012d}"
        if index % 2:
            del doc["credentialSubject"]["result"]
        if index % 3 == 0:
            doc["credentialSubject"]["achievement"]["tag"] = ["t"] * (index % 4 + 1)
        if index % 4 == 1:
            doc.pop("evidence")
        variants.append(doc)
    canon = FastCanonicalizer()
    signed = BatchSigner(SIGNER, created=CREATED, canonicalizer=canon).sign(variants)
    assert signed == [issue(doc, SIGNER, created=CREATED) for doc in variants]
    assert canon.stats.fast > 0


def test_colliding_first_degree_hashes_fall_back_to_the_reference(unsigned):
    # Two identical evidence entries are two blank nodes with the same first-degree hash:
    # RDFC-1.0 needs its N-degree step, which only the reference path runs.
    doc = copy.deepcopy(unsigned)
    doc["evidence"] = [{"type": ["Evidence"], "narrative": "same"}] * 2
    canon = FastCanonicalizer()
    signed = BatchSigner(SIGNER, created=CREATED, canonicalizer=canon).sign([doc])
    assert signed == [issue(doc, SIGNER, created=CREATED)]
    assert canon.stats.reference == 1
    other = copy.deepcopy(doc)
    other["evidence"] = [
        {"type": ["Evidence"], "narrative": "one"},
        {"type": ["Evidence"], "narrative": "two"},
    ]
    assert BatchSigner(SIGNER, created=CREATED, canonicalizer=canon).sign([other]) == [
        issue(other, SIGNER, created=CREATED)
    ]
    assert canon.stats.fast >= 1  # same shape, distinct hashes: the template serves it


def test_quads_made_equal_by_their_values_count_once(unsigned):
    doc = copy.deepcopy(unsigned)
    doc["evidence"] = [{"type": ["Evidence"], "narrative": "a", "name": ["x", "x"]}]
    doc["credentialSubject"]["achievement"]["tag"] = ["same", "same", "other"]
    assert BatchSigner(SIGNER, created=CREATED, canonicalizer=FastCanonicalizer()).sign([doc]) == [
        issue(doc, SIGNER, created=CREATED)
    ]


def test_process_pool_gives_what_the_process_gives():
    docs = sample_credentials(40)
    signer = BatchSigner(SIGNER, created=CREATED)
    with ProcessPoolExecutor(max_workers=2) as pool:
        pooled = signer.sign_json(docs, executor=pool, chunk_size=7)
        verified = BatchVerifier(did_documents=DID_DOCUMENTS, now=CREATED).verify(
            [json.loads(text) for text in pooled], executor=pool, chunk_size=9
        )
    assert pooled == signer.sign_json(docs)
    assert pooled[:3] == [reference_json(doc) for doc in docs[:3]]
    assert all(result.verified for result in verified)


def test_undefined_terms_are_still_refused(unsigned):
    signer = BatchSigner(SIGNER, created=CREATED, canonicalizer=FastCanonicalizer())
    signer.sign([unsigned])  # the shape is compiled and known clean
    for where in (unsigned, unsigned["credentialSubject"]):
        doc = copy.deepcopy(unsigned)
        target = doc if where is unsigned else doc["credentialSubject"]
        target["favouriteColour"] = "blue"
        with pytest.raises(UndefinedTermError):
            signer.sign([doc])
    doc = copy.deepcopy(unsigned)
    doc["type"] = ["VerifiableCredential", "MadeUpCredential"]
    with pytest.raises(UndefinedTermError):
        signer.sign([doc])


def test_a_relative_id_is_refused_like_the_reference(unsigned):
    doc = {**unsigned, "id": "not-absolute"}
    with pytest.raises(CredentialError) as reference:
        issue(doc, SIGNER, created=CREATED)
    with pytest.raises(CredentialError) as fast:
        BatchSigner(SIGNER, created=CREATED, canonicalizer=FastCanonicalizer()).sign([doc])
    assert str(fast.value) == str(reference.value)


def test_a_signed_credential_is_refused(unsigned):
    signed = issue(unsigned, SIGNER, created=CREATED)
    with pytest.raises(CredentialError, match="already has a proof"):
        BatchSigner(SIGNER, created=CREATED).sign([signed])


def test_the_signer_pickles_to_the_same_key():
    clone = pickle.loads(pickle.dumps(SIGNER))
    assert clone.verification_method == SIGNER.verification_method
    assert clone.sign(b"data") == SIGNER.sign(b"data")


@pytest.mark.parametrize(
    "value",
    [87.5, 1e-05, 1e16, 2**70, -(2**63), "\ud800", {"nested": [1.0, None, True]}],
)
def test_credential_json_is_json_dumps(value):
    doc = {"a": value, "b": ["x\u2028", "\x00\x1f\x7f"]}
    assert credential_json(doc) == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _tampered_and_odd(signed):
    expired = copy.deepcopy(signed[0])
    expired["validUntil"] = "2025-03-01T00:00:00Z"
    altered = copy.deepcopy(signed[1])
    altered["name"] = "Something else"
    stranger = issue(
        {k: v for k, v in signed[2].items() if k != "proof"},
        Ed25519Signer.from_seed(bytes(32), f"{ISSUER_DID}#key-1"),
        created=CREATED,
    )
    no_proof = {k: v for k, v in signed[3].items() if k != "proof"}
    undefined = copy.deepcopy(signed[4])
    undefined["credentialSubject"]["madeUp"] = 1
    bad_type = copy.deepcopy(signed[5])
    bad_type["proof"]["cryptosuite"] = "ecdsa-rdfc-2019"
    return [expired, altered, stranger, no_proof, undefined, bad_type]


def test_batch_verification_gives_the_reference_verdicts():
    docs = sample_credentials(12, seed=1)
    signed = BatchSigner(SIGNER, created=CREATED).sign(docs)
    batch = signed + _tampered_and_odd(signed)
    for now in (CREATED, CREATED + timedelta(days=4000)):
        fast = BatchVerifier(did_documents=DID_DOCUMENTS, now=now).verify(batch)
        reference = [verify_credential(doc, did_documents=DID_DOCUMENTS, now=now) for doc in batch]
        assert fast == reference
    assert [result.verified for result in fast[:12]].count(True) >= 1


def test_hostile_strings_take_the_fast_path():
    canon = FastCanonicalizer()
    docs = sample_credentials(30, seed=2)
    assert BatchSigner(SIGNER, created=CREATED, canonicalizer=canon).sign(docs) == [
        issue(doc, SIGNER, created=CREATED) for doc in docs
    ]
    assert (canon.stats.fast, canon.stats.reference) == (31, 0)  # 30 credentials + 1 proof
