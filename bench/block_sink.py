"""An aiosmtpd server whose DATA phase reads the message in blocks, for the benchmarks.

aiosmtpd reads DATA one line at a time (an ``await readuntil`` per line, 700 of them for a
50 KiB message with base64 parts): about 8 ms of CPU per award email, more than badgeflow
spends composing and sending it. In production the relay is Postfix or a provider on other
cores; in the end-to-end benchmark the sink shares the two cores with the flow, so its cost
would be charged to badgeflow. `BlockDataSMTP` is aiosmtpd in every other command (EHLO,
MAIL, RCPT, RSET, QUIT, handler hooks) and differs in DATA only: it reads up to the
``<CRLF>.<CRLF>`` terminator in 64 KiB blocks and undoes the dot-stuffing on the whole
message, which gives the handler the same ``envelope.content`` as stock aiosmtpd
(`tests/bench/test_block_sink.py` compares them). It has no size or line-length limits: a
benchmark sink, not a server to expose.
"""

from __future__ import annotations

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

__all__ = ["BlockDataController", "BlockDataSMTP"]

_END = b"\r\n.\r\n"
_BLOCK = 1 << 16


class BlockDataSMTP(SMTP):
    """aiosmtpd's SMTP session with a DATA command that reads the message in blocks."""

    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802 (aiosmtpd's naming)
        """Receive the message after ``354`` up to ``<CRLF>.<CRLF>`` and hand it on."""
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        # The terminator is "\r\n.\r\n"; an empty message is a lone ".\r\n". Searching a
        # buffer that starts with "\r\n" finds both.
        buffer = bytearray(b"\r\n")
        searched = 0
        while (end := buffer.find(_END, searched)) < 0:
            block = await self._reader.read(_BLOCK)
            if not block:  # the client went away mid-message
                return
            searched = max(0, len(buffer) - len(_END) + 1)
            buffer += block
        body = bytes(buffer[2 : end + 2])  # the message with its final CRLF
        if body.startswith(b"."):
            body = body[1:]
        content = body.replace(b"\r\n.", b"\r\n")  # RFC 5321 4.5.2: drop a leading dot
        self.envelope.original_content = content
        self.envelope.content = content if not self._decode_data else content.decode()
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()  # type: ignore[no-untyped-call]
        await self.push("250 OK" if status is None or not isinstance(status, str) else status)


class BlockDataController(Controller):
    """aiosmtpd's threaded controller serving `BlockDataSMTP` sessions."""

    def factory(self) -> SMTP:
        """A session object for each connection."""
        return BlockDataSMTP(self.handler, **self.SMTP_kwargs)
