"""The benchmarks' SMTP sinks (aiosmtpd reading blocks, lean) receive what stock aiosmtpd does."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from bench.block_sink import BlockDataController
from bench.e2e_proc import free_port
from bench.lean_sink import LeanController


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


@pytest.mark.parametrize(
    "kind", [Controller, BlockDataController, LeanController], ids=["stock", "block", "lean"]
)
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


@pytest.mark.parametrize("kind", [BlockDataController, LeanController], ids=["block", "lean"])
def test_the_sinks_answer_with_the_handlers_reply(kind):
    with serving(kind) as (port, _), smtplib.SMTP("127.0.0.1", port) as client:
        client.ehlo()
        client.mail("a@x.org")
        client.rcpt("b@y.org")
        assert client.data(b"Subject: x\r\n\r\nbody\r\n") == (250, b"kept")


def _dialogue(port: int, lines: list[bytes], pieces: int) -> list[bytes]:
    """Send raw SMTP in ``pieces``-byte writes, one command at a time; return the reply codes."""
    import socket

    replies = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        reader = sock.makefile("rb")
        replies.append(reader.readline()[:3])
        for line in lines:
            for start in range(0, len(line), pieces):
                sock.sendall(line[start : start + pieces])
            reply = reader.readline()
            while reply[3:4] == b"-":  # a multi-line reply (EHLO)
                reply = reader.readline()
            replies.append(reply[:3])
    return replies


@pytest.mark.parametrize("pieces", [1, 7, 4096])
def test_the_lean_sink_follows_the_dialogue_as_stock_aiosmtpd_does(pieces):
    lines = [
        b"MAIL FROM:<early@x.org>\r\n",  # before EHLO
        b"EHLO client.test\r\n",
        b"RCPT TO:<a@y.org>\r\n",  # before MAIL
        b"DATA\r\n",  # before RCPT
        b"MAIL FROM:<a@x.org>\r\n",
        b"MAIL FROM:<b@x.org>\r\n",  # nested
        b"RCPT TO:<c@y.org>\r\n",
        b"DATA\r\n",
        b"Subject: split\r\n\r\n.dot\r\nbody\r\n.\r\n",
        b"WHAT\r\n",
        b"NOOP\r\n",
        b"RSET\r\n",
        b"QUIT\r\n",
    ]
    with serving(Controller) as (stock_port, stock), serving(LeanController) as (port, lean):
        expected = _dialogue(stock_port, lines, 4096)
        assert _dialogue(port, lines, pieces) == expected
    assert (
        lean.received
        == stock.received
        == [("a@x.org", ["c@y.org"], b"Subject: split\r\n\r\ndot\r\nbody\r\n")]
    )


def test_the_lean_sink_refuses_a_handler_that_suspends():
    import asyncio

    class Suspends:
        async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:  # noqa: N802
            await asyncio.sleep(0)
            return "250 never"

    controller = LeanController(Suspends(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", controller.port, timeout=10) as client:
            with pytest.raises(smtplib.SMTPServerDisconnected):
                client.sendmail("a@x.org", ["b@y.org"], b"Subject: x\r\n\r\nbody\r\n")
    finally:
        controller.stop()
