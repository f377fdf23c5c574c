"""`smtplib` clients that send the same bytes with less CPU and fewer round trips.

``DATA`` dot-stuffs with ``bytes.replace``, and ``MAIL FROM`` / ``RCPT TO`` quote a plain
address (dot-separated atoms) without parsing it: `smtplib.quoteaddr` gives ``<address>``
for those after an ``email.utils.parseaddr`` that costs more than the rest of the command.

When the server offers PIPELINING (RFC 2920: Postfix, Exim and the large providers do),
``sendmail`` writes ``MAIL FROM``, the ``RCPT TO``s and ``DATA`` at once and then reads their
replies: two round trips a message instead of four, which is most of a message's time on a
relay some milliseconds away. The outcome of every reply is smtplib's (`_Client.sendmail`).
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Sequence
from typing import Final

__all__ = ["_Client", "_TlsClient", "quote_address"]

_PLAIN: Final = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\Z"
)


def quote_address(address: str) -> str:
    """``smtplib.quoteaddr(address)``, without parsing a plain address.

    Args:
        address: an envelope address.

    Returns:
        The address in angle brackets, as ``MAIL FROM`` and ``RCPT TO`` take it.
    """
    if _PLAIN.match(address):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


def _data(smtp: smtplib.SMTP, msg: bytes | str) -> tuple[int, bytes]:
    # smtplib's SMTP.data, dot-stuffing with bytes.replace: its regex over the whole message
    # costs more than writing the message. Same bytes: "." doubled at every line start.
    smtp.putcmd("data")
    code, reply = smtp.getreply()
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    smtp.send(_stuffed(_raw(msg)))
    return smtp.getreply()


def _options(smtp: smtplib.SMTP, options: Sequence[str]) -> str:
    return " " + " ".join(options) if options and smtp.does_esmtp else ""


def _raw(msg: bytes | str) -> bytes:
    """The message's bytes as smtplib sends them (text gets CRLF line ends)."""
    if isinstance(msg, str):
        return bytes(smtplib._fix_eols(msg).encode("ascii"))  # type: ignore[attr-defined]
    return bytes(msg)


def _stuffed(data: bytes) -> bytes:
    """The message as DATA sends it: leading dots doubled, then the final ``.`` line."""
    stuffed = data.replace(b"\n.", b"\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    if stuffed[-2:] != b"\r\n":
        stuffed += b"\r\n"
    return stuffed + b".\r\n"


def _refuse(smtp: smtplib.SMTP, code: int) -> None:
    """What smtplib does after a refused command: close on 421, else RSET."""
    if code == 421:
        smtp.close()
    else:
        smtp._rset()  # type: ignore[attr-defined]


class _Client(smtplib.SMTP):
    def data(self, msg: bytes | str) -> tuple[int, bytes]:  # type: ignore[override]
        return _data(self, msg)

    def sendmail(  # type: ignore[override]
        self,
        from_addr: str,
        to_addrs: str | Sequence[str],
        msg: bytes | str,
        mail_options: Sequence[str] = (),
        rcpt_options: Sequence[str] = (),
    ) -> dict[str, tuple[int, bytes]]:
        """Send as smtplib's ``sendmail`` does, pipelining MAIL, RCPT and DATA where offered.

        The same replies lead to the same result or exception as smtplib's: a refused sender
        raises ``SMTPSenderRefused`` (after RSET, or closing on 421), every recipient refused
        raises ``SMTPRecipientsRefused``, a refused DATA or message ``SMTPDataError``.
        """
        self.ehlo_or_helo_if_needed()
        recipients = [to_addrs] if isinstance(to_addrs, str) else list(to_addrs)
        smtputf8 = any(option.lower() == "smtputf8" for option in mail_options)
        if not self.has_extn("pipelining") or smtputf8 or not recipients:
            return super().sendmail(from_addr, to_addrs, msg, mail_options, rcpt_options)
        raw = _raw(msg)
        options = list(mail_options)
        if self.has_extn("size"):
            options.insert(0, f"size={len(raw)}")  # as smtplib: before dot-stuffing
        commands = [f"MAIL FROM:{quote_address(from_addr)}{_options(self, options)}\r\n"]
        commands += [
            f"RCPT TO:{quote_address(r)}{_options(self, rcpt_options)}\r\n" for r in recipients
        ]
        commands.append("DATA\r\n")
        self.send("".join(commands))
        (code, reply), *replies, (data_code, data_reply) = self._replies(len(commands))
        if code != 250:
            if data_code == 354:
                self.close()  # a server that takes DATA after refusing MAIL: drop it
            else:
                _refuse(self, code)
            raise smtplib.SMTPSenderRefused(code, reply, from_addr)
        refused: dict[str, tuple[int, bytes]] = {}
        for recipient, (rcpt_code, rcpt_reply) in zip(recipients, replies, strict=True):
            if rcpt_code not in (250, 251):
                refused[recipient] = (rcpt_code, rcpt_reply)
            if rcpt_code == 421:
                self.close()
                raise smtplib.SMTPRecipientsRefused(refused)
        if len(refused) == len(recipients):
            if data_code == 354:
                self.close()  # DATA accepted with no recipient: never send an empty message
            else:
                self._rset()  # type: ignore[attr-defined]
            raise smtplib.SMTPRecipientsRefused(refused)
        if data_code != 354:
            raise smtplib.SMTPDataError(data_code, data_reply)
        self.send(_stuffed(raw))
        code, reply = self.getreply()
        if code != 250:
            _refuse(self, code)
            raise smtplib.SMTPDataError(code, reply)
        return refused

    def mail(self, sender: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        if any(option.lower() == "smtputf8" for option in options):
            return super().mail(sender, options)  # it switches the command encoding
        self.putcmd("mail", f"FROM:{quote_address(sender)}{_options(self, options)}")
        return self.getreply()

    def rcpt(self, recip: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        self.putcmd("rcpt", f"TO:{quote_address(recip)}{_options(self, options)}")
        return self.getreply()

    def _replies(self, count: int) -> list[tuple[int, bytes]]:
        """The replies to ``count`` pipelined commands, in order.

        A server that closes the connection after a 421 answers nothing more: the rest read
        as that 421 (smtplib would have stopped at it). Any other drop raises.
        """
        replies: list[tuple[int, bytes]] = []
        while len(replies) < count:
            try:
                replies.append(self.getreply())
            except smtplib.SMTPServerDisconnected:
                closing = next((r for r in replies if r[0] == 421), None)
                if closing is None:
                    raise
                replies += [closing] * (count - len(replies))
        return replies


class _TlsClient(smtplib.SMTP_SSL, _Client):
    pass
