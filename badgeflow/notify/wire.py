"""Write a learner email's bytes directly: what `assemble` plus the email package's flattening give.

Building the `EmailMessage` tree (header objects, ``set_content``, policy folding) and
flattening it costs milliseconds a message, and the SMTP client flattened it once more. The
tree is always the one drawn in `badgeflow.notify.compose`, so `prepare` writes its bytes
straight away: the text parts are encoded by the email package's own function, the inline
images are flattened once per image (by the email package) and pasted, the baked badge is
base64-encoded in C, and the boundaries are derived from the same digest `assemble` takes.

Headers whose value is plain (printable ASCII words, a simple address, a short line) are
written as they are, which is what folding leaves of them; any other header is folded by the
policy itself, exactly as the generator would. An email `prepare` does not handle (another
header, a non-ASCII envelope address, which needs SMTPUTF8) gives None: the caller then
builds the message with `assemble` (the general path). Either way the bytes are the same;
``tests/badgeflow/notify/test_wire.py`` compares the two over hostile input.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email.generator import BytesGenerator
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import getaddresses
from functools import lru_cache
from io import BytesIO
from typing import Any, Final

from badgeflow.notify._qp import base64_lines, encode_text
from badgeflow.notify.compose import POLICY, InlineImage, MessageParts, _image_part

__all__ = ["PreparedEmail", "date_line", "prepare"]

_MAX_LINE: Final = POLICY.max_line_length or 78
# Header values written as they are: folding leaves a short line of these unchanged.
_PLAIN_TEXT = re.compile(r"[!-~]+(?: [!-~]+)*\Z")
_PLAIN_ID = re.compile(r"<[A-Za-z0-9._-]+@[A-Za-z0-9.-]+>\Z")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9]+(?:[ '-][A-Za-z0-9]+)*\Z")
_PLAIN_ADDR = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\Z"
)
_UNSTRUCTURED: Final = frozenset({"subject", "auto-submitted", "x-auto-response-suppress"})
_ADDRESSES: Final = frozenset({"from", "to", "reply-to"})
_KNOWN: Final = _UNSTRUCTURED | _ADDRESSES | {"message-id"}
_GENERAL_CACHE_SIZE: Final = 4096


@dataclass(frozen=True)
class PreparedEmail:
    """A learner email as bytes, with what sending it needs to know.

    Attributes:
        message_id: the ``Message-ID`` header value.
        subject: the ``Subject`` as ``message["Subject"]`` reads it, or None.
        sender: the envelope sender (``MAIL FROM``), as `smtplib` derives it from ``From``.
        recipients: the envelope recipients (``RCPT TO``), from ``To``.
        head: the header lines (LF line ends), without ``Date`` and the blank line.
        body: everything after the blank line (LF line ends).
        smtp_body: the body as `smtplib` sends it, when that differs: its flattening
            "mangles" a text part's lines starting with ``From `` into ``>From ``.
    """

    message_id: str
    subject: str | None
    sender: str
    recipients: tuple[str, ...]
    head: bytes
    body: bytes
    smtp_body: bytes | None = None

    def as_bytes(self, date: bytes = b"") -> bytes:
        """The message as ``EmailMessage.as_bytes()`` gives it (LF line ends).

        Args:
            date: a folded ``Date`` header line (see `date_line`), or nothing.

        Returns:
            The message bytes.
        """
        return b"".join((self.head, date, b"\n", self.body))

    def wire(self, date: bytes = b"") -> bytes:
        """The message as `smtplib` sends it, before dot-stuffing (CRLF line ends).

        Args:
            date: a folded ``Date`` header line (see `date_line`), or nothing.

        Returns:
            The message bytes.
        """
        body = self.body if self.smtp_body is None else self.smtp_body
        return b"".join((self.head, date, b"\n", body)).replace(b"\n", b"\r\n")


@lru_cache(maxsize=4)
def date_line(value: str) -> bytes:
    """The ``Date`` header line ``message["Date"] = value`` would add (LF line end).

    Args:
        value: e.g. ``formatdate(usegmt=True)``.

    Returns:
        The folded header line.
    """
    return bytes(POLICY.fold_binary(*POLICY.header_store_parse("Date", value)))


def prepare(parts: MessageParts) -> PreparedEmail | None:
    """Write the bytes `assemble` and flattening would give for these parts.

    Args:
        parts: the headers, text, HTML, inline images and attachment of an email.

    Returns:
        The prepared email, or None when it is one for the general path (see module doc).
    """
    head = []
    decoded: dict[str, str] = {}
    mailboxes: dict[str, tuple[str, ...]] = {"from": (), "to": ()}
    for name, value in parts.headers.items():
        if value is None:
            continue
        key = name.lower()
        if key not in _KNOWN:
            return None
        line, text, plain = _header(name, value)
        head.append(line)
        decoded[key] = text
        if key in mailboxes:
            # A plain mailbox is its own envelope address; smtplib parses the others.
            found = (value.addr_spec,) if plain and isinstance(value, Address) else None
            mailboxes[key] = found or tuple(a for _, a in getaddresses([text]))
    sender = mailboxes["from"][0] if mailboxes["from"] else ""
    recipients = mailboxes["to"]
    if "message-id" not in decoded or not (sender + "".join(recipients)).isascii():
        return None
    root_head, root_body, smtp_body = _tree(parts, b"".join(head))
    if b"\r" in root_head or b"\r" in root_body:
        return None  # a bare CR would become a line break in smtplib's copy, not in ours
    return PreparedEmail(
        message_id=decoded["message-id"],
        subject=decoded.get("subject"),
        sender=sender,
        recipients=recipients,
        head=root_head,
        body=root_body,
        smtp_body=smtp_body,
    )


def _header(name: str, value: Any) -> tuple[bytes, str, bool]:
    # (the folded line, the value as message[name] reads it, whether it is written as is)
    plain = _plain(name.lower(), value)
    if plain is None or len(name) + 2 + len(plain) > _MAX_LINE:
        key = (value.display_name, value.addr_spec) if isinstance(value, Address) else value
        return *_general(name, key if isinstance(key, str | tuple) else None, value), False
    return f"{name}: {plain}\n".encode("ascii"), plain, True


def _plain(key: str, value: Any) -> str | None:
    # The value's text when folding leaves it as it is, else None.
    if isinstance(value, Address):
        display, addr = value.display_name, value.addr_spec
        if _PLAIN_ADDR.match(addr) and (not display or _PLAIN_NAME.match(display)):
            return f"{display} <{addr}>" if display else addr
        return None
    if type(value) is not str:
        return None
    if key in _UNSTRUCTURED and _PLAIN_TEXT.match(value) and "=?" not in value:
        return value
    if key == "message-id" and _PLAIN_ID.match(value):
        return value
    return None


_general_cache: dict[tuple[str, Any], tuple[bytes, str]] = {}


def _general(name: str, key: Any, value: Any) -> tuple[bytes, str]:
    # What `message[name] = value` stores and the generator writes, via the policy itself.
    cache_key = (name, key) if key is not None else None
    if cache_key is not None:
        found = _general_cache.get(cache_key)
        if found is not None:
            return found
    stored_name, stored = POLICY.header_store_parse(name, value)
    result = bytes(POLICY.fold_binary(stored_name, stored)), str(stored)
    if cache_key is not None:
        if len(_general_cache) >= _GENERAL_CACHE_SIZE:
            _general_cache.clear()
        _general_cache[cache_key] = result
    return result


@lru_cache(maxsize=16)
def _leaf_head(subtype: str, cte: str, mime_version: bool) -> tuple[bytes, bytes]:
    # A text part's header lines and its digest entry, from a part the email package made.
    part = EmailMessage(policy=POLICY)
    part.set_content("x", subtype=subtype, cte=cte)
    if not mime_version:
        del part["MIME-Version"]
    return _flat_head(part), repr([(k, str(v)) for k, v in part.items()]).encode()


@lru_cache(maxsize=64)
def _attachment_head(filename: str) -> tuple[bytes, bytes]:
    part = EmailMessage(policy=POLICY)
    part.set_content(b"x", maintype="image", subtype="png", filename=filename)
    return _flat_head(part), repr([(k, str(v)) for k, v in part.items()]).encode()


@lru_cache(maxsize=64)
def _image(image: InlineImage) -> tuple[bytes, bytes]:
    # (the flattened part, its digest entry): the same for every email showing this image.
    part = _image_part(image)
    out = BytesIO()
    BytesGenerator(out, policy=POLICY).flatten(part)
    items = repr([(k, str(v)) for k, v in part.items()]).encode()
    return out.getvalue(), items + str(part.get_payload()).encode()


def _flat_head(part: EmailMessage) -> bytes:
    return b"".join(POLICY.fold_binary(k, v) for k, v in part.raw_items())


def _text_leaf(
    text: str, subtype: str, mime_version: bool, encoded: tuple[str, str] | None
) -> tuple[bytes, bytes]:
    cte, payload = encode_text(text) if encoded is None else encoded
    head, items = _leaf_head(subtype, cte, mime_version)
    data = payload.encode("utf-8", "surrogateescape")
    return head + b"\n" + data, items + data


def _multipart(
    subtype: str, boundary: str, parts: list[bytes], head: bytes = b""
) -> tuple[bytes, bytes]:
    # (header lines, body) of a multipart, as the generator writes them.
    mark = f"--{boundary}".encode("ascii")
    content_type = f'Content-Type: multipart/{subtype};\n boundary="{boundary}"\n'
    inner = b"\n" + mark + b"\n"
    body = b"".join((mark, b"\n", inner.join(parts), b"\n", mark, b"--\n"))
    return head + content_type.encode("ascii"), body


def _flat(head_and_body: tuple[bytes, bytes]) -> bytes:
    return head_and_body[0] + b"\n" + head_and_body[1]


def _tree(parts: MessageParts, headers: bytes) -> tuple[bytes, bytes, bytes | None]:
    # (root header lines, root body, root body as smtplib sends it if different) of the
    # tree drawn in badgeflow.notify.compose.
    text_encoded, html_encoded = parts.encoded or (None, None)
    text, text_digest = _text_leaf(parts.text, "plain", False, text_encoded)
    html, html_digest = _text_leaf(parts.html, "html", not parts.images, html_encoded)
    digest = hashlib.sha256(text_digest)
    digest.update(html_digest)
    images = [_image(image) for image in parts.images]
    for _, image_digest in images:
        digest.update(image_digest)
    attachment = None
    if parts.attachment is not None:
        filename, data = parts.attachment
        attachment_head, items = _attachment_head(filename)
        payload = base64_lines(data)
        attachment = attachment_head + b"\n" + payload
        digest.update(items)
        digest.update(payload)
    shape = _Shape(headers, digest.hexdigest()[:32], [flat for flat, _ in images], attachment)
    head, body = shape.build(text, html)
    # smtplib flattens with mangle_from_: a text line starting "From " gets a ">" (a leaf's
    # own header lines never start so; base64 parts cannot contain a space).
    if b"\nFrom " not in text and b"\nFrom " not in html:
        return head, body, None
    mangled = (leaf.replace(b"\nFrom ", b"\n>From ") for leaf in (text, html))
    return head, body, shape.build(*mangled)[1]


@dataclass(frozen=True)
class _Shape:
    headers: bytes
    token: str
    images: list[bytes]
    attachment: bytes | None

    def build(self, text: bytes, html: bytes) -> tuple[bytes, bytes]:
        # Boundaries are numbered in walk order: mixed (if any), alternative, related (if any).
        token = self.token
        first = 0 if self.attachment is None else 1
        alternative_boundary = f"==bf{first}_{token}=="
        html_side = html
        if self.images:
            html_side = _flat(
                _multipart(
                    "related",
                    f"==bf{first + 1}_{token}==",
                    [html, *self.images],
                    b"MIME-Version: 1.0\n",
                )
            )
        root_head = self.headers + b"MIME-Version: 1.0\n"
        alternative = [text, html_side]
        if self.attachment is None:
            return _multipart("alternative", alternative_boundary, alternative, root_head)
        inner = _flat(_multipart("alternative", alternative_boundary, alternative))
        return _multipart("mixed", f"==bf0_{token}==", [inner, self.attachment], root_head)
