"""SMTP sessions against real aiosmtpd servers on loopback: reuse, TLS, AUTH, drops, rate."""

from __future__ import annotations

import smtplib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from badgeflow.errors import (
    DeliveryError,
    DeliveryUnavailable,
    MailServerUnreachable,
    is_transient,
)
from badgeflow.notify._client import quote_address
from badgeflow.notify.compose import MessageParts
from badgeflow.notify.ratelimit import RateLimiter
from badgeflow.notify.smtp import IDLE_CHECK_SECONDS, SmtpMailer
from badgeflow.notify.wire import prepare
from tests.badgeflow.notify.smtp_servers import (
    Handler,
    authenticator,
    free_port,
    make_certificate,
)
from tests.badgeflow.notify.test_mailer import make_message


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("tls"))


def messages(n: int):
    return [make_message(f"<award.{i}@badges.example.org>") for i in range(n)]


def test_one_session_sends_many_messages_over_one_connection(servers):
    handler = Handler()
    server = servers.start(handler)
    with SmtpMailer(server.hostname, server.port, timeout=5).session() as session:
        sent = [session.send(m) for m in messages(5)]
    assert sent == [f"<award.{i}@badges.example.org>" for i in range(5)]
    assert handler.message_ids() == sent
    assert handler.connections == 1
    assert session.connections == 1


def test_rejections_do_not_end_the_session(servers):
    handler = Handler(rcpt_replies=[None, "550 5.1.1 <{address}>: No such user"])
    server = servers.start(handler)
    first, second, third = messages(3)
    with SmtpMailer(server.hostname, server.port, timeout=5).session() as session:
        session.send(first)
        with pytest.raises(DeliveryError) as caught:
            session.send(second)
        session.send(third)
    assert caught.value.code == 550 and not is_transient(caught.value)
    assert handler.message_ids() == [str(first["Message-ID"]), str(third["Message-ID"])]
    assert handler.connections == 1


def test_a_server_that_closes_the_connection_is_reconnected_once(servers):
    # 421 makes smtplib close the connection; the next message opens a new one.
    handler = Handler(data_replies=["421 4.3.2 Service shutting down"])
    server = servers.start(handler)
    first, second = messages(2)
    with SmtpMailer(server.hostname, server.port, timeout=5).session() as session:
        with pytest.raises(DeliveryUnavailable) as caught:
            session.send(first)
        session.send(second)
    assert caught.value.code == 421
    assert handler.message_ids() == [str(second["Message-ID"])]
    assert session.connections == handler.connections == 2


def test_a_drop_mid_data_is_transient_and_a_second_drop_gives_up(servers):
    handler = Handler(drop_data={1, 2})
    server = servers.start(handler)
    first, second, third = messages(3)
    with SmtpMailer(server.hostname, server.port, timeout=5).session() as session:
        with pytest.raises(DeliveryUnavailable) as once:
            session.send(first)
        with pytest.raises(MailServerUnreachable):
            session.send(second)
    assert not isinstance(once.value, MailServerUnreachable)
    # The server did read both messages: that is why they are not resent on the spot.
    assert handler.message_ids() == [str(first["Message-ID"]), str(second["Message-ID"])]
    assert third["Message-ID"] not in handler.message_ids()


def test_nothing_listening_is_unreachable_and_transient():
    mailer = SmtpMailer("127.0.0.1", free_port(), timeout=5)
    with mailer.session() as session, pytest.raises(MailServerUnreachable) as caught:
        session.open()
    assert is_transient(caught.value)


def test_starttls_with_a_configured_ca_file_and_auth(servers, certificate):
    handler = Handler()
    server = servers.start(
        handler,
        tls_context=certificate.server_context(),
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=True,
    )
    mailer = SmtpMailer(
        server.hostname,
        server.port,
        security="starttls",
        ca_file=certificate.cert,
        username="badges",
        password="s3cret-pw",
        timeout=5,
    )
    with mailer.session() as session:
        session.send(messages(1)[0])
        session.send(messages(2)[1])
    assert len(handler.received) == 2 and handler.connections == 1


