"""The eddsa-rdfc-2022 pipeline against the W3C and 1EdTech vectors, step by step."""

# ruff: noqa: E501  (canonical N-Quads lines of the published vectors are kept whole)

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime

import pytest

from badgeflow.credentials.document_loader import make_document_loader
from badgeflow.credentials.proof import (
    attach_proof,
    canonicalize,
    combine,
    hash_document,
    issue,
    proof_config,
)
from badgeflow.credentials.signer import Ed25519Signer, multibase_encode, private_key_from_multibase
from badgeflow.errors import ContextNotPinned, CredentialError, UndefinedTermError

from .conftest import reference_path

# --- W3C vc-di-eddsa test vector (TestVectors/eddsa-rdfc-2022, facts from the public spec) ---
W3C_SECRET_KEY = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
W3C_METHOD = (
    "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    "#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
)
W3C_EXAMPLES_CONTEXT = {
    "https://www.w3.org/ns/credentials/examples/v2": {
        "@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}
    }
}
W3C_UNSIGNED = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
W3C_CREATED = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)
W3C_CANON_DOC = (
    '<did:example:abcdefgh> <https://www.w3.org/ns/credentials/examples#alumniOf> "The School of Examples" .\n'
    "<urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://www.w3.org/2018/credentials#VerifiableCredential> .\n"
    "<urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://www.w3.org/ns/credentials/examples#AlumniCredential> .\n"
    '<urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33> <https://schema.org/description> "A minimum viable example of an Alumni Credential." .\n'
    '<urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33> <https://schema.org/name> "Alumni Credential" .\n'
    "<urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33> <https://www.w3.org/2018/credentials#credentialSubject> <did:example:abcdefgh> .\n"
    "<urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33> <https://www.w3.org/2018/credentials#issuer> <https://vc.example/issuers/5678> .\n"
    '<urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33> <https://www.w3.org/2018/credentials#validFrom> "2023-01-01T00:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n'
)
W3C_DOC_HASH = "517744132ae165a5349155bef0bb0cf2258fff99dfe1dbd914b938d775a36017"
W3C_CANON_PROOF = (
    '_:c14n0 <http://purl.org/dc/terms/created> "2023-02-24T23:36:38Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n'
    "_:c14n0 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/security#DataIntegrityProof> .\n"
    '_:c14n0 <https://w3id.org/security#cryptosuite> "eddsa-rdfc-2022"^^<https://w3id.org/security#cryptosuiteString> .\n'
    "_:c14n0 <https://w3id.org/security#proofPurpose> <https://w3id.org/security#assertionMethod> .\n"
    f"_:c14n0 <https://w3id.org/security#verificationMethod> <{W3C_METHOD}> .\n"
)
W3C_PROOF_HASH = "bea7b7acfbad0126b135104024a5f1733e705108f42d59668b05c0c50004c6b0"
W3C_SIGNATURE = (
    "4d8e53c2d5b3f2a7891753eb16ca993325bdb0d3cfc5be1093d0a18426f5ef85"
    "78cadc0fd4b5f4dd0d1ce0aefd15ab120b7a894d0eb094ffda4e6553cd1ed50d"
)
W3C_PROOF_VALUE = (
    "z2YwC8z3ap7yx1nZYCg4L3j3ApHsF8kgPdSb5xoS1VR7vPG3F561B52hYnQF9iseabecm3ijx4K1FBTQsCZahKZme"
)

