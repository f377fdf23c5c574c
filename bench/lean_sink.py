"""A lean SMTP sink for the benchmarks: the SMTP a relay speaks, on an asyncio protocol.

aiosmtpd, even reading DATA in blocks (`bench.block_sink`), spends about 1.2 ms of CPU per
50 KiB award email (an ``await`` per command line, its session and envelope machinery):
about 90 CPU-seconds at the end-to-end benchmark's 75,000 emails, on the same two cores as
the flow. In production the relay is Postfix or a provider on other machines, so that cost
is not badgeflow's. `LeanController` answers the same commands (EHLO/HELO, MAIL, RCPT,
DATA, RSET, NOOP, QUIT) with the same replies on a plain `asyncio.Protocol`: each received
block is parsed where it lands, without a coroutine per line. Like Postfix, it offers
PIPELINING (RFC 2920): commands that arrive together are answered in order. It hands the
handler the same ``envelope`` (``mail_from``, ``rcpt_tos``, ``content``: dot-stuffing
undone) as aiosmtpd (`tests/bench/test_block_sink.py` compares the three servers), and calls
the handler's ``handle_DATA``, which must not suspend (the benchmarks' counters do not). It
has no TLS, AUTH, size or line-length limits: a benchmark sink, not a server to expose.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Coroutine
from typing import Any

__all__ = ["LeanController", "LeanEnvelope"]

_END = b"\r\n.\r\n"
_EHLO_EXTENSIONS = ("8BITMIME", "SMTPUTF8", "PIPELINING", "HELP")


class LeanEnvelope:
    """What one message brought: sender, recipients and content (as aiosmtpd's ``Envelope``)."""

    def __init__(self) -> None:
        """An empty envelope."""
        self.mail_from: str | None = None
        self.rcpt_tos: list[str] = []
        self.content: bytes | None = None
        self.original_content: bytes | None = None


def _finish(result: Coroutine[Any, Any, str | None] | str | None) -> str | None:
    """The value of a handler hook that must not suspend (async or not)."""
    if not isinstance(result, Coroutine):
        return result
    try:
        result.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    result.close()
    raise RuntimeError("the lean SMTP sink's handler must not suspend (await nothing)")


def _address(arg: str, keyword: str) -> str | None:
    """The address of ``FROM:<a@b> PARAMS`` / ``TO:<a@b>``; None when malformed."""
    if not arg[: len(keyword)].upper() == keyword:
        return None
    rest = arg[len(keyword) :].strip()
    if not rest.startswith("<"):
        return None
    end = rest.find(">")
    return None if end < 0 else rest[1:end]


class _Session(asyncio.Protocol):
    def __init__(self, handler: Any, hostname: str) -> None:
        self.handler, self.hostname = handler, hostname
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.in_data = False
        self.searched = 0
        self.greeted = False
        self.envelope = LeanEnvelope()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._reply(f"220 {self.hostname} badgeflow benchmark sink")

    def _reply(self, line: str) -> None:
        assert self.transport is not None
        self.transport.write(line.encode("utf-8") + b"\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None and not self.transport.is_closing():
            if self.in_data:
                if not self._take_message():
                    return
            else:
                end = self.buffer.find(b"\r\n")
                if end < 0:
                    return
                line = bytes(self.buffer[:end]).decode("utf-8", "surrogateescape")
                del self.buffer[: end + 2]
                self._command(line)

    def _take_message(self) -> bool:
        # The terminator is "\r\n.\r\n", the message's own final CRLF first; an empty
        # message is a lone ".\r\n". The buffer starts with "\r\n" while in DATA, so both match.
        end = self.buffer.find(_END, self.searched)
        if end < 0:
            self.searched = max(0, len(self.buffer) - len(_END) + 1)
            return False
        body = bytes(self.buffer[2 : end + 2])
        del self.buffer[: end + len(_END)]
        self.in_data, self.searched = False, 0
        if body.startswith(b"."):
            body = body[1:]
        content = body.replace(b"\r\n.", b"\r\n")  # RFC 5321 4.5.2: drop a leading dot
        self.envelope.content = self.envelope.original_content = content
        status = _finish(self.handler.handle_DATA(None, None, self.envelope))
        self.envelope = LeanEnvelope()
        self._reply(status if isinstance(status, str) else "250 OK")
        return True

    def _command(self, line: str) -> None:
        verb, _, arg = line.partition(" ")
        verb = verb.upper()
        if verb == "EHLO" or verb == "HELO":
            if not arg:
                self._reply(f"501 Syntax: {verb} hostname")
                return
            self.greeted, self.envelope = True, LeanEnvelope()
            if verb == "HELO":
                self._reply(f"250 {self.hostname}")
                return
            lines = [self.hostname, *_EHLO_EXTENSIONS]
            for extension in lines[:-1]:
                self._reply(f"250-{extension}")
            self._reply(f"250 {lines[-1]}")
        elif verb == "NOOP":
            self._reply("250 OK")
        elif verb == "QUIT":
            self._reply("221 Bye")
            assert self.transport is not None
            self.transport.close()
        elif verb == "RSET":
            self.envelope = LeanEnvelope()
            self._reply("250 OK")
        elif not self.greeted and verb in ("MAIL", "RCPT", "DATA"):
            self._reply("503 Error: send HELO first")
        elif verb == "MAIL":
            address = _address(arg, "FROM:")
            if address is None:
                self._reply("501 Syntax: MAIL FROM: <address>")
            elif self.envelope.mail_from is not None:
                self._reply("503 Error: nested MAIL command")
            else:
                self.envelope.mail_from = address
                self._reply("250 OK")
        elif verb == "RCPT":
            address = _address(arg, "TO:")
            if self.envelope.mail_from is None:
                self._reply("503 Error: need MAIL command")
            elif address is None:
                self._reply("501 Syntax: RCPT TO: <address>")
            else:
                self.envelope.rcpt_tos.append(address)
                self._reply("250 OK")
        elif verb == "DATA":
            if not self.envelope.rcpt_tos:
                self._reply("503 Error: need RCPT command")
            elif arg:
                self._reply("501 Syntax: DATA")
            else:
                self.in_data = True
                self.buffer[0:0] = b"\r\n"
                self._reply("354 End data with <CR><LF>.<CR><LF>")
        else:
            self._reply(f'500 Error: command "{verb}" not recognized')


class LeanController:
    """Runs the lean sink on its own event loop thread, as aiosmtpd's ``Controller`` does."""

    def __init__(self, handler: Any, hostname: str = "127.0.0.1", port: int = 0, **_: Any) -> None:
        """Serve ``handler`` (its non-suspending ``handle_DATA``) on ``hostname:port``.

        Args:
            handler: gets ``handle_DATA(server, session, envelope)`` per message; its
                string result is the reply (default ``250 OK``).
            hostname: the loopback address to listen on.
            port: the port (0: any free one, see ``port`` after `start`).
            **_: aiosmtpd ``Controller`` options the benchmarks pass (ignored).
        """
        self.handler, self.hostname, self.port = handler, hostname, port
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None

    def start(self) -> None:
        """Listen, then return (the loop runs in a daemon thread)."""
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                self._loop.create_server(
                    lambda: _Session(self.handler, self.hostname),
                    host=self.hostname,
                    port=self.port,
                    family=socket.AF_INET,
                )
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name="lean-smtp-sink", daemon=True)
        self._thread.start()
        if not ready.wait(30):
            raise RuntimeError("the lean SMTP sink did not start")

    def stop(self) -> None:
        """Stop listening, close the loop and join its thread."""
        if self._thread is None:
            return
        server = self._server

        def halt() -> None:
            if server is not None:
                server.close()
            self._loop.stop()

        self._loop.call_soon_threadsafe(halt)
        self._thread.join(30)
        self._loop.close()
        self._thread = None
