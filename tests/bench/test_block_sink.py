"""The benchmarks' block-reading SMTP sink receives exactly what stock aiosmtpd receives."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from bench.block_sink import BlockDataController
from bench.e2e_proc import free_port


class Keep:
    """Keeps every message's content and envelope."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:  # noqa: N802
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 kept"


@contextmanager
def serving(kind: type[Controller]) -> Iterator[tuple[int, Keep]]:
    handler = Keep()
    controller = kind(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, handler
    finally:
        controller.stop()


MESSAGES = [
    b"Subject: plain\r\n\r\nhello\r\n",
    b"Subject: dots\r\n\r\n.starts with a dot\r\n..two\r\n.\r\nend\r\n",
    b".first line is a dot\r\nSubject: x\r\n\r\nbody\r\n",
    b"Subject: long\r\n\r\n" + b"QUJD" * 19 + b"\r\n" * 3 + (b"x" * 76 + b"\r\n") * 3000,
    b"Subject: no final newline\r\n\r\nlast line",
    b"Subject: crlf.crlf inside a line\r\n\r\na\r\n.b\r\n. \r\n",
]


@pytest.mark.parametrize("kind", [Controller, BlockDataController], ids=["stock", "block"])
def test_both_servers_hand_the_handler_the_same_messages(kind):
    with serving(Controller) as (stock_port, stock), serving(kind) as (port, got):
        for target in (stock_port, port):
            with smtplib.SMTP("127.0.0.1", target) as client:
                for i, body in enumerate(MESSAGES):
                    refused = client.sendmail(f"from{i}@x.org", [f"to{i}@y.org"], body)
                    assert refused == {}
                # a session goes on after DATA: RSET and another message
                client.rset()
                client.sendmail("again@x.org", ["to@y.org"], b"Subject: again\r\n\r\nok\r\n")
    assert len(got.received) == len(MESSAGES) + 1
    assert got.received == stock.received


def test_the_block_sink_answers_with_the_handlers_reply():
    with serving(BlockDataController) as (port, _), smtplib.SMTP("127.0.0.1", port) as client:
        client.ehlo()
        client.mail("a@x.org")
        client.rcpt("b@y.org")
        assert client.data(b"Subject: x\r\n\r\nbody\r\n") == (250, b"kept")
