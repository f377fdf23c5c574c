"""Render the PNG twin of every badge image in ``images/`` (stdlib only).

Credentials are baked into PNGs, so each ``images/<slug>.svg`` needs a ``images/<slug>.png``.
This script draws a 256x256 medallion in the badge's colours (ribbon tails, a gold ring, a
shaded face, a banner) with nothing but ``zlib`` and ``struct``, so rendering needs no
dependency and gives the same bytes on every machine. Run it after adding a badge, and commit
the PNGs it writes::

    python badge_catalog/render_pngs.py
"""

from __future__ import annotations

import math
import struct
import sys
import zlib
from pathlib import Path

SIZE = 256
SUPERSAMPLE = 3
IMAGES_DIR = Path(__file__).resolve().parent / "images"

RGB = tuple[int, int, int]

# image stem -> (face, ribbon, banner): the same colours as the hand-written SVG.
PALETTE: dict[str, tuple[RGB, RGB, RGB]] = {
    "data-foundations": ((0x1F, 0x6F, 0xB2), (0x17, 0x4F, 0x80), (0xE4, 0x57, 0x2E)),
    "data-applied": ((0x17, 0x80, 0x5A), (0x0F, 0x5E, 0x42), (0x2B, 0x41, 0x62)),
    "certified-data-practitioner": ((0x4B, 0x2A, 0x93), (0xC9, 0x97, 0x2B), (0x1D, 0x1D, 0x3B)),
    "sql-essentials": ((0xE0, 0x7A, 0x2E), (0x8A, 0x3B, 0x12), (0x2B, 0x41, 0x62)),
    "data-privacy-basics": ((0x1A, 0x8F, 0xA3), (0x0B, 0x4F, 0x5C), (0xE4, 0x57, 0x2E)),
    "data-mentor": ((0xB8, 0x43, 0x3A), (0x7A, 0x2A, 0x25), (0x2B, 0x41, 0x62)),
    "issuer": ((0x3C, 0xC4, 0x8F), (0x2B, 0x41, 0x62), (0x2B, 0x41, 0x62)),
}
GOLD: RGB = (0xF2, 0xC1, 0x4E)
WHITE: RGB = (0xFF, 0xFF, 0xFF)


def _in_polygon(x: float, y: float, points: list[tuple[float, float]]) -> bool:
    inside = False
    j = len(points) - 1
    for i, (xi, yi) in enumerate(points):
        xj, yj = points[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _shade(colour: RGB, factor: float) -> RGB:
    r, g, b = (max(0, min(255, round(c * factor))) for c in colour)
    return (r, g, b)


def _sample(x: float, y: float, face: RGB, ribbon: RGB, banner: RGB) -> tuple[RGB, int]:
    """Colour and alpha of one sample point; later shapes paint over earlier ones."""
    colour: RGB = (0, 0, 0)
    alpha = 0
    left_tail = [(84.0, 170.0), (62.0, 244.0), (88.0, 230.0), (102.0, 252.0), (118.0, 180.0)]
    right_tail = [(256.0 - px, py) for px, py in left_tail]
    if _in_polygon(x, y, left_tail) or _in_polygon(x, y, right_tail):
        colour, alpha = ribbon, 255
    distance = math.hypot(x - 128.0, y - 108.0)
    if distance <= 92.0:
        colour, alpha = GOLD, 255
    if distance <= 80.0:
        # A soft light from the top left gives the face some depth.
        light = 1.15 - 0.35 * math.hypot(x - 100.0, y - 70.0) / 110.0
        colour = _shade(face, light)
    if distance <= 40.0 and abs(x - 128.0) + abs(y - 92.0) <= 34.0:
        colour = WHITE  # a diamond emblem in the middle of the face
    if 150.0 <= y <= 186.0:
        inset = 12.0 * (1.0 - abs(y - 168.0) / 18.0)
        if 28.0 + inset <= x <= 228.0 - inset:
            colour, alpha = banner, 255
    return colour, alpha


def render(face: RGB, ribbon: RGB, banner: RGB) -> bytes:
    """Draw the medallion and return its raw RGBA scanlines (PNG filter byte included).

    Args:
        face: colour of the medallion face.
        ribbon: colour of the ribbon tails.
        banner: colour of the title banner.

    Returns:
        The uncompressed image data as PNG expects it.
    """
    rows = bytearray()
    step = 1.0 / SUPERSAMPLE
    for py in range(SIZE):
        rows.append(0)  # filter type None
        for px in range(SIZE):
            acc = [0, 0, 0, 0]
            for sy in range(SUPERSAMPLE):
                for sx in range(SUPERSAMPLE):
                    (r, g, b), a = _sample(
                        px + (sx + 0.5) * step, py + (sy + 0.5) * step, face, ribbon, banner
                    )
                    acc[0] += r * a
                    acc[1] += g * a
                    acc[2] += b * a
                    acc[3] += a
            n = SUPERSAMPLE * SUPERSAMPLE
            if acc[3]:
                rows.extend(round(acc[i] / acc[3]) for i in range(3))
            else:
                rows.extend((0, 0, 0))
            rows.append(round(acc[3] / n))
    return bytes(rows)


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def encode_png(raw: bytes, width: int = SIZE, height: int = SIZE) -> bytes:
    """Wrap RGBA scanlines into a PNG file.

    Args:
        raw: scanlines, each a filter byte followed by ``width`` RGBA pixels.
        width: image width in pixels.
        height: image height in pixels.

    Returns:
        The PNG file's bytes.
    """
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def main(images_dir: Path = IMAGES_DIR) -> int:
    """Write ``<stem>.png`` next to every ``<stem>.svg`` that has a palette entry.

    Args:
        images_dir: the catalog's image folder.

    Returns:
        The process exit code: 1 when an SVG has no palette entry, else 0.
    """
    missing = [svg.stem for svg in sorted(images_dir.glob("*.svg")) if svg.stem not in PALETTE]
    if missing:
        sys.stderr.write(f"no PALETTE entry for: {', '.join(missing)}\n")
        return 1
    for stem, colours in sorted(PALETTE.items()):
        target = images_dir / f"{stem}.png"
        target.write_bytes(encode_png(render(*colours)))
        sys.stdout.write(f"wrote {target}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
