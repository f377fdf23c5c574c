"""PIPELINING (RFC 2920): MAIL, RCPT and DATA in one write, with smtplib's outcomes."""

from __future__ import annotations

from copy import deepcopy

import pytest

from badgeflow.errors import DeliveryError, DeliveryUnavailable, is_transient
from badgeflow.notify import _client
from badgeflow.notify.smtp import SmtpMailer
from tests.badgeflow.notify.smtp_servers import Handler
from tests.badgeflow.notify.test_mailer import make_message


@pytest.fixture
def writes(monkeypatch):
    """Count the client's writes (each a round trip's worth of commands or data)."""
    counted = [0]
    send = _client._Client.send

    def counting(self, data):
        counted[0] += 1
        return send(self, data)

    monkeypatch.setattr(_client._Client, "send", counting)
    return counted


def messages(n: int):
    return [make_message(f"<award.{i}@badges.example.org>") for i in range(n)]


@pytest.mark.parametrize("pipelining", [False, True])
def test_the_same_messages_arrive_in_two_writes_each_when_the_server_pipelines(
    servers, writes, pipelining
):
    handler = Handler(pipelining=pipelining)
    server = servers.start(handler)
    with SmtpMailer(server.hostname, server.port, timeout=5).session() as session:
        sent = [session.send(m) for m in messages(4)]
    assert handler.message_ids() == sent
    # MAIL+RCPT+DATA, then the message: 2 writes; one command at a time: 4 writes.
    assert writes[0] - 2 == (2 if pipelining else 4) * 4  # - 2: EHLO and QUIT


def _outcomes(servers, handler: Handler, count: int) -> tuple[list[object], list[str]]:
    server = servers.start(handler)
    outcomes: list[object] = []
    with SmtpMailer(server.hostname, server.port, timeout=5).session() as session:
        for message in messages(count):
            try:
                outcomes.append(session.send(message))
            except DeliveryError as exc:
                outcomes.append((type(exc).__name__, exc.code, is_transient(exc)))
    return outcomes, handler.message_ids()


SCENARIOS = {
    "sender refused": {"mail_replies": [None, "451 4.3.0 try later"]},
    "sender refused for good": {"mail_replies": ["553 5.1.8 bad sender"]},
    "recipient refused": {"rcpt_replies": [None, "550 5.1.1 <{address}>: No such user"]},
    "recipient deferred": {"rcpt_replies": ["452 4.2.2 mailbox full"]},
    "message refused": {"data_replies": [None, "554 5.7.1 rejected"]},
    "server closing": {"data_replies": ["421 4.3.2 shutting down"]},
    "dropped mid-message": {"drop_data": {2}},
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_refusal_ends_as_it_does_one_command_at_a_time(servers, scenario):
    plain = _outcomes(servers, Handler(**deepcopy(SCENARIOS[scenario])), 3)
    piped = _outcomes(servers, Handler(pipelining=True, **deepcopy(SCENARIOS[scenario])), 3)
    assert piped == plain
    assert any(isinstance(o, tuple) for o in plain[0])  # the scenario did refuse something


def test_a_refused_sender_is_transient_or_not_by_its_code(servers):
    outcomes, received = _outcomes(
        servers, Handler(pipelining=True, mail_replies=["451 4.3.0 later", "550 no"]), 3
    )
    assert outcomes[0] == (DeliveryUnavailable.__name__, 451, True)
    assert outcomes[1] == (DeliveryError.__name__, 550, False)
    assert received == [outcomes[2]]
