from __future__ import annotations

import logging
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from badgeflow.errors import DeliveryError, DeliveryUnavailable, is_transient
from badgeflow.notify.mailer import FileMailer, Mailer, SmtpMailer

RECIPIENT = "ada.lovelace@example.com"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def make_message(message_id: str = "<award.1234@badges.example.org>") -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = "You earned the Data Foundations badge"
    message["From"] = "Academy <badges@academy.example.org>"
    message["To"] = f"Ada <{RECIPIENT}>"
    message["Message-ID"] = message_id
    message.set_content("Hi Ada,\nplain text part\n")
    message.add_alternative("<p>Hi Ada, <b>HTML</b> part</p>", subtype="html")
    message.add_attachment(PNG, maintype="image", subtype="png", filename="data-foundations.png")
    return message


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- FileMailer ------------------------------------------------------------------------------


def test_file_mailer_is_a_mailer(tmp_path):
    mailer: Mailer = FileMailer(tmp_path)
    assert mailer.send(make_message()) == "<award.1234@badges.example.org>"


def test_file_mailer_writes_deterministic_name_and_overwrites_on_resend(tmp_path):
    outbox = tmp_path / "outbox"
    mailer = FileMailer(outbox)
    first = make_message()
    mailer.send(first)
    resent = make_message()
    resent.replace_header("Subject", "Resent subject")
    mailer.send(resent)
    files = sorted(p.name for p in outbox.iterdir())
    assert files == ["award.1234@badges.example.org.eml"]
    stored = message_from_bytes((outbox / files[0]).read_bytes(), policy=policy.default)
    assert stored["Subject"] == "Resent subject"
    assert [a.get_content() for a in stored.iter_attachments()] == [PNG]


def test_file_mailer_sanitises_the_file_name(tmp_path):
    mailer = FileMailer(tmp_path)
    mailer.send(make_message("<../../etc/passwd x@y>"))
    (written,) = tmp_path.iterdir()
    assert written.parent == tmp_path
    assert written.name == ".._.._etc_passwd_x@y.eml"


