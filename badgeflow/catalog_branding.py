"""The email branding of the catalog (``badge_catalog/branding.yaml``), checked at load.

Every key is optional and the file itself may be absent: the defaults are the packaged look.
Colours are checked for WCAG 2.x AA contrast (4.5:1 for body text) where they are used
together, and the logo must be a PNG small enough to embed in every email (``cid:`` part),
since Gmail and Outlook do not show SVG.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from badgeflow.criteria.nodes import Where
from badgeflow.criteria.problems import Problem, compose_file, construct, line_of, raise_problems

__all__ = [
    "BRANDING_FILE",
    "Branding",
    "Colours",
    "branding_problems",
    "contrast_ratio",
    "load_branding",
    "png_size",
]

BRANDING_FILE: Final = "branding.yaml"
MAX_LOGO_BYTES: Final = 50_000
AA_TEXT: Final = 4.5
_HEX = r"^#[0-9a-fA-F]{6}$"
_EMAIL = r"^[^@\s<>\"]+@[^@\s<>\"]+$"
_PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
_FROZEN = ConfigDict(frozen=True, extra="forbid")

# (foreground, background, what the pair is used for): each must reach WCAG AA.
_PAIRS: Final = (
    ("text", "background", "body text"),
    ("muted", "background", "footer text"),
    ("accent", "background", "links"),
    ("on_primary", "primary", "the button label"),
)


class Colours(BaseModel):
    """The email palette, as ``#rrggbb`` values."""

    model_config = _FROZEN

    primary: str = Field("#1d4ed8", pattern=_HEX, description="Button background.")
    on_primary: str = Field("#ffffff", pattern=_HEX, description="Button label.")
    accent: str = Field("#1d4ed8", pattern=_HEX, description="Links.")
    text: str = Field("#111827", pattern=_HEX, description="Body text.")
    muted: str = Field("#4b5563", pattern=_HEX, description="Secondary and footer text.")
    background: str = Field("#ffffff", pattern=_HEX, description="The message card.")
    page: str = Field("#f3f4f6", pattern=_HEX, description="Around the card (no text on it).")


class Branding(BaseModel):
    """How emails look and who they come from (``branding.yaml``)."""

    model_config = _FROZEN

    logo: str | None = Field(
        None,
        description="PNG path relative to the catalog folder; default: the issuer image's PNG.",
    )
    colours: Colours = Field(default_factory=Colours)
    sender_name: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="Display name of From:; the address always comes from mail.from_address.",
    )
    reply_to: str | None = Field(None, pattern=_EMAIL, description="Reply-To: address.")
    support_email: str | None = Field(None, pattern=_EMAIL, description="Contact for questions.")
    support_url: str | None = Field(None, pattern=r"^https?://", description="Help page.")
    footer: str | None = Field(
        None, min_length=1, max_length=1000, description="Legal or postal text in the footer."
    )


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2.x contrast ratio of two ``#rrggbb`` colours, from 1.0 to 21.0.

    Args:
        foreground: text colour.
        background: what it is drawn on.

    Returns:
        ``(L1 + 0.05) / (L2 + 0.05)`` of the lighter over the darker relative luminance.
    """
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    def channel(pair: str) -> float:
        c = int(pair, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG from its IHDR chunk, or None when it is not a PNG."""
    if len(data) < 24 or not data.startswith(_PNG_MAGIC) or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def branding_problems(root: Path) -> tuple[Branding | None, list[Problem]]:
    """Read and check ``<root>/branding.yaml``; its absence means the defaults.

    Args:
        root: the catalog folder.

    Returns:
        The branding (None when there is a problem) and the problems, each with file and line.
    """
    path = root / BRANDING_FILE
    if not path.is_file():
        return Branding(), []
    file = str(path)
    problems: list[Problem] = []
    top = compose_file(path, problems)
    if top is None:
        return None, problems
    try:
        branding = Branding.model_validate(construct(top))
    except ValidationError as exc:
        for err in exc.errors():
            loc = [p for p in err["loc"] if isinstance(p, str | int)]
            key = ".".join(map(str, loc)) or "(top)"
            problems.append(Problem(Where(file, line_of(top, loc)), f"{key}: {err['msg']}"))
        return None, problems
    colours = branding.colours
    for fore, back, use in _PAIRS:
        fg, bg = getattr(colours, fore), getattr(colours, back)
        ratio = contrast_ratio(fg, bg)
        if ratio < AA_TEXT:
            problems.append(
                Problem(
                    Where(file, line_of(top, ["colours", fore])),
                    f"colours.{fore} {fg} on colours.{back} {bg} ({use}) has contrast "
                    f"{ratio:.2f}:1; WCAG AA needs at least {AA_TEXT}:1",
                )
            )
    if branding.logo is not None:
        problems.extend(
            Problem(Where(file, line_of(top, ["logo"])), message)
            for message in logo_problems(root, branding.logo)
        )
    return (None if problems else branding), problems


def logo_problems(root: Path, logo: str) -> list[str]:
    """Why a logo path cannot be embedded in emails (empty when it can)."""
    path = root / logo
    if not path.is_file():
        return [f"logo: file {path} is missing"]
    data = path.read_bytes()
    if png_size(data) is None:
        return [f"logo: {logo} is not a PNG (email clients do not show SVG)"]
    if len(data) > MAX_LOGO_BYTES:
        size = f"{len(data)} bytes; at most {MAX_LOGO_BYTES} (it goes in every email)"
        return [f"logo: {logo} is {size}"]
    return []


def load_branding(root: Path) -> Branding:
    """Load the catalog's branding, or the defaults when it has no ``branding.yaml``.

    Args:
        root: the catalog folder.

    Returns:
        The checked branding.

    Raises:
        CatalogError: naming the file, line and key of every problem.
    """
    branding, problems = branding_problems(root)
    raise_problems(problems)
    return branding or Branding()
