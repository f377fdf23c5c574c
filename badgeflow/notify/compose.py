"""Assemble learner emails: safe headers, branded context, inline ``cid:`` images, MIME tree.

The MIME tree is the one Python's email docs, Thunderbird and Apple Mail build::

    multipart/mixed                      (only when the baked PNG is attached)
    ├── multipart/alternative
    │   ├── text/plain
    │   └── multipart/related            (only when there are inline images)
    │       ├── text/html                (refers to the images as cid:...)
    │       ├── image/png  badge         (Content-ID, inline)
    │       └── image/png  logo
    └── image/png  <slug>.png            (the baked badge, attachment)

The images belong to the HTML alternative only, so a text-only client lists no stray
attachments, and without inline images the message keeps its simpler shape.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from email import policy
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import parseaddr
from functools import lru_cache
from typing import Any, Final

from jinja2 import Environment

from badgeflow.catalog_branding import Branding, png_size
from badgeflow.models import AchievementInfo, IssuerInfo

__all__ = [
    "POLICY",
    "EmailDesign",
    "InlineImage",
    "MessageParts",
    "assemble",
    "clean_line",
    "inline_image",
    "mailbox",
    "safe_parties",
    "sender_address",
]

BADGE_SIZE = 120
LOGO_HEIGHT = 40
# Bidi embeddings, overrides and isolates: legitimate right-to-left names never need them,
# and an unbalanced override (U+202E) would reverse the text after it in a subject line.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")
_DOT_ATOM_ADDRESS = re.compile(
    r"([A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)\Z"
)


def clean_line(text: str) -> str:
    """Make a one-line display value safe for headers and bodies.

    Line breaks (CR, LF and the Unicode separators), other control characters and bidi
    override controls become spaces or vanish, so a learner name or a title can neither
    inject a header nor reorder the text around it.

    Args:
        text: a name or title as received.

    Returns:
        The text on one line, runs of whitespace collapsed, stripped.
    """
    if text.isascii() and text.isprintable():
        return _SPACES.sub(" ", text).strip()  # no control or bidi character to take out
    text = _BIDI_CONTROLS.sub("", text)
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)
    return _SPACES.sub(" ", text).strip()


class _HeaderClasses(HeaderRegistry):
    """Python's header registry, remembering the classes it makes and the headers it parses.

    The stock registry builds a new class (``type(...)``) for every header it parses, a
    quarter of a millisecond each, dozens per message, and most headers (``MIME-Version``,
    ``Content-Type: text/plain``, ``From``, the subject of an achievement) repeat from one
    message to the next. Parsed headers are immutable, so the same one can sit in many
    messages; the parse of a string is the same every time, so the bytes are too.
    """

    _MAX_PARSED: Final = 10_000

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}
        self._parsed: dict[tuple[str, str], BaseHeader] = {}

    def __call__(self, name: str, value: Any) -> BaseHeader:
        if type(value) is not str:
            return super().__call__(name, value)
        key = (name, value)
        parsed = self._parsed.get(key)
        if parsed is None:
            if len(self._parsed) >= self._MAX_PARSED:
                self._parsed.clear()
            parsed = self._parsed[key] = super().__call__(name, value)
        return parsed

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


POLICY: Final = policy.default.clone(header_factory=_HeaderClasses())
"""`email.policy.default` with a header registry that remembers its classes: same bytes."""


@dataclass(frozen=True)
class EmailDesign:
    """What the catalog decides about every email: branding, logo, templates.

    Attributes:
        branding: colours, sender name, footer and contacts (``branding.yaml``).
        logo_png: the logo embedded in every email, or None for a text header.
        templates: the jinja2 environment (with the catalog's overrides), or None for the
            packaged templates.
    """

    branding: Branding = field(default_factory=Branding)
    logo_png: bytes | None = None
    templates: Environment | None = None


@dataclass(frozen=True)
class InlineImage:
    """An image carried in the message and shown by the HTML part as ``cid:<cid>``."""

    cid: str
    data: bytes
    filename: str
    width: int
    height: int
    alt: str

    @property
    def src(self) -> str:
        """The ``src`` attribute value."""
        return f"cid:{self.cid}"


@dataclass(frozen=True)
class MessageParts:
    """What an email is made of, before it becomes a MIME tree (`assemble`) or bytes.

    Attributes:
        headers: header name to value (str or `Address`; None leaves it out), in order.
        text: the plain-text part.
        html: the HTML part, referring to ``images`` by ``cid:``.
        images: the inline images.
        attachment: (file name, PNG) of the baked badge, or None.
        encoded: (transfer encoding, payload) of ``text`` and of ``html``, when already
            encoded (`badgeflow.notify.stencil`): what ``set_content`` would give them.
    """

    headers: dict[str, Any]
    text: str
    html: str
    images: tuple[InlineImage, ...]
    attachment: tuple[str, bytes] | None
    encoded: tuple[tuple[str, str], tuple[str, str]] | None = None

    def message(self) -> EmailMessage:
        """The message, built by `assemble`."""
        return assemble(
            headers=self.headers,
            text=self.text,
            html=self.html,
            images=list(self.images),
            attachment=self.attachment,
        )


def inline_image(
    role: str, data: bytes, *, domain: str, alt: str, height: int, filename: str
) -> InlineImage:
    """Describe a PNG to embed, with a Content-ID derived from its bytes.

    The id depends only on the image, so rendering the same email twice gives the same
    bytes (a resend is recognisable, and the preview is reproducible).

    Args:
        role: ``badge`` or ``logo`` (part of the Content-ID).
        data: the PNG.
        domain: right-hand side of the Content-ID.
        alt: the ``alt`` text.
        height: display height in CSS pixels; the width keeps the aspect ratio.
        filename: the part's file name.

    Returns:
        The image, its display size computed from the PNG header.
    """
    width, real_height = png_size(data) or (height, height)
    shown_width = max(1, round(width * height / max(real_height, 1)))
    digest = hashlib.sha256(data).hexdigest()[:16]
    return InlineImage(f"{role}.{digest}@{domain}", data, filename, shown_width, height, alt)


def sender_address(from_address: str, branding: Branding) -> Address:
    """The ``From:`` mailbox: the setting's address with the branding's display name.

    The address always comes from ``mail.from_address``: it is what the mail server is
    authorised to send as (SPF, DKIM, DMARC alignment), an operations decision; the catalog
    only names the sender.

    Args:
        from_address: ``mail.from_address``, e.g. ``Academy <badges@example.org>``.
        branding: the catalog's branding.

    Returns:
        The mailbox, its display name on one line.
    """
    return _sender(from_address, branding.sender_name)


@lru_cache(maxsize=64)
def _sender(from_address: str, sender_name: str | None) -> Address:
    # Address objects are immutable: every message of a run shares one.
    name, addr = parseaddr(from_address)
    return Address(display_name=clean_line(sender_name or name), addr_spec=addr)


def mailbox(display_name: str, addr_spec: str) -> Address:
    """``Address(display_name=..., addr_spec=...)``, without parsing a plain address.

    A ``local@domain`` of dot-separated atoms parses to exactly its two halves; anything
    else goes through the parser (and raises as it does).

    Args:
        display_name: the display name (on one line).
        addr_spec: the address.

    Returns:
        The mailbox.
    """
    plain = _DOT_ATOM_ADDRESS.match(addr_spec)
    if plain is None:
        return Address(display_name=display_name, addr_spec=addr_spec)
    return Address(display_name=display_name, username=plain[1], domain=plain[2])


def safe_parties(
    achievement: AchievementInfo, issuer: IssuerInfo
) -> tuple[AchievementInfo, IssuerInfo]:
    """The achievement and issuer with their names on one line (see `clean_line`)."""
    return (
        replace(achievement, name=clean_line(achievement.name)),
        replace(issuer, name=clean_line(issuer.name)),
    )


def assemble(
    *,
    headers: dict[str, Any],
    text: str,
    html: str,
    images: list[InlineImage],
    attachment: tuple[str, bytes] | None,
) -> EmailMessage:
    """Build the MIME tree drawn in this module's docstring.

    Args:
        headers: header name to value (str or `Address`), in order.
        text: the plain-text part.
        html: the HTML part, referring to ``images`` by ``cid:``.
        images: the inline images.
        attachment: (file name, PNG) of the baked badge, or None.

    Returns:
        The message.
    """
    message = EmailMessage(policy=POLICY)
    for name, value in headers.items():
        if value is not None:
            message[name] = value
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    html_part = next(part for part in message.iter_parts() if part.get_content_subtype() == "html")
    if images:
        html_part.make_related()
    for image in images:
        # What `add_related` would build, encoded once per image and shared by every message
        # (parts are never changed after they are built, and flattening only reads them).
        html_part.attach(_image_part(image))
    if attachment is not None:
        filename, data = attachment
        message.add_attachment(data, maintype="image", subtype="png", filename=filename)
    _fix_boundaries(message)
    return message


@lru_cache(maxsize=64)
def _image_part(image: InlineImage) -> EmailMessage:
    part = EmailMessage(policy=POLICY)
    part.set_content(
        image.data,
        maintype="image",
        subtype="png",
        cid=f"<{image.cid}>",
        filename=image.filename,
        disposition="inline",
    )
    return part


def _fix_boundaries(message: EmailMessage) -> None:
    # Python picks random MIME boundaries; derive them from the content instead, so the same
    # email renders to the same bytes. A boundary must not occur in the content: it embeds a
    # hash of all of it, which no part can contain (leaves are text, base64 or QP).
    digest = hashlib.sha256()
    for part in message.walk():
        if not part.is_multipart():  # headers and encoded payload: cheaper than as_bytes()
            digest.update(repr([(k, str(v)) for k, v in part.items()]).encode())
            digest.update(str(part.get_payload()).encode())
    token = digest.hexdigest()[:32]
    multiparts = [part for part in message.walk() if part.is_multipart()]
    for depth, part in enumerate(multiparts):
        part.set_boundary(f"==bf{depth}_{token}==")
