"""SMTP delivery with `smtplib`: plain, STARTTLS or implicit TLS, one connection per session.

`SmtpMailer.session()` opens one connection and sends many messages over it. Before
reusing the connection for the next message it checks the server is still there (``NOOP``);
a connection the server closed while idle is reopened once. A connection lost *during* a
message is not retried on the spot: the server may have taken the message without saying
so, so the message is reported transient and retried on a later run with the same
``Message-ID`` (a detectable duplicate at worst).

Connection problems and 4xx answers raise `DeliveryUnavailable` (retry later); 5xx answers
raise `DeliveryError`. Neither logs nor error messages carry the password or the
recipient's address: server replies are scrubbed of the recipient before being quoted.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from types import TracebackType
from typing import Final, Literal

from badgeflow.errors import DeliveryError, DeliveryUnavailable, MailServerUnreachable
from badgeflow.notify._client import _Client, _TlsClient
from badgeflow.notify.ratelimit import RateLimiter
from badgeflow.notify.wire import PreparedEmail, date_line

__all__ = ["SmtpMailer", "SmtpSecurity", "SmtpSession", "message_id_of"]

logger = logging.getLogger(__name__)

SmtpSecurity = Literal["none", "starttls", "tls"]
IDLE_CHECK_SECONDS: Final = 5.0
"""A connection idle this long is checked with ``NOOP`` before the next message."""


def message_id_of(message: EmailMessage) -> str:
    """Return a message's ``Message-ID``.

    Args:
        message: the message about to be sent.

    Returns:
        The header value.

    Raises:
        DeliveryError: the message has none (it could not be delivered idempotently).
    """
    message_id = message["Message-ID"]
    if not message_id:
        raise DeliveryError("message has no Message-ID header; cannot deliver it idempotently")
    return str(message_id)


class SmtpMailer:
    """Send messages through an SMTP server.

    Args:
        host: server host.
        port: server port (465 for implicit TLS, 587 for STARTTLS, usually).
        username: login, or None to send without AUTH.
        password: password for ``username``.
        security: ``none``, ``starttls`` (upgrade after connecting) or ``tls`` (implicit).
        starttls: deprecated spelling of ``security="starttls"``.
        ca_file: PEM file of CA certificates to trust instead of the system's.
        timeout: socket timeout in seconds.
        rate_limiter: spaces out messages (shared by every session of this mailer).
        clock: monotonic seconds, to tell how long a connection has been idle.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        security: SmtpSecurity = "none",
        starttls: bool = False,
        ca_file: Path | None = None,
        timeout: float = 30.0,
        rate_limiter: RateLimiter | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self._password = password
        self.security: SmtpSecurity = "starttls" if starttls and security == "none" else security
        self.ca_file = ca_file
        self.timeout = timeout
        self.rate_limiter = rate_limiter
        self.clock = clock

    def __repr__(self) -> str:
        return (
            f"SmtpMailer({self.host!r}, {self.port}, username={self.username!r}, "
            f"password={'***' if self._password else None}, security={self.security!r})"
        )

    @property
    def where(self) -> str:
        """``host:port``, for messages."""
        return f"{self.host}:{self.port}"

    def session(self) -> SmtpSession:
        """Return a session that sends many messages over one connection (a context manager)."""
        return SmtpSession(self)

    def send(self, message: EmailMessage) -> str:
        """Send one message on a connection of its own (see `session` for many).

        Args:
            message: a complete message with ``Message-ID``, ``From`` and ``To`` headers.

        Returns:
            The message's ``Message-ID``.

        Raises:
            DeliveryUnavailable: the server is unreachable, disconnected, or answered 4xx.
            DeliveryError: the server answered 5xx (or the exchange failed otherwise).
        """
        with self.session() as session:
            return session.send(message)

    def _tls_context(self) -> ssl.SSLContext:
        cafile = str(self.ca_file) if self.ca_file is not None else None
        return ssl.create_default_context(cafile=cafile)

    def connect(self) -> smtplib.SMTP:
        """Open, secure and authenticate a connection.

        Returns:
            The connected client.

        Raises:
            MailServerUnreachable: the server cannot be reached or answered 4xx.
            DeliveryError: TLS, AUTH or the server's answers rule out sending at all.
        """
        try:
            smtp = self._open()
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"SMTP server {self.where} refused the login ({exc.smtp_code})", code=exc.smtp_code
            ) from None
        except smtplib.SMTPResponseException as exc:
            text = f"SMTP server {self.where} answered {exc.smtp_code} while connecting"
            if 400 <= exc.smtp_code < 500:
                raise MailServerUnreachable(text, code=exc.smtp_code) from None
            raise DeliveryError(text, code=exc.smtp_code) from None
        except smtplib.SMTPServerDisconnected as exc:
            raise MailServerUnreachable(f"SMTP server {self.where} disconnected: {exc}") from exc
        except (smtplib.SMTPException, ssl.SSLError, ssl.CertificateError) as exc:
            # A server without STARTTLS, or a certificate we do not trust: configuration,
            # not a transient problem (SMTPException and SSLError subclass OSError).
            raise DeliveryError(
                f"cannot set up SMTP with {self.where}: {type(exc).__name__}: {exc}"
            ) from None
        except OSError as exc:
            raise MailServerUnreachable(
                f"cannot reach SMTP server {self.where}: {type(exc).__name__}: {exc}"
            ) from exc
        logger.debug("connected to %s (%s)", self.where, self.security)
        return smtp

    def _open(self) -> smtplib.SMTP:
        smtp: smtplib.SMTP
        if self.security == "tls":
            smtp = _TlsClient(
                self.host, self.port, timeout=self.timeout, context=self._tls_context()
            )
        else:
            smtp = _Client(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.security == "starttls":
                smtp.starttls(context=self._tls_context())
                smtp.ehlo()
            if self.username is not None:
                smtp.login(self.username, self._password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


class SmtpSession:
    """One SMTP connection, opened on first use and reused for every message.

    Attributes:
        connections: how many connections this session opened.
    """

    def __init__(self, mailer: SmtpMailer) -> None:
        self.mailer = mailer
        self.connections = 0
        self._smtp: smtplib.SMTP | None = None
        self._used = False
        self._drops = 0
        self._last_reply = 0.0

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def open(self) -> None:
        """Connect now, so a bad configuration shows before any message is attempted.

        Raises:
            MailServerUnreachable: the server cannot be reached.
            DeliveryError: TLS or AUTH failed.
        """
        if self._smtp is None:
            self._smtp = self.mailer.connect()
            self.connections += 1
            self._used = False

    def close(self) -> None:
        """Say ``QUIT`` and close the connection (quietly if it is already gone)."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def _discard(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    def _ready(self) -> smtplib.SMTP:
        idle = self.mailer.clock() - self._last_reply
        if (
            self._smtp is not None
            and self._used
            and (self._smtp.sock is None or idle >= IDLE_CHECK_SECONDS)
        ):
            # Only an idle connection may have been closed by the server unannounced; one
            # that answered a moment ago is used as it is (a NOOP is a round trip a message).
            try:
                alive = self._smtp.noop()[0] == 250
            except (smtplib.SMTPException, OSError):
                alive = False
            if not alive:
                # Closed while idle (servers time out idle clients): reopen once.
                logger.info("SMTP connection to %s went away; reconnecting", self.mailer.where)
                self._discard()
        if self._smtp is None:
            try:
                self.open()
            except DeliveryError as exc:
                if self.connections == 0:
                    raise
                raise MailServerUnreachable(f"reconnecting failed: {exc}", code=exc.code) from exc
        assert self._smtp is not None
        return self._smtp

    def send(self, message: EmailMessage) -> str:
        """Send one message on this session's connection, adding ``Date`` if missing.

        Args:
            message: a complete message with ``Message-ID``, ``From`` and ``To`` headers.

        Returns:
            The message's ``Message-ID``.

        Raises:
            MailServerUnreachable: no connection (stop sending; the rest can wait).
            DeliveryUnavailable: 4xx, or the connection was lost during this message.
            DeliveryError: the server refused the message for good (5xx).
        """
        message_id = message_id_of(message)
        if "Date" not in message:
            message["Date"] = formatdate(usegmt=True)
        recipients = [str(a.addr_spec) for a in getattr(message["To"], "addresses", ())]
        return self._deliver(message_id, recipients, lambda smtp: smtp.send_message(message))

    def send_prepared(self, email: PreparedEmail) -> str:
        """Send a message already written as bytes (see `badgeflow.notify.wire`), adding ``Date``.

        The server gets the bytes `send` would send for the same message.

        Args:
            email: the prepared message.

        Returns:
            The message's ``Message-ID``.

        Raises:
            MailServerUnreachable: no connection (stop sending; the rest can wait).
            DeliveryUnavailable: 4xx, or the connection was lost during this message.
            DeliveryError: the server refused the message for good (5xx).
        """
        data = email.wire(date_line(formatdate(usegmt=True)))
        recipients = list(email.recipients)
        return self._deliver(
            email.message_id,
            recipients,
            lambda smtp: smtp.sendmail(email.sender, recipients, data),
        )

    def _deliver(
        self,
        message_id: str,
        recipients: Sequence[str],
        transmit: Callable[[smtplib.SMTP], dict[str, tuple[int, bytes]]],
    ) -> str:
        if self.mailer.rate_limiter is not None:
            self.mailer.rate_limiter.acquire()
        smtp = self._ready()
        where = self.mailer.where
        self._used = True
        try:
            refused = transmit(smtp)
        except smtplib.SMTPRecipientsRefused as exc:
            code = min({c for c, _ in exc.recipients.values()}, default=550)
            raise _error_for(code, f"{where} refused the recipient of {message_id}") from None
        except smtplib.SMTPResponseException as exc:
            reply = _scrub(_decode(exc.smtp_error), recipients)
            text = f"{where} rejected {message_id}: {exc.smtp_code} {reply}"
            raise _error_for(exc.smtp_code, text) from None
        except smtplib.SMTPServerDisconnected as exc:
            self._discard()
            self._drops += 1
            text = f"SMTP server {where} dropped the connection while sending {message_id}"
            if self._drops >= 2:
                raise MailServerUnreachable(f"{text} (again)") from exc
            raise DeliveryUnavailable(text) from exc
        except smtplib.SMTPException as exc:
            # Before OSError (its base): e.g. an address the server cannot carry (SMTPUTF8).
            raise DeliveryError(f"{where} cannot take {message_id}: {type(exc).__name__}") from None
        except OSError as exc:
            self._discard()
            self._drops += 1
            text = f"connection to {where} failed while sending {message_id}: {exc}"
            if self._drops >= 2:
                raise MailServerUnreachable(text) from exc
            raise DeliveryUnavailable(text) from exc
        finally:
            self._last_reply = self.mailer.clock()
        self._drops = 0
        if refused:
            # Only some recipients were refused (we send to one, so this is unusual).
            code = min(c for c, _ in refused.values())
            raise _error_for(code, f"{where} refused a recipient of {message_id}")
        logger.info("sent message %s via %s", message_id, where)
        return message_id


def _error_for(code: int, text: str) -> DeliveryError:
    if 400 <= code < 500:
        return DeliveryUnavailable(text, code=code)
    return DeliveryError(text, code=code)


def _decode(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _scrub(text: str, addresses: Sequence[str]) -> str:
    for address in addresses:
        if address:
            text = re.sub(re.escape(address), "<recipient>", text, flags=re.IGNORECASE)
    return text
