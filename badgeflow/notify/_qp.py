"""The email package's text-part encoding (``set_content(str)``), with a faster quoted-printable.

`encode_text` returns what ``email.contentmanager._encode_text(text, "utf-8", None,
policy)`` returns for `badgeflow.notify.compose.POLICY` (LF line ends, 78 columns, 8bit
allowed). Its quoted-printable step is ``quoprimime.body_encode`` with the per-character
``str.translate`` replaced by ``bytes.replace`` and one regex for the rare bytes left (the
line-splitting loop is the same). ``tests/badgeflow/notify/test_qp.py`` compares the two.
"""

from __future__ import annotations

import binascii
import re
from typing import Final

__all__ = ["base64_lines", "encode_text", "quote_line", "wrap_lines"]

_MAX_LINE: Final = 78
# Bytes quoted-printable escapes besides "=" (replaced first): all but printable ASCII,
# space, tab, CR and LF.
_TO_QUOTE = re.compile(rb"[^\t\n\r -~]")


def _quote(match: re.Match[bytes]) -> bytes:
    return b"=%02X" % match.group()[0]


def _quoted_lines(body: bytes) -> list[str]:
    # The body's lines after quoprimime's character map (CR and LF are never escaped, so
    # the lines are those of the body).
    return quote_line(body).splitlines()


def quote_line(data: bytes) -> str:
    """Quoted-printable's character map (``quoprimime``'s), before lines are broken.

    Args:
        data: UTF-8 text, one line or several (line breaks are left as they are).

    Returns:
        The text with ``=`` and every byte outside printable ASCII, space and tab escaped.
    """
    return _TO_QUOTE.sub(_quote, data.replace(b"=", b"=3D")).decode("ascii")


def wrap_lines(lines: list[str]) -> str:
    """``quoprimime.body_encode``'s loop (78 columns, LF) over quoted lines (`quote_line`).

    Encoding works line by line: the result for a list of lines is the results for each
    line, joined.

    Args:
        lines: quoted lines, without their line breaks.

    Returns:
        The encoded lines, each ending in LF.
    """
    max1 = _MAX_LINE - 1
    encoded: list[str] = []
    append = encoded.append
    for line in lines:
        if len(line) <= _MAX_LINE and line[-1:] not in (" ", "\t"):
            append(line)  # nothing to break or to quote (most lines of a template)
            continue
        start = 0
        last = len(line) - 1 - _MAX_LINE
        while start <= last:
            stop = start + max1
            # Never split an escape sequence.
            if line[stop - 2] == "=":
                append(line[start : stop - 1])
                start = stop - 2
            elif line[stop - 1] == "=":
                append(line[start:stop])
                start = stop - 1
            else:
                append(line[start:stop] + "=")
                start = stop
        if line and line[-1] in " \t":
            room = start - last
            if room >= 3:
                tail = f"={ord(line[-1]):02X}"
            elif room == 2:
                tail = line[-1] + "=\n"
            else:
                tail = f"=\n={ord(line[-1]):02X}"
            append(line[start:-1] + tail)
        else:
            append(line[start:])
    append("")
    return "\n".join(encoded)


def _base64(data: bytes) -> str:
    return base64_lines(data).decode("ascii")


def base64_lines(data: bytes) -> bytes:
    """``email.contentmanager._encode_base64(data, 78)`` as bytes: 76 characters a line.

    Args:
        data: the bytes to encode.

    Returns:
        The base64 text, each line ending in LF.
    """
    encoded = binascii.b2a_base64(data, newline=False)
    size = len(encoded)
    if not size:
        return b""
    return (
        b"\n".join(
            map(encoded.__getitem__, map(slice, range(0, size, 76), range(76, size + 76, 76)))
        )
        + b"\n"
    )


def encode_text(text: str) -> tuple[str, str]:
    """Choose a text part's transfer encoding and encode it, as ``set_content(text)`` does.

    Args:
        text: the part's text.

    Returns:
        (``7bit``, ``8bit``, ``quoted-printable`` or ``base64``; the encoded payload).
    """
    lines = text.encode("utf-8").splitlines()
    body = b"\n".join(lines) + b"\n"
    if max((len(x) for x in lines), default=0) <= _MAX_LINE:
        if body.isascii():
            return "7bit", body.decode("ascii")
        return "8bit", body.decode("ascii", "surrogateescape")
    # The email package compares encodings of the first 10 lines; QP works line by line, so
    # their QP is the start of the whole body's.
    quoted = _quoted_lines(body)
    sniff_qp = wrap_lines(quoted[:10])
    if len(sniff_qp) > len(binascii.b2a_base64(b"\n".join(lines[:10]) + b"\n")):
        return "base64", _base64(body)
    if len(lines) <= 10:
        return "quoted-printable", sniff_qp
    return "quoted-printable", sniff_qp + wrap_lines(quoted[10:])
