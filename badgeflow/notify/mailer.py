"""Mail transports behind one `Mailer` protocol: `.eml` files for local runs, SMTP for real.

Both transports also open a *session* (`Mailer.session`) for sending many messages in a
row: for SMTP one connection, for files nothing more than the folder. `SmtpMailer` lives in
`badgeflow.notify.smtp` and is re-exported here.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from contextlib import AbstractContextManager
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Protocol

from badgeflow.errors import DeliveryError
from badgeflow.notify.smtp import SmtpMailer, message_id_of
from badgeflow.notify.wire import PreparedEmail

__all__ = ["FileMailer", "FileSession", "MailSession", "Mailer", "SmtpMailer"]

logger = logging.getLogger(__name__)

_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._@-]")


class MailSession(Protocol):
    """An open channel for sending several messages (one SMTP connection, say)."""

    def open(self) -> None:
        """Get ready to send now, so a configuration problem shows before any message.

        Raises:
            DeliveryError: the transport cannot be used at all.
        """
        ...

    def send(self, message: EmailMessage) -> str:
        """Deliver one message; raises as `Mailer.send` does."""
        ...


class Mailer(Protocol):
    """Something that delivers an email."""

    def session(self) -> AbstractContextManager[MailSession]:
        """Return a context manager of a session for sending many messages in a row."""
        ...

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


class FileMailer:
    """Write each message to ``<outbox_dir>/<Message-ID>.eml`` (the offline transport).

    The file name depends only on the Message-ID, so sending the same message again
    overwrites its file instead of adding a second one. Writes are atomic (temp file + rename).
    """

    def __init__(self, outbox_dir: Path) -> None:
        self.outbox_dir = outbox_dir

    def __repr__(self) -> str:
        return f"FileMailer({str(self.outbox_dir)!r})"

    def session(self) -> FileSession:
        """Return a session writing to this outbox (a context manager)."""
        return FileSession(self)

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
        return self._write(message_id_of(message), message.as_bytes())

    def send_prepared(self, email: PreparedEmail) -> str:
        """Write a message already written as bytes (see `badgeflow.notify.wire`).

        Args:
            email: the prepared message; the file holds what `send` writes for it.

        Returns:
            The message's ``Message-ID``.

        Raises:
            DeliveryError: the outbox cannot be written.
        """
        return self._write(email.message_id, email.as_bytes())

    def _write(self, message_id: str, data: bytes) -> str:
        target = self.path_for(message_id)
        try:
            self.outbox_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=self.outbox_dir, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
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


class FileSession:
    """A `FileMailer` session: nothing to hold open, each message is one file."""

    def __init__(self, mailer: FileMailer) -> None:
        self.mailer = mailer

    def __enter__(self) -> FileSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def open(self) -> None:
        """Create the outbox folder.

        Raises:
            DeliveryError: it cannot be created.
        """
        try:
            self.mailer.outbox_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DeliveryError(f"cannot create the outbox: {exc}") from exc

    def send(self, message: EmailMessage) -> str:
        """Write one message (see `FileMailer.send`)."""
        return self.mailer.send(message)

    def send_prepared(self, email: PreparedEmail) -> str:
        """Write one prepared message (see `FileMailer.send_prepared`)."""
        return self.mailer.send_prepared(email)
