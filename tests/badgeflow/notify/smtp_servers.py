"""Real SMTP servers on loopback (aiosmtpd) for delivery tests, and a self-signed certificate."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Handler:
    """aiosmtpd handler: records what it accepts, counts connections, misbehaves on request.

    ``mail_replies`` / ``rcpt_replies`` / ``data_replies`` are consumed one per message
    (None = accept); ``drop_data`` lists message numbers (1-based, counted at DATA) whose
    connection is cut after the server has read the whole message but before it answers;
    ``pipelining`` offers PIPELINING (RFC 2920) in the EHLO reply, as Postfix does.
    """

    pipelining: bool = False
    mail_replies: list[str | None] = field(default_factory=list)
    rcpt_replies: list[str | None] = field(default_factory=list)
    data_replies: list[str | None] = field(default_factory=list)
    drop_data: set[int] = field(default_factory=set)
    received: list[bytes] = field(default_factory=list)
    sessions: list[object] = field(default_factory=list)
    data_seen: int = 0
    noops: int = 0

    @property
    def connections(self) -> int:
        return len(self.sessions)

    def message_ids(self) -> list[str]:
        from email import message_from_bytes, policy

        return [
            str(message_from_bytes(raw, policy=policy.default)["Message-ID"])
            for raw in self.received
        ]

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname  # what aiosmtpd does itself without this hook
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        reply = self.mail_replies.pop(0) if self.mail_replies else None
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if not any(s is session for s in self.sessions):
            self.sessions.append(session)
        reply = self.rcpt_replies.pop(0) if self.rcpt_replies else None
        if reply:
            return reply.format(address=address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_NOOP(self, server, session, envelope, arg):
        self.noops += 1
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_seen += 1
        if self.data_seen in self.drop_data:
            self.received.append(envelope.content)  # the server got it; the client won't know
            server.transport.abort()
            return "250 never seen"
        reply = self.data_replies.pop(0) if self.data_replies else None
        if reply:
            return reply
        self.received.append(envelope.content)
        return "250 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"badges",
        b"s3cret-pw",
    )
    return AuthResult(success=ok, handled=False)


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_certificate(folder: Path) -> Certificate:
    """A self-signed P-256 certificate for 127.0.0.1 and localhost."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "badgeflow test SMTP")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(IPv4Address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(cert_path, key_path)


class Servers:
    """Starts aiosmtpd controllers on free loopback ports and stops them all at the end."""

    def __init__(self) -> None:
        self.started: list[Controller] = []

    def start(self, handler: Handler, **kwargs) -> Controller:
        controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
        controller.start()
        self.started.append(controller)
        return controller

    def stop(self) -> None:
        for controller in self.started:
            controller.stop()