def test_file_mailer_different_messages_get_different_files(tmp_path):
    mailer = FileMailer(tmp_path)
    mailer.send(make_message("<a@x>"))
    mailer.send(make_message("<b@x>"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a@x.eml", "b@x.eml"]


def test_file_mailer_requires_a_message_id(tmp_path):
    message = make_message()
    del message["Message-ID"]
    with pytest.raises(DeliveryError, match="Message-ID"):
        FileMailer(tmp_path).send(message)
    assert list(tmp_path.iterdir()) == []


def test_file_mailer_unwritable_outbox_is_a_delivery_error(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(DeliveryError):
        FileMailer(blocker).send(make_message())


# --- SmtpMailer against a real SMTP server (aiosmtpd on loopback) ------------------------------


class RecordingHandler:
    """aiosmtpd handler: stores what it accepts; can answer RCPT or DATA with a fixed reply."""

    def __init__(self, rcpt_reply: str | None = None, data_reply: str | None = None) -> None:
        self.rcpt_reply = rcpt_reply
        self.data_reply = data_reply
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply.format(address=address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    started: list[Controller] = []

    def start(handler: RecordingHandler) -> Controller:
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        started.append(controller)
        return controller

    yield start
    for controller in started:
        controller.stop()


def test_smtp_delivers_the_message_intact(smtp_server, caplog):
    handler = RecordingHandler()
    server = smtp_server(handler)
    mailer = SmtpMailer(server.hostname, server.port, timeout=5)
    caplog.set_level(logging.DEBUG, logger="badgeflow")
    assert mailer.send(make_message()) == "<award.1234@badges.example.org>"
    ((mail_from, rcpt_tos, content),) = handler.received
    assert mail_from == "badges@academy.example.org"
    assert rcpt_tos == [RECIPIENT]
    # SMTP carries CRLF line ends; compare the content in the local LF form.
    received = message_from_bytes(content.replace(b"\r\n", b"\n"), policy=policy.default)
    assert received["Message-ID"] == "<award.1234@badges.example.org>"
    assert received["Date"]  # stamped at send time
    assert received.get_body(("plain",)).get_content() == "Hi Ada,\nplain text part\n"
    assert received.get_body(("html",)).get_content() == "<p>Hi Ada, <b>HTML</b> part</p>\n"
    (attachment,) = received.iter_attachments()
    assert attachment.get_filename() == "data-foundations.png"
    assert attachment.get_content() == PNG
    assert "award.1234" in caplog.text
    assert RECIPIENT not in caplog.text


def test_smtp_4xx_rcpt_rejection_is_unavailable_and_hides_the_recipient(smtp_server):
    server = smtp_server(RecordingHandler(rcpt_reply="450 4.2.0 <{address}>: Mailbox busy"))
    with pytest.raises(DeliveryUnavailable) as caught:
        SmtpMailer(server.hostname, server.port, timeout=5).send(make_message())
    assert is_transient(caught.value)
    assert RECIPIENT not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_smtp_5xx_rcpt_rejection_is_permanent(smtp_server):
    server = smtp_server(RecordingHandler(rcpt_reply="550 5.1.1 <{address}>: No such user"))
    with pytest.raises(DeliveryError) as caught:
        SmtpMailer(server.hostname, server.port, timeout=5).send(make_message())
    assert not isinstance(caught.value, DeliveryUnavailable)
    assert not is_transient(caught.value)
    assert RECIPIENT not in str(caught.value)


def test_smtp_4xx_data_rejection_is_unavailable(smtp_server):
    server = smtp_server(RecordingHandler(data_reply="451 4.3.0 Try again later"))
    with pytest.raises(DeliveryUnavailable, match="451"):
        SmtpMailer(server.hostname, server.port, timeout=5).send(make_message())


def test_smtp_5xx_data_rejection_is_permanent_and_scrubbed(smtp_server):
    reply = f"554 5.7.1 Message to {RECIPIENT} rejected as spam"
    server = smtp_server(RecordingHandler(data_reply=reply))
    with pytest.raises(DeliveryError, match="554") as caught:
        SmtpMailer(server.hostname, server.port, timeout=5).send(make_message())
    assert not isinstance(caught.value, DeliveryUnavailable)
    assert RECIPIENT not in str(caught.value)
    assert "<recipient> rejected as spam" in str(caught.value)


def test_smtp_connection_refused_is_unavailable():
    port = free_port()  # bound then closed: nothing listens there
    with pytest.raises(DeliveryUnavailable, match="cannot reach"):
        SmtpMailer("127.0.0.1", port, timeout=5).send(make_message())


def test_smtp_starttls_unsupported_is_permanent(smtp_server):
    # aiosmtpd offers no STARTTLS without a TLS context: a configuration error, not transient.
    server = smtp_server(RecordingHandler())
    with pytest.raises(DeliveryError) as caught:
        SmtpMailer(server.hostname, server.port, starttls=True, timeout=5).send(make_message())
    assert not is_transient(caught.value)


def test_smtp_mailer_repr_hides_the_password():
    mailer = SmtpMailer("smtp.example.org", 587, username="u", password="hunter2")
    assert "hunter2" not in repr(mailer)
    assert "***" in repr(mailer)


def test_file_mailer_writes_a_prepared_email_as_the_message(tmp_path):
    from badgeflow.notify.compose import MessageParts
    from badgeflow.notify.wire import prepare

    headers = {"Subject": "Hi", "To": "Ada <ada@example.com>", "Message-ID": "<award.f@x.org>"}
    parts = MessageParts(headers, "Hi Ada\nFrom us\n", "<p>Hi</p>", (), ("a.png", PNG))
    prepared = prepare(parts)
    assert prepared is not None
    general, fast = FileMailer(tmp_path / "general"), FileMailer(tmp_path / "fast")
    assert general.send(parts.message()) == fast.session().send_prepared(prepared)
    path = general.path_for("<award.f@x.org>")
    assert (fast.outbox_dir / path.name).read_bytes() == path.read_bytes()
