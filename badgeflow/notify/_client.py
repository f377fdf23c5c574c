"""`smtplib` clients that send the same bytes with less CPU.

``DATA`` dot-stuffs with ``bytes.replace``, and ``MAIL FROM`` / ``RCPT TO`` quote a plain
address (dot-separated atoms) without parsing it: `smtplib.quoteaddr` gives ``<address>``
for those after an ``email.utils.parseaddr`` that costs more than the rest of the command.
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
    if isinstance(msg, str):
        data = bytes(smtplib._fix_eols(msg).encode("ascii"))  # type: ignore[attr-defined]
    else:
        data = bytes(msg)
    stuffed = data.replace(b"\n.", b"\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    if stuffed[-2:] != b"\r\n":
        stuffed += b"\r\n"
    smtp.send(stuffed + b".\r\n")
    return smtp.getreply()


def _options(smtp: smtplib.SMTP, options: Sequence[str]) -> str:
    return " " + " ".join(options) if options and smtp.does_esmtp else ""


class _Client(smtplib.SMTP):
    def data(self, msg: bytes | str) -> tuple[int, bytes]:  # type: ignore[override]
        return _data(self, msg)

    def mail(self, sender: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        if any(option.lower() == "smtputf8" for option in options):
            return super().mail(sender, options)  # it switches the command encoding
        self.putcmd("mail", f"FROM:{quote_address(sender)}{_options(self, options)}")
        return self.getreply()

    def rcpt(self, recip: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        self.putcmd("rcpt", f"TO:{quote_address(recip)}{_options(self, options)}")
        return self.getreply()


class _TlsClient(smtplib.SMTP_SSL, _Client):
    pass
