"""Multibase / Multikey encoding and did:key identifiers."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from badgeflow.credentials.signer import (
    Ed25519Signer,
    b58decode,
    b58encode,
    did_key_from_public_key,
    did_key_verification_method,
    private_key_from_multibase,
    public_key_from_multibase,
    public_key_multibase,
    secret_key_multibase,
)
from badgeflow.errors import CredentialError

from .conftest import TEST_SEED, reference_path

W3C_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
W3C_SECRET = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"

# did:key method spec test vectors (w3c-ccg/did-method-key, test-vectors/ed25519-x25519.json)
DID_KEY_VECTORS = [
    ("00" * 32, "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"),
    ("00" * 31 + "01", "did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG"),
    ("00" * 31 + "05", "did:key:z6MkwYMhwTvsq376YBAcJHy3vyRWzBgn5vKfVqqDCgm7XVKU"),
]


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [(b"", ""), (b"\0", "1"), (b"\0\0\x01", "112"), (b"hello world", "StV1DL6CwTryKyV")],
)
def test_base58_round_trip(raw, encoded):
    assert b58encode(raw) == encoded
    assert b58decode(encoded) == raw


def test_base58_rejects_foreign_characters():
    with pytest.raises(CredentialError, match="base58"):
        b58decode("0OIl")


def test_w3c_key_pair():
    private_key = private_key_from_multibase(W3C_SECRET)
    assert public_key_multibase(private_key.public_key()) == W3C_PUBLIC
    assert did_key_from_public_key(private_key.public_key()) == f"did:key:{W3C_PUBLIC}"
    assert secret_key_multibase(private_key) == W3C_SECRET


@pytest.mark.parametrize(("seed_hex", "did"), DID_KEY_VECTORS)
def test_did_key_vectors(seed_hex, did):
    public_key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex)).public_key()
    assert did_key_from_public_key(public_key) == did


def test_did_key_vector_file_agrees():
    vectors = json.loads(reference_path("vectors/did-key/ed25519-x25519.json").read_text("utf-8"))
    for did, entry in vectors.items():
        seed = bytes.fromhex(entry["seed"])
        public_key = Ed25519PrivateKey.from_private_bytes(seed).public_key()
        assert did_key_from_public_key(public_key) == did


def test_public_key_round_trip_and_prefix():
    public_key = Ed25519Signer.from_seed(TEST_SEED).public_key
    multikey = public_key_multibase(public_key)
    assert multikey.startswith("z6Mk")
    assert public_key_multibase(public_key_from_multibase(multikey)) == multikey


def test_public_key_from_multibase_rejects_other_keys():
    with pytest.raises(CredentialError, match="not an Ed25519 Multikey"):
        public_key_from_multibase(W3C_SECRET)  # a secret key header
    with pytest.raises(CredentialError, match="base58btc"):
        public_key_from_multibase("u" + W3C_PUBLIC[1:])


def test_1edtech_secret_key_with_public_half():
    secret = (
        "zrv2bqTbNwCTsRrHFcJCPjVAduh4Ezcnoq1A3ZxH1GWTNkxipLVuaAoMFmze2gFN9"
        "oNXfJjufxSHWVZzsJiUsMHFMcx"
    )
    key = private_key_from_multibase(secret)
    assert (
        public_key_multibase(key.public_key()) == "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
    )


def test_signer_defaults_to_did_key_method_and_signs_deterministically():
    signer = Ed25519Signer.from_seed(TEST_SEED)
    assert signer.verification_method == did_key_verification_method(signer.public_key)
    assert signer.sign(b"data") == Ed25519Signer.from_seed(TEST_SEED).sign(b"data")
    signer.public_key.verify(signer.sign(b"data"), b"data")
    secret = secret_key_multibase(Ed25519PrivateKey.from_private_bytes(TEST_SEED))
    assert secret not in repr(signer)
    assert TEST_SEED.hex() not in repr(signer)


def test_seed_must_be_32_bytes():
    with pytest.raises(CredentialError, match="32 bytes"):
        Ed25519Signer.from_seed(b"short")


@given(st.binary(max_size=80))
def test_b58encode_matches_the_digit_by_digit_definition(data):
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    number, digits = int.from_bytes(data, "big"), []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(alphabet[remainder])
    zeros = len(data) - len(data.lstrip(b"\0"))
    assert b58encode(data) == "1" * zeros + "".join(reversed(digits))
    assert b58decode(b58encode(data)) == data
