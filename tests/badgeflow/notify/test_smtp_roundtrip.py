"""A rendered, branded award email survives a real SMTP hop (aiosmtpd on loopback) intact."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller

from badgeflow.notify.mailer import SmtpMailer
from tests.badgeflow.notify.test_design import BADGE, LOGO, branded
from tests.badgeflow.notify.test_hostile import ARABIC, QUOTES
from tests.badgeflow.notify.test_render import PNG


class Recorder:
    """aiosmtpd handler keeping (MAIL FROM, RCPT TO, DATA) of every message it accepts."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def server():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(Recorder(), hostname="127.0.0.1", port=port)
    controller.start()
    yield controller
    controller.stop()


def test_the_server_receives_exactly_what_was_rendered(server):
    message = branded(learner_name=f"{ARABIC} {QUOTES}")
    SmtpMailer(server.hostname, server.port, timeout=5).send(message)
    ((mail_from, rcpt_tos, content),) = server.handler.received
    assert (mail_from, rcpt_tos) == ("badges@academy.example.org", ["ada@example.com"])
    # SMTP carries CRLF line ends and the mailer stamps Date: once those are accounted for,
    # the bytes are the rendered message's, byte for byte.
    assert message["Date"]
    assert content.replace(b"\r\n", b"\n") == message.as_bytes()
    received = message_from_bytes(content, policy=policy.default)
    (to,) = received["To"].addresses
    assert to.addr_spec == "ada@example.com"
    # The display name went out as RFC 2047 encoded words; the RFC's decoder gives it back
    # exactly (policy.default's parser adds a space between two adjacent words here).
    raw_to = message_from_bytes(content, policy=policy.compat32)["To"]
    assert str(make_header(decode_header(raw_to))) == f"{ARABIC} {QUOTES} <ada@example.com>"
    inline = [p.get_content() for p in received.walk() if p["Content-ID"]]
    assert sorted(inline) == sorted([BADGE, LOGO])
    assert [a.get_content() for a in received.iter_attachments()] == [PNG]