def test_implicit_tls(servers, certificate):
    handler = Handler()
    server = servers.start(handler, ssl_context=certificate.server_context())
    mailer = SmtpMailer(
        server.hostname, server.port, security="tls", ca_file=certificate.cert, timeout=5
    )
    assert mailer.send(messages(1)[0]) == "<award.0@badges.example.org>"
    assert len(handler.received) == 1


def test_an_untrusted_certificate_is_a_permanent_configuration_error(servers, certificate):
    server = servers.start(Handler(), ssl_context=certificate.server_context())
    mailer = SmtpMailer(server.hostname, server.port, security="tls", timeout=5)  # system CAs
    with pytest.raises(DeliveryError, match="SSLCertVerificationError") as caught:
        mailer.send(messages(1)[0])
    assert not is_transient(caught.value)


def test_a_wrong_password_is_permanent(servers, certificate):
    server = servers.start(
        Handler(),
        tls_context=certificate.server_context(),
        authenticator=authenticator,
        auth_required=True,
    )
    mailer = SmtpMailer(
        server.hostname,
        server.port,
        security="starttls",
        ca_file=certificate.cert,
        username="badges",
        password="wrong",
        timeout=5,
    )
    with pytest.raises(DeliveryError, match="refused the login") as caught:
        mailer.send(messages(1)[0])
    assert not is_transient(caught.value)
    assert "wrong" not in str(caught.value)


def test_the_legacy_starttls_flag_still_means_starttls():
    assert SmtpMailer("h", 587, starttls=True).security == "starttls"
    assert SmtpMailer("h", 465, security="tls").security == "tls"


def test_the_rate_limit_spaces_messages_with_a_fake_clock(servers):
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(120, clock=lambda: now[0], sleep=sleep)  # one every 0.5 s
    handler = Handler()
    server = servers.start(handler)
    with SmtpMailer(server.hostname, server.port, rate_limiter=limiter).session() as session:
        for message in messages(4):
            session.send(message)
    assert slept == [0.5, 0.5, 0.5]
    assert len(handler.received) == 4


def test_a_connection_is_checked_with_noop_only_after_being_idle(servers):
    now = [100.0]
    handler = Handler()
    server = servers.start(handler)
    mailer = SmtpMailer(server.hostname, server.port, timeout=5, clock=lambda: now[0])
    with mailer.session() as session:
        for message in messages(3):
            session.send(message)
        assert handler.noops == 0  # the server answered a moment ago: no round trip
        now[0] += IDLE_CHECK_SECONDS
        session.send(make_message("<award.idle@badges.example.org>"))
    assert handler.noops == 1 and handler.connections == 1 and len(handler.received) == 4


def test_prepared_bytes_reach_the_server_as_the_message_does(servers):
    # Lines starting with "." (dot-stuffing) and "From " (smtplib's From-mangling) included.
    text = "Hi Ada,\n.\n..two dots\nFrom here on\n" + "long line " * 12 + "\n"
    headers = {
        "Subject": "You earned the Data Foundations badge",
        "From": "Academy <badges@academy.example.org>",
        "To": "Ada <ada@example.com>",
        "Message-ID": "<award.wire@badges.example.org>",
    }
    parts = MessageParts(headers, text, "<p>Hi</p>\nFrom me\n.\n", (), ("b.png", b"PNG" * 99))
    prepared = prepare(parts)
    assert prepared is not None
    handler = Handler()
    server = servers.start(handler)
    with SmtpMailer(server.hostname, server.port, timeout=5).session() as session:
        assert session.send(parts.message()) == session.send_prepared(prepared)
    general, fast = (_without_date(raw) for raw in handler.received)
    assert fast == general and b"\r\n..two dots" in fast and b">From here" in fast


def _without_date(raw: bytes) -> bytes:
    return b"".join(line for line in raw.splitlines(True) if not line.startswith(b"Date: "))


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(
        st.from_regex(r"[A-Za-z0-9_+.-]{1,12}@[A-Za-z0-9.-]{1,12}", fullmatch=True),
        st.text(max_size=30),
        st.sampled_from(
            ["", "<>", "a@b", "Ada <a@b.org>", "a..b@c.org", "a@b.", '"a b"@c.org', "a(c)@b.org"]
        ),
    )
)
def test_quoting_an_envelope_address_is_smtplibs(address):
    assert quote_address(address) == smtplib.quoteaddr(address)