# --- 1EdTech OB 3.0 implementation guide test vector (linked-data-proof-ob.html) ------------
OB_SEED = bytes.fromhex("6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4")
OB_METHOD = "https://example.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
OB_CREDENTIAL = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    "id": "http://example.com/credentials/3527",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {
        "id": "https://example.edu/issuers/565049",
        "type": ["Profile"],
        "url": "https://www.imsglobal.org",
        "name": "Example Corp",
    },
    "validFrom": "2010-01-01T00:00:00Z",
    "name": "Teamwork Badge",
    "credentialSubject": {
        "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
        "type": ["AchievementSubject"],
        "achievement": {
            "id": "https://example.com/achievements/21st-century-skills/teamwork",
            "type": ["Achievement"],
            "criteria": {
                "narrative": "Team members are nominated for this badge by their peers and "
                "recognized upon review by Example Corp management."
            },
            "description": "This badge recognizes the development of the capacity to "
            "collaborate within a group environment.",
            "name": "Teamwork",
        },
    },
}
OB_CREATED = datetime(2010, 1, 1, 19, 23, 24, tzinfo=UTC)
OB_DOC_HASH = "87f65a76d40146205e3b3e06cb0fbd153f97f9ce70372390f52566bb7f9e0773"
OB_PROOF_HASH = "d34009cea0dbc1ca941e09dc01c8c9d3e3ce3c5b853f67ee44698dcea10f5d19"
OB_SIGNATURE = (
    "f7a017acf7d27983267ec362657c0fb08e955549f49dac5bf36a03c4f2c3a4f1"
    "e3738a6c5ecd7ffba7135cb9cd754e6196f4b73082ea8df8e703c8ecd4333503"
)
OB_PROOF_VALUE = (
    "z5x9aCBYovW3CQCbKdNyhEm7ffYSw1YpEdPywQJoNbzDD2gkzQDKJ1sYKJaWvqZtkMtSbz35HcbgXVEDYHxCzgkCr"
)


@pytest.fixture
def w3c_loader():
    return make_document_loader(W3C_EXAMPLES_CONTEXT)


def w3c_signer() -> Ed25519Signer:
    return Ed25519Signer(private_key_from_multibase(W3C_SECRET_KEY), W3C_METHOD)


def test_w3c_vector_step_by_step(w3c_loader):
    assert canonicalize(W3C_UNSIGNED, loader=w3c_loader) == W3C_CANON_DOC
    doc_hash = hash_document(W3C_UNSIGNED, loader=w3c_loader)
    assert doc_hash.hex() == W3C_DOC_HASH

    config = proof_config(W3C_UNSIGNED, verification_method=W3C_METHOD, created=W3C_CREATED)
    assert config == {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": W3C_METHOD,
        "proofPurpose": "assertionMethod",
        "@context": W3C_UNSIGNED["@context"],
    }
    assert canonicalize(config, loader=w3c_loader) == W3C_CANON_PROOF
    proof_hash = hash_document(config, loader=w3c_loader)
    assert proof_hash.hex() == W3C_PROOF_HASH

    combined = combine(proof_hash, doc_hash)
    assert combined.hex() == W3C_PROOF_HASH + W3C_DOC_HASH
    signature = w3c_signer().sign(combined)
    assert signature.hex() == W3C_SIGNATURE
    assert multibase_encode(signature) == W3C_PROOF_VALUE
    assert attach_proof(W3C_UNSIGNED, config, signature)["proof"]["proofValue"] == W3C_PROOF_VALUE


def test_w3c_vector_issue_matches_signed_document(w3c_loader):
    signed = issue(W3C_UNSIGNED, w3c_signer(), created=W3C_CREATED, loader=w3c_loader)
    assert signed["proof"] == {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": W3C_METHOD,
        "proofPurpose": "assertionMethod",
        "proofValue": W3C_PROOF_VALUE,
    }
    assert "proof" not in W3C_UNSIGNED  # issue returns a new dict


def test_default_loader_does_not_carry_the_examples_context():
    with pytest.raises(ContextNotPinned) as caught:
        canonicalize(W3C_UNSIGNED)
    assert caught.value.url == "https://www.w3.org/ns/credentials/examples/v2"


def test_examples_context_served_once_does_not_leak_into_strict_loads(w3c_loader):
    canonicalize(W3C_UNSIGNED, loader=w3c_loader)
    with pytest.raises(ContextNotPinned):
        canonicalize(W3C_UNSIGNED)


