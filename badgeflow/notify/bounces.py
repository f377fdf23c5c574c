"""Read bounce reports (delivery status notifications) from a mailbox folder.

Standard reports are RFC 3464 ``multipart/report; report-type=delivery-status`` messages:
a ``message/delivery-status`` part (``Action``, ``Status``, ``Diagnostic-Code`` per
recipient) and the original message or its headers (``message/rfc822`` or
``text/rfc822-headers``), where the original ``Message-ID`` is. Postfix, Exim, Gmail and
most services send these. Older plain-text bounces ("Mail delivery failed", "Undelivered
Mail Returned to Sender") are read where it is cheap: the quoted original headers give the
Message-ID, and the first enhanced status code (or SMTP reply code) the status.

Addresses never leave this module: diagnostics are scrubbed of anything that looks like one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from pathlib import Path
from typing import Final

from badgeflow.errors import ConfigurationError

__all__ = ["Bounce", "mailbox_files", "parse_bounce", "read_bounces", "scrub_addresses"]

logger = logging.getLogger(__name__)

_ADDRESS: Final = re.compile(r"[^\s<>\"'()\[\];:,]+@[^\s<>\"'()\[\];:,]+")
_MESSAGE_ID: Final = re.compile(r"^Message-ID:\s*(<[^>\s]+>)", re.IGNORECASE | re.MULTILINE)
_ENHANCED: Final = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_REPLY_CODE: Final = re.compile(r"(?<!\d)([45]\d\d)[ -]")
_BOUNCE_SUBJECT: Final = re.compile(
    r"undeliver|delivery status notification|mail delivery (failed|failure)|returned mail|"
    r"delivery failure|failure notice",
    re.IGNORECASE,
)
_DAEMON: Final = re.compile(r"mailer-daemon|postmaster|mail delivery (sub)?system", re.IGNORECASE)
_MAX_DIAGNOSTIC: Final = 500


@dataclass(frozen=True)
class Bounce:
    """One bounce report, reduced to what the outbox needs."""

    message_id: str | None
    """The bounced message's ``Message-ID`` (None when the report does not quote it)."""
    status: str
    """Enhanced status code (``5.1.1``), or ``5.0.0`` / ``4.0.0`` from a bare reply code."""
    action: str
    """The DSN ``Action`` (``failed``, ``delayed``...), or ``failed`` / ``delayed`` guessed."""
    diagnostic: str
    """The remote server's words, without addresses."""
    source: str
    """The file it was read from."""

    @property
    def hard(self) -> bool:
        """A permanent failure: ``Action: failed`` (the remote side gave up), or 5.x.x."""
        return self.action == "failed" or self.status.startswith("5")


def scrub_addresses(text: str) -> str:
    """Replace anything that looks like an email address with ``[address]``.

    Args:
        text: a diagnostic or reply text.

    Returns:
        The text, one line, without addresses, at most 500 characters.
    """
    return " ".join(_ADDRESS.sub("[address]", text).split())[:_MAX_DIAGNOSTIC]


def parse_bounce(raw: bytes, *, source: str = "") -> Bounce | None:
    """Read one message; return its bounce report, or None when it is not a bounce.

    Args:
        raw: the message as stored in the mailbox.
        source: where it came from (kept in the result, for logs).

    Returns:
        The bounce, or None (an auto-reply, a human's mail, an unreadable file).
    """
    message = message_from_bytes(raw, policy=policy.default)
    if not isinstance(message, EmailMessage):  # pragma: no cover - policy.default guarantees it
        return None
    if message.get_content_type() == "multipart/report":
        found = _from_report(message, source)
        if found is not None:
            return found
    if _looks_like_bounce(message):
        return _from_plain(message, source)
    return None


def _looks_like_bounce(message: EmailMessage) -> bool:
    subject = str(message.get("Subject", ""))
    sender = str(message.get("From", ""))
    return bool(_BOUNCE_SUBJECT.search(subject)) and bool(
        _DAEMON.search(sender) or not message.get("Return-Path", "").strip("<> ")
    )


