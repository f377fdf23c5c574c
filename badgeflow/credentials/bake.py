"""Bake credentials into PNG badge images and read them back (OB 3.0 / 2.0 baking).

OB 3.0: one ``iTXt`` chunk with keyword ``openbadgecredential``, compression flag 0, method 0,
empty language tag and translated keyword, and the credential JSON (or compact JWS) as UTF-8
text. OB 2.0 used the keyword ``openbadges``. We insert the chunk just before ``IEND`` and
replace any chunk with the same keyword, so there is only ever one.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from typing import Final

from badgeflow.errors import CredentialError

__all__ = ["OB2_KEYWORD", "OB3_KEYWORD", "bake_png", "unbake_png"]

OB3_KEYWORD: Final = "openbadgecredential"
OB2_KEYWORD: Final = "openbadges"

_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"


def _chunks(png: bytes) -> Iterator[tuple[bytes, bytes, bytes]]:
    """Yield ``(type, data, raw chunk bytes)`` for each chunk, checking lengths and CRCs."""
    if not png.startswith(_PNG_SIGNATURE):
        raise CredentialError("not a PNG image (bad signature)")
    offset = len(_PNG_SIGNATURE)
    while offset < len(png):
        if offset + 8 > len(png):
            raise CredentialError("truncated PNG chunk header")
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        chunk_type = png[offset + 4 : offset + 8]
        end = offset + 12 + length
        if end > len(png):
            raise CredentialError(f"truncated PNG chunk {chunk_type!r}")
        data = png[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", png[offset + 8 + length : end])
        if zlib.crc32(chunk_type + data) != crc:
            raise CredentialError(f"PNG chunk {chunk_type!r} has a bad CRC")
        yield chunk_type, data, png[offset:end]
        offset = end
        if chunk_type == b"IEND":
            return
    raise CredentialError("PNG has no IEND chunk")


def _itxt_keyword(data: bytes) -> str:
    return data.split(b"\0", 1)[0].decode("latin-1")


def _make_chunk(chunk_type: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(chunk_type + data)
    return struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", crc)


def bake_png(png: bytes, payload: str, *, keyword: str = OB3_KEYWORD) -> bytes:
    """Embed a credential in a PNG image.

    Args:
        png: the badge image.
        payload: the credential JSON (or compact JWS).
        keyword: the iTXt keyword; ``openbadgecredential`` for OB 3.0.

    Returns:
        The baked PNG: every original chunk kept, except an earlier chunk with the same
        keyword, and the new iTXt chunk just before IEND.

    Raises:
        CredentialError: the image is not a valid PNG.
    """
    # keyword \0, compression flag 0, method 0, empty language tag \0, empty translated
    # keyword \0, then the uncompressed UTF-8 text.
    itxt = keyword.encode("latin-1") + b"\0\0\0\0\0" + payload.encode("utf-8")
    parts = [_PNG_SIGNATURE]
    for chunk_type, data, raw in _chunks(png):
        if chunk_type == b"iTXt" and _itxt_keyword(data) == keyword:
            continue
        if chunk_type == b"IEND":
            parts.append(_make_chunk(b"iTXt", itxt))
        parts.append(raw)
    return b"".join(parts)


def _itxt_text(data: bytes) -> str:
    _keyword, rest = data.split(b"\0", 1)
    compressed, method, rest = rest[0], rest[1], rest[2:]
    _language, _translated, text = rest.split(b"\0", 2)
    if compressed:
        if method != 0:
            raise CredentialError(f"unknown iTXt compression method {method}")
        text = zlib.decompress(text)
    return text.decode("utf-8")


def unbake_png(png: bytes) -> str:
    """Read the credential baked into a PNG image.

    Args:
        png: a baked badge image.

    Returns:
        The text of the first ``openbadgecredential`` iTXt chunk, or, failing that, of the
        first OB 2.0 ``openbadges`` chunk.

    Raises:
        CredentialError: not a PNG, a corrupt chunk, or no baked credential.
    """
    found: dict[str, str] = {}
    for chunk_type, data, _raw in _chunks(png):
        if chunk_type != b"iTXt":
            continue
        keyword = _itxt_keyword(data)
        if keyword in (OB3_KEYWORD, OB2_KEYWORD) and keyword not in found:
            try:
                found[keyword] = _itxt_text(data)
            except (ValueError, IndexError, zlib.error) as exc:
                raise CredentialError(f"malformed iTXt chunk {keyword!r}") from exc
    for keyword in (OB3_KEYWORD, OB2_KEYWORD):
        if keyword in found:
            return found[keyword]
    raise CredentialError("the PNG carries no baked Open Badge (no openbadgecredential chunk)")