def test_1edtech_ob30_vector_with_the_project_context():
    canon = canonicalize(OB_CREDENTIAL)
    published = reference_path("vectors/eddsa-rdfc-2022/1edtech-ob30/document-canon.txt")
    assert canon == published.read_text(encoding="utf-8")
    assert hashlib.sha256(canon.encode()).hexdigest() == OB_DOC_HASH

    config = proof_config(OB_CREDENTIAL, verification_method=OB_METHOD, created=OB_CREATED)
    proof_published = reference_path("vectors/eddsa-rdfc-2022/1edtech-ob30/proof-canon.txt")
    assert canonicalize(config) == proof_published.read_text(encoding="utf-8")
    assert hash_document(config).hex() == OB_PROOF_HASH

    signed = issue(OB_CREDENTIAL, Ed25519Signer.from_seed(OB_SEED, OB_METHOD), created=OB_CREATED)
    assert multibase_encode(bytes.fromhex(OB_SIGNATURE)) == OB_PROOF_VALUE
    assert signed["proof"]["proofValue"] == OB_PROOF_VALUE


def test_validator_simple_json_derived_canonical_form():
    simple = json.loads(reference_path("examples/ob30/validator/simple.json").read_text("utf-8"))
    unsigned = {key: value for key, value in simple.items() if key != "proof"}
    derived = reference_path(
        "vectors/eddsa-rdfc-2022/derived/validator-simple.document-canon.DERIVED.nq"
    )
    assert canonicalize(unsigned) == derived.read_text(encoding="utf-8")


def test_undefined_property_is_refused(unsigned):
    doc = copy.deepcopy(unsigned)
    doc["credentialSubject"]["favouriteColour"] = "green"
    with pytest.raises(UndefinedTermError) as caught:
        canonicalize(doc)
    assert caught.value.terms == ["favouriteColour"]


def test_undefined_type_is_refused(unsigned):
    doc = copy.deepcopy(unsigned)
    doc["type"].append("FancyBadge")
    with pytest.raises(UndefinedTermError, match="FancyBadge"):
        canonicalize(doc)


def test_relative_node_id_is_refused(unsigned):
    doc = copy.deepcopy(unsigned)
    doc["credentialSubject"]["id"] = "learners/42"
    with pytest.raises(CredentialError, match="absolute IRIs"):
        canonicalize(doc)


def test_unpinned_context_is_refused(unsigned):
    doc = copy.deepcopy(unsigned)
    doc["@context"].append("https://example.org/contexts/extra.json")
    with pytest.raises(ContextNotPinned, match="extra.json"):
        canonicalize(doc)


# rdf-canonize 5.0.0 (Digital Bazaar; RDFC-1.0 canonical N-Quads), via jsonld.js 9.0.0
# `canonize(doc, {algorithm: "RDFC-1.0", format: "application/n-quads", safe: true})`:
# quote, backslash, BS, HT, LF, FF, CR as ECHAR, other C0 controls and DEL as \uXXXX.
ESCAPE_DOC = {
    "@context": {"@vocab": "http://ex.org/"},
    "a": {"b": "x\ty\b\f", "d": 'q"\\t\n\r\x0b\x00\x7f\x1f é'},
    "c": "tab\there\\t",
}
ESCAPE_EXPECTED = (
    "_:c14n0 <http://ex.org/a> _:c14n1 .\n"
    '_:c14n0 <http://ex.org/c> "tab\\there\\\\t" .\n'
    '_:c14n1 <http://ex.org/b> "x\\ty\\b\\f" .\n'
    '_:c14n1 <http://ex.org/d> "q\\"\\\\t\\n\\r\\u000B\\u0000\\u007F\\u001F é" .\n'
)


def test_literal_escaping_follows_rdfc_canonical_nquads():
    assert canonicalize(ESCAPE_DOC) == ESCAPE_EXPECTED


def test_pyld_escaping_is_restored_afterwards():
    import pyld.nquads

    canonicalize(ESCAPE_DOC)
    assert pyld.nquads.escape("\b") == "\b"  # pyld's own (non-RDFC) behaviour, untouched


def test_issue_refuses_a_signed_document(unsigned, signer):
    signed = issue(unsigned, signer, created=datetime(2025, 3, 1, tzinfo=UTC))
    with pytest.raises(CredentialError, match="already has a proof"):
        issue(signed, signer, created=datetime(2025, 3, 1, tzinfo=UTC))


def test_naive_created_is_refused(unsigned, signer):
    with pytest.raises(ValueError, match="timezone-aware"):
        issue(unsigned, signer, created=datetime(2025, 3, 1))
