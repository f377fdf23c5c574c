"""Bitstring encoding: GZIP + multibase base64url, index 0 = left-most bit of byte 0."""

from __future__ import annotations

import base64
import gzip
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from badgeflow.errors import CredentialError
from badgeflow.status import (
    MIN_LIST_LENGTH,
    bit_is_set,
    decode_bitstring,
    encode_bitstring,
    set_bits,
)
from tests.badgeflow.credentials.conftest import reference_path

TESTLIST = "examples/ob30/validator/bitstring/testlist"


def test_the_1edtech_example_list_has_only_index_23_set():
    listing = json.loads(reference_path(TESTLIST).read_text(encoding="utf-8"))
    bits = decode_bitstring(listing["credentialSubject"]["encodedList"])
    assert len(bits) * 8 == MIN_LIST_LENGTH
    assert set_bits(bits) == [23]
    assert bit_is_set(bits, 23) and not bit_is_set(bits, 16)  # MSB-first, not LSB-first


def test_index_zero_is_the_most_significant_bit_of_the_first_byte():
    encoded = encode_bitstring([0, 9])
    assert encoded.startswith("uH4sI")  # "u" + base64url of the GZIP magic 1f 8b 08
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert raw[:2] == bytes([0b1000_0000, 0b0100_0000])
    assert "=" not in encoded and "+" not in encoded and "/" not in encoded


@given(st.sets(st.integers(min_value=0, max_value=MIN_LIST_LENGTH - 1), max_size=50))
def test_round_trip(indices):
    bits = decode_bitstring(encode_bitstring(indices))
    assert set_bits(bits) == sorted(indices)


def test_encoding_is_deterministic_and_a_longer_list_is_allowed():
    assert encode_bitstring([5]) == encode_bitstring([5])
    assert (
        len(decode_bitstring(encode_bitstring([], 2 * MIN_LIST_LENGTH))) * 8 == 2 * MIN_LIST_LENGTH
    )


@pytest.mark.parametrize(
    ("indices", "length"),
    [
        ([], MIN_LIST_LENGTH - 8),
        ([], MIN_LIST_LENGTH + 1),
        ([MIN_LIST_LENGTH], MIN_LIST_LENGTH),
        ([-1], MIN_LIST_LENGTH),
    ],
)
def test_encode_refuses_short_lists_and_out_of_range_indices(indices, length):
    with pytest.raises(ValueError):
        encode_bitstring(indices, length)


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        ("zH4sIAAAA", "multibase prefix"),
        ("u!!!!", "base64url"),
        ("u" + base64.urlsafe_b64encode(b"not gzip").decode().rstrip("="), "GZIP"),
        (
            "u" + base64.urlsafe_b64encode(gzip.compress(b"\0" * 64, mtime=0)[:-12]).decode(),
            "truncated",
        ),
    ],
)
def test_decode_reports_bad_input(encoded, message):
    with pytest.raises(CredentialError, match=message):
        decode_bitstring(encoded)


def test_decode_refuses_a_gzip_bomb(monkeypatch):
    import badgeflow.status.bitstring as module

    monkeypatch.setattr(module, "MAX_LIST_BYTES", MIN_LIST_LENGTH // 8)
    with pytest.raises(CredentialError, match="expands to more than"):
        decode_bitstring(encode_bitstring([], 2 * MIN_LIST_LENGTH))


def test_bit_is_set_refuses_an_index_outside_the_list():
    with pytest.raises(IndexError):
        bit_is_set(b"\0", 8)
