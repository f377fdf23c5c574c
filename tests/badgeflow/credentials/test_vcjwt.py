"""VC-JWT encoding and decoding: claims, header, the legacy `vc` shape, refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from badgeflow.credentials import issue
from badgeflow.credentials.jose_keys import JoseKey
from badgeflow.credentials.jws import b64url_encode, decode_compact, sign_compact
from badgeflow.credentials.vcjwt import (
    claim_errors,
    credential_of,
    decode_vc_jwt,
    encode_vc_jwt,
    looks_like_jws,
    numeric_date,
)
from badgeflow.errors import CredentialError

from .conftest import ISSUED_AT, ISSUER_DID, reference_path

KID = f"{ISSUER_DID}#p256-1"


@pytest.fixture(scope="module")
def key() -> JoseKey:
    private = ec.generate_private_key(ec.SECP256R1())
    return JoseKey("p256-1", "ES256", private, datetime(2025, 1, 1, tzinfo=UTC))


def _resolver(key):
    return lambda header: key.private_key.public_key()


def test_payload_is_the_credential_plus_the_ob3_claims(unsigned, key):
    unsigned["credentialSubject"]["id"] = "did:example:learner"
    token = encode_vc_jwt(unsigned, key, kid=KID)
    decoded = decode_compact(token)
    assert decoded.header == {"alg": "ES256", "typ": "JWT", "kid": KID}
    claims = decoded.payload
    assert claims["iss"] == ISSUER_DID == unsigned["issuer"]["id"]
    assert claims["jti"] == unsigned["id"]
    assert claims["sub"] == "did:example:learner"
    assert claims["nbf"] == numeric_date(unsigned["validFrom"]) == 1740830400
    assert claims["exp"] == numeric_date(unsigned["validUntil"])
    assert {k: v for k, v in claims.items() if k not in {"iss", "jti", "sub", "nbf", "exp"}} == (
        unsigned
    )
    assert looks_like_jws(token) and not looks_like_jws('{"a": 1}')


def test_decode_returns_the_credential_and_checks_the_signature(unsigned, key):
    token = encode_vc_jwt(unsigned, key, kid=KID)
    decoded = decode_vc_jwt(token, _resolver(key))
    assert decoded.credential == unsigned and not decoded.legacy
    assert claim_errors(decoded.claims, decoded.credential) == []
    header, payload, signature = token.split(".")
    forged = dict(decoded.claims, name="Data Grandmaster")
    other = sign_compact(forged, ec.generate_private_key(ec.SECP256R1()), kid=KID, typ="JWT")
    with pytest.raises(CredentialError, match="does not verify"):
        decode_vc_jwt(f"{header}.{other.split('.')[1]}.{signature}", _resolver(key))


def test_an_embedded_proof_is_kept_inside_the_jwt(unsigned, signer, key):
    signed_credential = issue(unsigned, signer, created=ISSUED_AT)
    decoded = decode_vc_jwt(encode_vc_jwt(signed_credential, key, kid=KID), _resolver(key))
    assert decoded.credential["proof"] == signed_credential["proof"]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ({"alg": "ES256", "typ": "JWT"}, "neither kid nor jwk"),
        ({"alg": "ES256", "typ": "JOSE", "kid": KID}, "typ"),
        ({"alg": "ES256", "kid": KID, "crit": ["b64"]}, "not allowed"),
        ({"alg": "none", "kid": KID}, "does not match"),
    ],
    ids=["no-key", "typ", "crit", "alg-none"],
)
def test_headers_outside_the_spec_are_refused(unsigned, key, header, message):
    token = encode_vc_jwt(unsigned, key, kid=KID)
    forged_header = b64url_encode(json.dumps(header).encode())
    forged = forged_header + token[token.index(".") :]
    with pytest.raises(CredentialError, match=message):
        decode_vc_jwt(forged, _resolver(key))


def test_claims_that_disagree_with_the_credential_are_reported(unsigned, key):
    claims = decode_compact(encode_vc_jwt(unsigned, key, kid=KID)).payload
    claims = dict(claims, iss="did:web:evil.example", nbf=0)
    del claims["jti"]
    names = [name for name, _ in claim_errors(claims, unsigned)]
    assert names == ["iss", "jti", "nbf"]


def test_a_credential_using_a_claim_name_or_a_mismatched_key_is_refused(unsigned, key):
    with pytest.raises(CredentialError, match="JWT claim names"):
        encode_vc_jwt({**unsigned, "iss": "x"}, key, kid=KID)
    wrong = JoseKey("rsa-1", "RS256", key.private_key, key.created)
    with pytest.raises(CredentialError, match="not an RS256 key"):
        encode_vc_jwt(unsigned, wrong, kid=KID)


def test_the_legacy_vc_claim_shape_is_read():
    token = reference_path("examples/ob30/validator/simple.jwt").read_text()
    header = decode_compact(token).header
    assert "kid" not in header and "jwk" not in header  # nothing to resolve a key from
    credential, legacy = credential_of(decode_compact(token).payload)
    assert legacy and credential["id"] == "http://example.edu/credentials/3732"
    assert claim_errors(decode_compact(token).payload, credential) == []
