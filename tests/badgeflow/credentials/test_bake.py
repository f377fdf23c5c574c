"""Baking credentials into PNG images."""

from __future__ import annotations

import json
import struct
import zlib

import pytest

from badgeflow.credentials.bake import OB2_KEYWORD, bake_png, unbake_png
from badgeflow.errors import CredentialError

from .conftest import reference_path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def tiny_png() -> bytes:
    """A valid 1x1 grey PNG built in place."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x80")
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def chunk_types(png: bytes) -> list[bytes]:
    offset, types = 8, []
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        types.append(png[offset + 4 : offset + 8])
        offset += 12 + length
    return types


def test_round_trip_and_layout():
    payload = json.dumps({"name": "Données — ünïcode ✓"}, ensure_ascii=False)
    baked = bake_png(tiny_png(), payload)
    assert unbake_png(baked) == payload
    assert chunk_types(baked) == [b"IHDR", b"IDAT", b"iTXt", b"IEND"]
    start = baked.index(b"iTXt") + 4
    assert baked[start : start + 24] == b"openbadgecredential\0\0\0\0\0"


def test_rebaking_replaces_the_chunk():
    baked = bake_png(bake_png(tiny_png(), "first"), "second")
    assert unbake_png(baked) == "second"
    assert chunk_types(baked).count(b"iTXt") == 1


def test_ob2_keyword_is_read():
    baked = bake_png(tiny_png(), '{"type": "Assertion"}', keyword=OB2_KEYWORD)
    assert unbake_png(baked) == '{"type": "Assertion"}'


def test_reads_the_official_baked_png():
    png = reference_path("examples/ob30/validator/baked/simple-json.png").read_bytes()
    credential = json.loads(unbake_png(png))
    assert "OpenBadgeCredential" in credential["type"]
    assert credential["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    rebaked = bake_png(png, "replaced")
    assert unbake_png(rebaked) == "replaced"
    assert len(rebaked) < len(png) + 100  # the old chunk was replaced, not kept


def test_errors():
    with pytest.raises(CredentialError, match="not a PNG"):
        unbake_png(b"GIF89a...")
    with pytest.raises(CredentialError, match="no baked Open Badge"):
        unbake_png(tiny_png())
    corrupt = bytearray(tiny_png())
    corrupt[-5] ^= 0xFF  # IEND CRC
    with pytest.raises(CredentialError, match="bad CRC"):
        unbake_png(bytes(corrupt))
