"""Compact JWS (RS256/ES256): round trips, refusals, and the 1EdTech OB 2.0 signed sample."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from badgeflow.credentials.jws import (
    b64url_encode,
    decode_compact,
    jwk_thumbprint,
    public_jwk,
    public_key_from_jwk,
    sign_compact,
    verify_compact,
)
from badgeflow.errors import CredentialError

from .conftest import REFERENCE

OB20 = REFERENCE / "examples/ob20/validator"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.mark.parametrize("which", ["rsa_key", "ec_key"])
def test_round_trip_keeps_payload_and_header(which: str, request: pytest.FixtureRequest) -> None:
    key = request.getfixturevalue(which)
    payload = {"name": 'Zoë \u2028 "quoted"', "n": [1, 2.5, None]}
    token = sign_compact(payload, key, kid="did:web:example.org#k1", typ="JWT")
    decoded = verify_compact(token, key.public_key())
    assert decoded.payload == payload
    assert decoded.header == {
        "alg": "RS256" if which == "rsa_key" else "ES256",
        "typ": "JWT",
        "kid": "did:web:example.org#k1",
    }


def test_es256_signature_is_raw_64_bytes(ec_key: ec.EllipticCurvePrivateKey) -> None:
    assert len(decode_compact(sign_compact({}, ec_key)).signature) == 64


@pytest.mark.parametrize("which", ["rsa_key", "ec_key"])
def test_tampered_payload_fails(which: str, request: pytest.FixtureRequest) -> None:
    key = request.getfixturevalue(which)
    header, _, signature = sign_compact({"score": 70}, key).split(".")
    body = b64url_encode(b'{"score":99}')
    forged = f"{header}.{body}.{signature}"
    with pytest.raises(CredentialError, match="does not verify"):
        verify_compact(forged, key.public_key())


def test_wrong_key_fails(rsa_key: rsa.RSAPrivateKey) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(CredentialError, match="does not verify"):
        verify_compact(sign_compact({}, rsa_key), other.public_key())


def test_alg_none_and_mismatch_are_refused(
    rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    none_header = b64url_encode(b'{"alg":"none"}')
    unsigned = f"{none_header}.{b64url_encode(b'{}')}."
    with pytest.raises(CredentialError, match="'none'"):
        verify_compact(unsigned, rsa_key.public_key())
    with pytest.raises(CredentialError, match="does not match the key"):
        verify_compact(sign_compact({}, ec_key), rsa_key.public_key())


def test_unknown_header_fields_are_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    token = sign_compact({}, rsa_key, kid="k")
    with pytest.raises(CredentialError, match="kid"):
        verify_compact(token, rsa_key.public_key(), allowed_header=frozenset({"alg"}))


@pytest.mark.parametrize("token", ["a.b", "a.b.c.d", "e30.e30.x=", "bm90IGpzb24.e30.AA"], ids=str)
def test_malformed_tokens_raise(token: str) -> None:
    with pytest.raises(CredentialError):
        decode_compact(token)


def test_short_rsa_and_other_curves_are_refused() -> None:
    with pytest.raises(CredentialError, match="1024 bits"):
        sign_compact({}, rsa.generate_private_key(public_exponent=65537, key_size=1024))
    with pytest.raises(CredentialError, match="P-256"):
        sign_compact({}, ec.generate_private_key(ec.SECP384R1()))


@pytest.mark.parametrize("which", ["rsa_key", "ec_key"])
def test_jwk_round_trip(which: str, request: pytest.FixtureRequest) -> None:
    key = request.getfixturevalue(which)
    jwk = public_jwk(key.public_key())
    assert "d" not in jwk
    loaded = public_key_from_jwk(jwk)
    verify_compact(sign_compact({"a": 1}, key), loaded)
    assert jwk_thumbprint(jwk) == jwk_thumbprint(public_jwk(loaded))


def test_private_jwk_is_refused() -> None:
    with pytest.raises(CredentialError, match="private"):
        public_key_from_jwk({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "d": "AA"})


def test_rfc7638_thumbprint_of_ec_key_is_order_independent() -> None:
    jwk = {"kty": "EC", "crv": "P-256", "x": "eA", "y": "eQ"}
    reordered = {"y": "eQ", "x": "eA", "crv": "P-256", "kty": "EC", "kid": "ignored"}
    assert jwk_thumbprint(jwk) == jwk_thumbprint(reordered)


def test_verifies_the_1edtech_ob20_signed_sample() -> None:
    """The validator's OB 2.0 `simple.jwt` is RS256 by the key in `key1.json`."""
    pem = json.loads((OB20 / "key1.json").read_text())["publicKeyPem"]
    key = load_pem_public_key(pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    decoded = verify_compact((OB20 / "simple.jwt").read_text(), key)
    assert decoded.payload["type"] == "Assertion"
    assert decoded.payload["verification"]["type"] == "signed"
