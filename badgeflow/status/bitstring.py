"""Bitstring Status List bitstrings: GZIP, then multibase base64url without padding.

W3C Bitstring Status List v1.0 (§ "Bitstring Encoding"): the ``encodedList`` of a status list
credential is ``"u"`` (the multibase prefix of base64url, no padding) followed by the
base64url text of the GZIP-compressed bitstring. Index 0 is the left-most (most significant)
bit of the first byte. A list holds at least 131,072 entries (16 KiB), so one credential's
status hides among many.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from collections.abc import Iterable
from typing import Final

from badgeflow.errors import CredentialError

__all__ = [
    "MAX_LIST_BYTES",
    "MIN_LIST_LENGTH",
    "MULTIBASE_BASE64URL",
    "bit_is_set",
    "decode_bitstring",
    "encode_bitstring",
    "set_bits",
]

MIN_LIST_LENGTH: Final = 131_072
"""The spec's minimum number of entries (bits) in a list: 16 KiB."""
MULTIBASE_BASE64URL: Final = "u"
MAX_LIST_BYTES: Final = 16 * 1024 * 1024
"""Largest decompressed list `decode_bitstring` accepts (guards against GZIP bombs)."""


def encode_bitstring(set_indices: Iterable[int], length: int = MIN_LIST_LENGTH) -> str:
    """Encode a bitstring with the given bits set as an ``encodedList`` value.

    The GZIP header carries no timestamp, so the same bits always give the same text.

    Args:
        set_indices: the indices whose bit is 1 (revoked, suspended...).
        length: number of bits; at least `MIN_LIST_LENGTH` and a multiple of 8.

    Returns:
        ``"u"`` + base64url (no padding) of the GZIP-compressed bitstring.

    Raises:
        ValueError: the length is too small or not whole bytes, or an index is out of range.
    """
    if length < MIN_LIST_LENGTH or length % 8:
        raise ValueError(f"a status list needs at least {MIN_LIST_LENGTH} bits in whole bytes")
    bits = bytearray(length // 8)
    for index in set_indices:
        if not 0 <= index < length:
            raise ValueError(f"status list index {index} is outside 0..{length - 1}")
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    text = base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")
    return MULTIBASE_BASE64URL + text


def decode_bitstring(encoded: str) -> bytes:
    """Decode an ``encodedList`` value to the raw bitstring.

    Args:
        encoded: ``"u"`` + base64url (padding tolerated) of a GZIP stream.

    Returns:
        The bitstring bytes (bit 0 = most significant bit of byte 0).

    Raises:
        CredentialError: not multibase base64url, not GZIP, or larger than `MAX_LIST_BYTES`.
    """
    if not encoded.startswith(MULTIBASE_BASE64URL):
        raise CredentialError("encodedList must start with the multibase prefix 'u' (base64url)")
    body = encoded[1:]
    try:
        padded = body + "=" * (-len(body) % 4)
        compressed = base64.b64decode(padded, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CredentialError(f"encodedList is not base64url: {exc}") from exc
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # GZIP framing
    try:
        bits = inflater.decompress(compressed, MAX_LIST_BYTES + 1)
    except zlib.error as exc:
        raise CredentialError(f"encodedList is not GZIP-compressed: {exc}") from exc
    if len(bits) > MAX_LIST_BYTES or inflater.unconsumed_tail:
        raise CredentialError(f"encodedList expands to more than {MAX_LIST_BYTES} bytes")
    if not inflater.eof:
        raise CredentialError("encodedList is a truncated GZIP stream")
    return bits


def bit_is_set(bits: bytes, index: int) -> bool:
    """Return the bit at ``index`` (0 = left-most bit of the first byte).

    Raises:
        IndexError: the index is outside the bitstring.
    """
    if not 0 <= index < len(bits) * 8:
        raise IndexError(f"status list index {index} is outside 0..{len(bits) * 8 - 1}")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def set_bits(bits: bytes) -> list[int]:
    """Return the indices of every set bit, ascending."""
    found: list[int] = []
    for byte_index, byte in enumerate(bits):
        if byte:
            found.extend(byte_index * 8 + bit for bit in range(8) if byte & (0x80 >> bit))
    return found
