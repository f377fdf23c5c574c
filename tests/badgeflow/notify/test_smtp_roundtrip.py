"""A rendered, branded award email survives a real SMTP hop (aiosmtpd on loopback) intact."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.header import decode_header, make_header

from badgeflow.notify.mailer import SmtpMailer
from tests.badgeflow.notify.test_design import BADGE, LOGO, branded
from tests.badgeflow.notify.test_hostile import ARABIC, QUOTES
from tests.badgeflow.notify.test_mailer import RecordingHandler, smtp_server  # noqa: F401
from tests.badgeflow.notify.test_render import PNG


def test_the_server_receives_exactly_what_was_rendered(smtp_server):  # noqa: F811
    handler = RecordingHandler()
    server = smtp_server(handler)
    message = branded(learner_name=f"{ARABIC} {QUOTES}")
    SmtpMailer(server.hostname, server.port, timeout=5).send(message)
    ((mail_from, rcpt_tos, content),) = handler.received
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
