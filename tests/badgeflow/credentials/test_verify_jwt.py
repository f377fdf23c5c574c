"""Offline VC-JWT verification: key from kid or jwk, claims, and the credential's checks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from badgeflow.credentials import did_document, issue
from badgeflow.credentials.jose_keys import JoseKeyring
from badgeflow.credentials.jws import sign_compact
from badgeflow.credentials.vcjwt import encode_vc_jwt
from badgeflow.credentials.verify import CHECK_NAMES
from badgeflow.credentials.verify_jwt import verify_vc_jwt

from .conftest import ISSUED_AT, ISSUER_DID

LATER = ISSUED_AT + timedelta(days=30)


@pytest.fixture(scope="module")
def jose(tmp_path_factory):
    keys_dir = tmp_path_factory.mktemp("jose") / "keys"
    return JoseKeyring.ensure(keys_dir, None, now=ISSUED_AT)


@pytest.fixture
def documents(signer, jose):
    methods = jose.verification_methods(ISSUER_DID)
    return {
        ISSUER_DID: did_document(ISSUER_DID, [("key-1", signer.public_key)], jose_methods=methods)
    }


def _passed(result):
    return {check.name: check.passed for check in result.checks}


def _token(credential, jose, alg):
    key = jose.current(alg)
    return encode_vc_jwt(credential, key, kid=f"{ISSUER_DID}#{key.key_id}")


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_a_vc_jwt_with_an_embedded_proof_passes_every_check(unsigned, signer, jose, documents, alg):
    signed = issue(unsigned, signer, created=ISSUED_AT)
    result = verify_vc_jwt(_token(signed, jose, alg), did_documents=documents, now=LATER)
    assert result.verified, result.errors
    assert [c.name for c in result.checks] == list(CHECK_NAMES)
    assert _passed(result) == {**dict.fromkeys(CHECK_NAMES, True), "status": None}
    proof = next(c for c in result.checks if c.name == "proof").detail
    assert "eddsa-rdfc-2022" in proof and f"VC-JWT {alg} signature by {ISSUER_DID}#" in proof
    assert result.issuer == ISSUER_DID and result.credential_id == signed["id"]


def test_a_vc_jwt_without_an_embedded_proof_verifies_on_its_own(unsigned, jose, documents):
    result = verify_vc_jwt(_token(unsigned, jose, "ES256"), did_documents=documents, now=LATER)
    assert result.verified, result.errors
    assert _passed(result) == {**dict.fromkeys(CHECK_NAMES, True), "status": None}


def test_a_tampered_payload_fails_the_proof(unsigned, jose, documents):
    token = _token(unsigned, jose, "RS256")
    header, _, signature = token.split(".")
    other = _token({**unsigned, "name": "Data Grandmaster"}, jose, "RS256").split(".")[1]
    result = verify_vc_jwt(f"{header}.{other}.{signature}", did_documents=documents, now=LATER)
    assert not result.verified and _passed(result)["proof"] is False
    assert any("does not verify" in e for e in result.errors)


def test_an_unknown_kid_fails_the_issuer_check_and_leaves_the_proof_unchecked(unsigned, jose):
    result = verify_vc_jwt(_token(unsigned, jose, "ES256"), did_documents={}, now=LATER)
    assert not result.verified
    assert _passed(result)["issuer"] is False and _passed(result)["proof"] is None
    assert any("no DID document" in e for e in result.errors)


def test_a_kid_not_listed_as_an_assertion_method_is_refused(unsigned, jose, documents):
    documents[ISSUER_DID]["assertionMethod"] = [f"{ISSUER_DID}#key-1"]
    result = verify_vc_jwt(_token(unsigned, jose, "ES256"), did_documents=documents, now=LATER)
    assert not result.verified and "not a JsonWebKey assertion method" in result.errors[0]


def test_claims_must_match_the_credential_and_the_clock(unsigned, jose, documents):
    key = jose.current("ES256")
    claims = {**unsigned, "iss": "did:web:evil.example", "jti": unsigned["id"], "nbf": 0}
    token = sign_compact(claims, key.private_key, kid=f"{ISSUER_DID}#p256-1", typ="JWT")
    result = verify_vc_jwt(token, did_documents=documents, now=LATER)
    assert _passed(result)["issuer"] is False and _passed(result)["validity"] is False
    late = ISSUED_AT + timedelta(days=400)
    expired = verify_vc_jwt(_token(unsigned, jose, "ES256"), did_documents=documents, now=late)
    assert _passed(expired)["validity"] is False
    assert any("exp is" in e for e in expired.errors)


def test_an_embedded_jwk_is_tied_to_the_issuer_only_through_its_did_document(
    unsigned, jose, documents
):
    key = jose.current("ES256")
    claims = {**unsigned, "iss": ISSUER_DID, "jti": unsigned["id"]}
    claims["nbf"] = int(ISSUED_AT.timestamp())
    claims["exp"] = int((ISSUED_AT + timedelta(days=365)).timestamp())
    token = sign_compact(claims, key.private_key, jwk=True, typ="JWT")
    tied = verify_vc_jwt(token, did_documents=documents, now=LATER)
    assert tied.verified and _passed(tied)["issuer"] is True
    loose = verify_vc_jwt(token, did_documents={}, now=LATER)
    assert loose.verified and _passed(loose)["issuer"] is None
    assert any("embedded jwk" in w for w in loose.warnings)


def test_a_credential_without_an_issuer_fails_the_issuer_check(unsigned, jose, documents):
    claims = {k: v for k, v in unsigned.items() if k != "issuer"}
    key = jose.current("ES256")
    token = sign_compact(claims, key.private_key, kid=f"{ISSUER_DID}#p256-1", typ="JWT")
    result = verify_vc_jwt(token, did_documents=documents, now=LATER)
    assert not result.verified and _passed(result)["issuer"] is False
    assert "credential has no issuer id" in result.errors
