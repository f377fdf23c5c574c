"""Verification: round trips, tampering, keys, issuer binding and validity period."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest

from badgeflow.credentials import (
    Ed25519Signer,
    issue,
    make_document_loader,
    verify_credential,
)
from badgeflow.credentials.keys import did_document
from badgeflow.credentials.verify import CHECK_NAMES
from badgeflow.errors import UndefinedTermError

from .conftest import ISSUED_AT, ISSUER_DID, TEST_SEED, reference_path

NOW = ISSUED_AT + timedelta(days=30)


@pytest.fixture
def signed(unsigned, signer):
    return issue(unsigned, signer, created=ISSUED_AT)


def test_round_trip_verifies(signed, did_documents):
    result = verify_credential(signed, did_documents=did_documents, now=NOW)
    assert result.verified, result.errors
    assert result.errors == [] and result.warnings == []
    assert result.issuer == ISSUER_DID
    assert result.credential_id == signed["id"]


def test_signing_is_deterministic(unsigned, signer):
    assert issue(unsigned, signer, created=ISSUED_AT) == issue(unsigned, signer, created=ISSUED_AT)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda doc: doc.__setitem__("name", "Data Mastery"),
        lambda doc: doc.__setitem__("validUntil", "2099-01-01T00:00:00Z"),
        lambda doc: doc["credentialSubject"]["result"][0].__setitem__("value", "100"),
        lambda doc: doc["credentialSubject"]["identifier"][0].__setitem__("salt", "other"),
        lambda doc: doc["credentialSubject"]["achievement"]["tag"].append("python"),
        lambda doc: doc["issuer"].__setitem__("name", "Evil Academy"),
        lambda doc: doc["proof"].__setitem__("created", "2025-03-02T12:00:00Z"),
    ],
)
def test_any_change_breaks_the_signature(signed, did_documents, tamper):
    doc = copy.deepcopy(signed)
    tamper(doc)
    result = verify_credential(doc, did_documents=did_documents, now=NOW)
    assert not result.verified
    assert result.errors == ["proof: signature does not match: the credential was altered"]


def test_expired_credential(signed, did_documents):
    later = ISSUED_AT + timedelta(days=400)
    result = verify_credential(signed, did_documents=did_documents, now=later)
    assert not result.verified
    assert result.errors == ["credential has expired: validUntil 2026-03-01T12:00:00Z has passed"]


def test_not_yet_valid(signed, did_documents):
    result = verify_credential(signed, did_documents=did_documents, now=ISSUED_AT - timedelta(1))
    assert result.errors == [
        "credential is not yet valid: validFrom 2025-03-01T12:00:00Z is in the future"
    ]


def test_undefined_term_issue_raises_and_verify_reports(unsigned, signer, signed, did_documents):
    with_extra = copy.deepcopy(unsigned)
    with_extra["credentialSubject"]["nickname"] = "Ada"
    with pytest.raises(UndefinedTermError, match="nickname"):
        issue(with_extra, signer, created=ISSUED_AT)

    doc = copy.deepcopy(signed)
    doc["credentialSubject"]["nickname"] = "Ada"
    result = verify_credential(doc, did_documents=did_documents, now=NOW)
    assert not result.verified
    assert len(result.errors) == 1
    assert "nickname" in result.errors[0] and "not defined" in result.errors[0]


def test_unpinned_context_is_reported(signed, did_documents):
    doc = copy.deepcopy(signed)
    doc["@context"].append("https://example.org/contexts/extra.json")
    result = verify_credential(doc, did_documents=did_documents, now=NOW)
    assert not result.verified
    assert "is not pinned" in result.errors[0]


def test_unknown_key(signed):
    result = verify_credential(signed, did_documents={}, now=NOW)
    assert result.errors == [
        f"proof: no DID document or key known for verification method {ISSUER_DID}#key-1"
    ]


def test_key_from_another_did_document_is_not_the_issuer(unsigned, did_documents):
    other = Ed25519Signer.from_seed(bytes(32), "did:web:evil.example#key-1")
    doc = issue(unsigned, other, created=ISSUED_AT)
    documents = {
        **did_documents,
        "did:web:evil.example": did_document("did:web:evil.example", [("key-1", other.public_key)]),
    }
    result = verify_credential(doc, did_documents=documents, now=NOW)
    assert not result.verified
    assert "not by the issuer did:web:badges.example.edu" in result.errors[0]


def test_wrong_key_in_issuer_document(signed):
    impostor = Ed25519Signer.from_seed(bytes(32)).public_key
    documents = {ISSUER_DID: did_document(ISSUER_DID, [("key-1", impostor)])}
    result = verify_credential(signed, did_documents=documents, now=NOW)
    assert result.errors == ["proof: signature does not match: the credential was altered"]


def test_method_must_be_an_assertion_method(signed, did_documents):
    documents = copy.deepcopy(did_documents)
    documents[ISSUER_DID]["assertionMethod"] = []
    result = verify_credential(signed, did_documents=documents, now=NOW)
    assert "not authorised for assertionMethod" in result.errors[0]


def test_did_key_issuer(unsigned):
    signer = Ed25519Signer.from_seed(TEST_SEED)  # did:key:<mk>#<mk>
    doc = copy.deepcopy(unsigned)
    doc["issuer"]["id"] = signer.verification_method.partition("#")[0]
    signed = issue(doc, signer, created=ISSUED_AT)
    assert verify_credential(signed, did_documents={}, now=NOW).verified


def test_missing_proof_and_wrong_suite(signed, did_documents):
    unsigned = {key: value for key, value in signed.items() if key != "proof"}
    assert verify_credential(unsigned, did_documents=did_documents, now=NOW).errors == [
        "credential has no proof"
    ]
    empty = {**signed, "proof": []}
    assert verify_credential(empty, did_documents=did_documents, now=NOW).errors == [
        "credential has no proof"
    ]
    other_suite = copy.deepcopy(signed)
    other_suite["proof"]["cryptosuite"] = "ecdsa-rdfc-2019"
    result = verify_credential(other_suite, did_documents=did_documents, now=NOW)
    assert "unsupported proof" in result.errors[0]


def test_naive_now_is_a_programming_error(signed, did_documents):
    with pytest.raises(ValueError, match="timezone-aware"):
        verify_credential(signed, did_documents=did_documents, now=datetime(2025, 4, 1))


def test_1edtech_validator_simple_json():
    simple = json.loads(reference_path("examples/ob30/validator/simple.json").read_text("utf-8"))
    result = verify_credential(simple, did_documents={}, now=datetime(2024, 1, 1, tzinfo=UTC))
    assert result.verified, result.errors
    assert result.issuer == "https://example.com/issuers/876543"
    assert result.warnings == [
        "key taken from the verification method fragment of "
        "https://example.com/issuers/876543#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
    ]
    tampered = copy.deepcopy(simple)
    tampered["name"] = "Teamwork Badge (gold)"
    assert not verify_credential(
        tampered, did_documents={}, now=datetime(2024, 1, 1, tzinfo=UTC)
    ).verified


def test_did_key_method_for_a_different_issuer_is_refused():
    doc = json.loads(
        reference_path("examples/ob30/validator/simple-did-key-method.json").read_text("utf-8")
    )
    extensions = reference_path("contexts/ob-v3p0-extensions.json").read_text("utf-8")
    loader = make_document_loader(
        {"https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": json.loads(extensions)}
    )
    now = datetime(2024, 1, 1, tzinfo=UTC)
    assert "not pinned" in verify_credential(doc, did_documents={}, now=now).errors[0]
    result = verify_credential(doc, did_documents={}, now=now, loader=loader)
    # The signature is valid (the 1EdTech validator accepts it), but the key is not the issuer's.
    assert result.errors == [
        "proof: signature is valid but its key is controlled by "
        "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi, not by the issuer "
        "urn:uuid:6f2e33e5-7a29-4155-840a-59483ba10164"
    ]


def _marks(result):
    return {check.name: check.passed for check in result.checks}


def test_checks_name_each_outcome(signed, did_documents):
    result = verify_credential(signed, did_documents=did_documents, now=NOW)
    assert [check.name for check in result.checks] == list(CHECK_NAMES)
    assert _marks(result) == {
        "format": True,
        "context": True,
        "proof": True,
        "issuer": True,
        "validity": True,
        "status": None,  # this fixture has no credentialStatus
    }
    details = {check.name: check.detail for check in result.checks}
    assert f"{ISSUER_DID}#key-1" in details["proof"]
    assert "no credentialStatus" in details["status"]


def test_checks_place_each_failure(signed, did_documents):
    tampered = copy.deepcopy(signed)
    tampered["name"] = "Data Mastery"
    assert (
        _marks(verify_credential(tampered, did_documents=did_documents, now=NOW))["proof"] is False
    )

    undefined = copy.deepcopy(signed)
    undefined["credentialSubject"]["nickname"] = "Ada"
    result = verify_credential(undefined, did_documents=did_documents, now=NOW)
    assert _marks(result)["context"] is False and _marks(result)["proof"] is None
    assert "nickname" in next(c.detail for c in result.checks if c.name == "context")

    unknown_key = verify_credential(signed, did_documents={}, now=NOW)
    assert _marks(unknown_key)["issuer"] is False and _marks(unknown_key)["proof"] is None

    expired = verify_credential(signed, did_documents=did_documents, now=NOW + timedelta(400))
    assert _marks(expired) == {**_marks(expired), "validity": False, "proof": True}

    not_a_vc = {"type": "Thing"}
    result = verify_credential(not_a_vc, did_documents={}, now=NOW)
    assert _marks(result) == {
        "format": False,
        "context": None,
        "proof": False,
        "issuer": False,
        "validity": False,
        "status": None,
    }
    # The named checks carry the same errors as the flat list.
    failed = [c.detail for c in result.checks if c.passed is False]
    assert "; ".join(failed).count(";") + 1 == len(result.errors)


@pytest.mark.parametrize(
    "doc",
    [
        {},
        {"proof": "nonsense", "issuer": 7, "validFrom": 3},
        {
            "proof": [
                {
                    "type": "DataIntegrityProof",
                    "cryptosuite": "eddsa-rdfc-2022",
                    "proofPurpose": "assertionMethod",
                    "verificationMethod": "did:key:zzz",
                    "proofValue": "z0OIl",
                }
            ]
        },
    ],
)
def test_bad_input_is_a_result_not_an_exception(doc):
    result = verify_credential(doc, did_documents={}, now=NOW)
    assert not result.verified and result.errors
