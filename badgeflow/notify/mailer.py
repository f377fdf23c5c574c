"""Mail transports behind one `Mailer` protocol: `.eml` files for local runs, SMTP for real."""

from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
import tempfile
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Protocol

from badgeflow.errors import DeliveryError, DeliveryUnavailable

__all__ = ["FileMailer", "Mailer", "SmtpMailer"]

logger = logging.getLogger(__name__)

_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._@-]")


class Mailer(Protocol):
    """Something that delivers an email."""

    def send(self, message: EmailMessage) -> str:
        """Deliver one message.

        Args:
            message: a complete message with a ``Message-ID`` header.

        Returns:
            The message's ``Message-ID``.

        Raises:
            DeliveryUnavailable: temporary failure; retry later.
            DeliveryError: permanent failure.
        """
        ...


def _message_id(message: EmailMessage) -> str:
    message_id = message["Message-ID"]
    if not message_id:
        raise DeliveryError("message has no Message-ID header; cannot deliver it idempotently")
    return str(message_id)


class FileMailer:
    """Write each message to ``<outbox_dir>/<Message-ID>.eml`` (the offline transport).

    The file name depends only on the Message-ID, so sending the same message again
    overwrites its file instead of adding a second one. Writes are atomic (temp file + rename).
    """

    def __init__(self, outbox_dir: Path) -> None:
        self.outbox_dir = outbox_dir

    def __repr__(self) -> str:
        return f"FileMailer({str(self.outbox_dir)!r})"

    def path_for(self, message_id: str) -> Path:
        """Tell where a message with this Message-ID is written.

        Args:
            message_id: the header value, angle brackets included or not.

        Returns:
            The ``.eml`` path inside the outbox.
        """
        name = _UNSAFE_FILE_CHARS.sub("_", message_id.strip().strip("<>"))
        return self.outbox_dir / f"{name}.eml"

    def send(self, message: EmailMessage) -> str:
        """Write the message to the outbox.

        Args:
            message: a complete message with a ``Message-ID`` header.

        Returns:
            The message's ``Message-ID``.

        Raises:
            DeliveryError: the message has no Message-ID, or the outbox cannot be written.
        """
        message_id = _message_id(message)
        target = self.path_for(message_id)
        try:
            self.outbox_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=self.outbox_dir, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(message.as_bytes())
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp_name, target)
            except BaseException:
                Path(tmp_name).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise DeliveryError(f"cannot write {message_id} to the outbox: {exc}") from exc
        logger.info("wrote message %s to %s", message_id, target.name)
        return message_id


class SmtpMailer:
    """Send messages through an SMTP server with `smtplib`, one connection per message.

    Connection problems and 4xx answers raise `DeliveryUnavailable` (retry later); 5xx answers
    raise `DeliveryError`. Neither logs nor error messages carry the password or the
    recipient's address: server replies are scrubbed of the recipient before being quoted.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self._password = password
        self.starttls = starttls
        self.timeout = timeout

    def __repr__(self) -> str:
        return (
            f"SmtpMailer({self.host!r}, {self.port}, username={self.username!r}, "
            f"password={'***' if self._password else None}, starttls={self.starttls})"
        )

    def send(self, message: EmailMessage) -> str:
        """Send the message, adding a ``Date`` header if it has none.

        Args:
            message: a complete message with ``Message-ID``, ``From`` and ``To`` headers.

        Returns:
            The message's ``Message-ID``.

        Raises:
            DeliveryUnavailable: the server is unreachable, disconnected, or answered 4xx.
            DeliveryError: the server answered 5xx (or the exchange failed otherwise).
        """
        message_id = _message_id(message)
        if "Date" not in message:
            message["Date"] = formatdate(usegmt=True)
        recipients = [str(a.addr_spec) for a in getattr(message["To"], "addresses", ())]
        where = f"{self.host}:{self.port}"
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username is not None:
                    smtp.login(self.username, self._password or "")
                refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            raise _error_for(
                min(codes, default=550), f"{where} refused the recipient of {message_id}"
            ) from None
        except smtplib.SMTPResponseException as exc:
            reply = _scrub(_decode(exc.smtp_error), recipients)
            raise _error_for(
                exc.smtp_code, f"{where} rejected {message_id}: {exc.smtp_code} {reply}"
            ) from None
        except smtplib.SMTPServerDisconnected as exc:
            raise DeliveryUnavailable(f"SMTP server {where} disconnected: {exc}") from exc
        except smtplib.SMTPException as exc:
            # Before OSError: SMTPException subclasses it, but e.g. a server without
            # STARTTLS support is a configuration problem, not a transient one.
            raise DeliveryError(
                f"SMTP exchange with {where} failed for {message_id}: {type(exc).__name__}"
            ) from None
        except OSError as exc:
            raise DeliveryUnavailable(
                f"cannot reach SMTP server {where}: {type(exc).__name__}: {exc}"
            ) from exc
        if refused:
            # Only some recipients were refused (we send to one, so this is unusual).
            codes = sorted({code for code, _ in refused.values()})
            raise _error_for(codes[0], f"{where} refused a recipient of {message_id}")
        logger.info("sent message %s via %s", message_id, where)
        return message_id


def _error_for(code: int, text: str) -> DeliveryError:
    if 400 <= code < 500:
        return DeliveryUnavailable(text)
    return DeliveryError(text)


def _decode(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _scrub(text: str, addresses: list[str]) -> str:
    for address in addresses:
        if address:
            text = re.sub(re.escape(address), "<recipient>", text, flags=re.IGNORECASE)
    return text