def _from_report(message: EmailMessage, source: str) -> Bounce | None:
    status_part = next(
        (p for p in message.walk() if p.get_content_type() == "message/delivery-status"), None
    )
    if status_part is None:
        return None
    blocks = [b for b in status_part.get_payload() if isinstance(b, Message)]
    recipients = [b for b in blocks if b.get("Action") or b.get("Status")]
    if not recipients:
        return None
    # We send to one recipient; a failed block wins over a delayed one.
    block = next((b for b in recipients if str(b.get("Action", "")).lower() == "failed"), None)
    block = block or recipients[0]
    status_match = _ENHANCED.search(str(block.get("Status", "")))
    action = str(block.get("Action", "")).strip().lower()
    status = ".".join(status_match.groups()) if status_match else ""
    if not status:
        status = "5.0.0" if action == "failed" else "4.0.0"
    if not action:
        action = "failed" if status.startswith("5") else "delayed"
    diagnostic = str(block.get("Diagnostic-Code", "")).partition(";")[2] or action
    return Bounce(
        message_id=_original_message_id(message),
        status=status,
        action=action,
        diagnostic=scrub_addresses(diagnostic),
        source=source,
    )


def _original_message_id(message: EmailMessage) -> str | None:
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message) and inner.get("Message-ID"):
                return str(inner["Message-ID"]).strip()
        elif kind == "text/rfc822-headers":
            text = part.get_payload(decode=True)
            if isinstance(text, bytes):
                headers = HeaderParser().parsestr(text.decode("utf-8", "replace"))
                if headers.get("Message-ID"):
                    return str(headers["Message-ID"]).strip()
    return None


def _from_plain(message: EmailMessage, source: str) -> Bounce:
    own = str(message.get("Message-ID", "")).strip()
    text = _all_text(message)
    quoted = [m for m in _MESSAGE_ID.findall(text) if m != own]
    enhanced = _ENHANCED.search(text)
    reply = _REPLY_CODE.search(text)
    if enhanced:
        status = ".".join(enhanced.groups())
    elif reply:
        status = f"{reply.group(1)[0]}.0.0"
    else:
        status = "5.0.0"
    found = enhanced or reply
    line = ""
    if found:
        start = text.rfind("\n", 0, found.start()) + 1
        end = text.find("\n", found.end())
        line = text[start : end if end != -1 else None]
    return Bounce(
        message_id=quoted[0] if quoted else None,
        status=status,
        action="failed" if status.startswith("5") else "delayed",
        diagnostic=scrub_addresses(line.strip() or str(message.get("Subject", ""))),
        source=source,
    )


def _all_text(message: EmailMessage) -> str:
    chunks: list[str] = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() not in ("text", "message"):
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            chunks.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(chunks)


def mailbox_files(folder: Path) -> Iterator[Path]:
    """List the message files of a Maildir (``new/`` and ``cur/``) or a folder of ``.eml``.

    Args:
        folder: the mailbox.

    Yields:
        Message files, sorted by name within each folder.
    """
    if (folder / "cur").is_dir() or (folder / "new").is_dir():
        for sub in ("new", "cur"):
            if (folder / sub).is_dir():
                yield from sorted(p for p in (folder / sub).iterdir() if p.is_file())
        return
    yield from sorted(p for p in folder.glob("*.eml") if p.is_file())


def read_bounces(folder: Path) -> list[Bounce]:
    """Read every bounce report in a mailbox folder; other messages are skipped.

    The mailbox is only read, never changed, so reading it again is harmless: recording a
    bounce twice changes nothing (`badgeflow.store.record_bounce`).

    Args:
        folder: a Maildir or a folder of ``.eml`` files.

    Returns:
        The bounces, in file order.

    Raises:
        ConfigurationError: the folder does not exist.
    """
    if not folder.is_dir():
        raise ConfigurationError(f"bounce mailbox {folder} is not a folder")
    found: list[Bounce] = []
    for path in mailbox_files(folder):
        bounce = parse_bounce(path.read_bytes(), source=path.name)
        if bounce is None:
            logger.debug("%s is not a bounce report; skipped", path.name)
            continue
        found.append(bounce)
    return found
