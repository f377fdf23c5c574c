"""A text part split at its slots, its lines encoded once: filled and encoded per message.

A `PartStencil` is a template's output rendered with markers in place of the per-message
values (the learner's name, the dates, the links), split at them. Filling it is one join.
Encoding it is what `badgeflow.notify._qp.encode_text` does to the filled text, done line
by line: the transfer encoding works on lines (quoted-printable breaks and escapes each line
on its own), so a line without a slot is encoded once, when the stencil is made, and only
the lines holding a slot are encoded per message. The choice of encoding (longest line,
ASCII or not, the quoted-printable sniff over the first ten lines) is made over the same
lines. Whatever it does not handle (a value with a line break, a part that would be
base64, a slot on the last line) gives None, and the caller encodes the filled text whole.
``tests/badgeflow/notify/test_stencil.py`` compares the two.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from markupsafe import escape

from badgeflow.notify._qp import quote_line, wrap_lines
from badgeflow.site._stencils import interleave

__all__ = ["PartStencil"]

_MAX_LINE: Final = 78
_SNIFF: Final = 10
_BREAKS: Final = re.compile("[\r\n]")


class _Line:
    """One line of a part: literal pieces and slot names, alternating (static: one piece).

    Quoted-printable's character map works byte by byte, so a line's quoted text is its
    pieces' and values' quoted texts joined: the pieces are quoted once, here.
    """

    __slots__ = ("data", "encoded", "pieces", "quoted", "size", "slots")

    def __init__(self, pieces: list[str], slots: list[str]) -> None:
        self.pieces = pieces
        self.slots = slots
        self.data = pieces[0].encode("utf-8") if not slots else b""
        self.encoded = wrap_lines([quote_line(self.data)]) if not slots else ""
        self.quoted = [quote_line(piece.encode("utf-8")) for piece in pieces]
        self.size = sum(len(piece.encode("utf-8")) for piece in pieces)

    def fill(self, values: Mapping[str, str]) -> str:
        return interleave(self.pieces, self.slots, values)

    def quote(self, quoted: Mapping[str, str], sizes: Mapping[str, int]) -> tuple[str, int]:
        # (the line's quoted text, its size in UTF-8 bytes) from its values' quoted texts.
        pieces = self.quoted
        out = [pieces[0]]
        size = self.size
        for n, slot in enumerate(self.slots, 1):
            out.append(quoted[slot])
            out.append(pieces[n])
            size += sizes[slot]
        return "".join(out), size


class PartStencil:
    """A rendered part split at its slot markers, with its static lines encoded."""

    def __init__(self, text: str, markers: Mapping[str, str], *, escaped: bool) -> None:
        """Split ``text`` at the ``markers`` (slot name -> marker; HTML-escaped if ``escaped``).

        Args:
            text: the part rendered with the markers as values.
            markers: slot name to the marker rendered in its place.
            escaped: whether values are HTML-escaped when filled (an autoescaped template).
        """
        self.escaped = escaped
        shown = {str(escape(m)) if escaped else m: name for name, m in markers.items() if m}
        pattern = re.compile("|".join(re.escape(m) for m in sorted(shown, key=len)[::-1]))
        self.literals: list[str] = []
        self.slots: list[str] = []
        position = 0
        for match in pattern.finditer(text) if shown else ():
            self.literals.append(text[position : match.start()])
            self.slots.append(shown[match.group()])
            position = match.end()
        self.literals.append(text[position:])
        lines = _lines(self.literals, self.slots) if "\r" not in text else None
        self.handled = bool(lines)  # no lines: "\n", the odd one out
        lines = lines or []
        self.dynamic = [line for line in lines if line.slots]
        # Runs of static lines around the dynamic ones: (bytes, quoted-printable) each.
        self.runs: list[tuple[bytes, str]] = [(b"", "")]
        for line in lines:
            if line.slots:
                self.runs.append((b"", ""))
            else:
                data, encoded = self.runs[-1]
                self.runs[-1] = (data + line.data + b"\n", encoded + line.encoded)
        self.static_max = max((len(line.data) for line in lines if not line.slots), default=0)
        self.head = lines[:_SNIFF]
        self.sniff_static = not any(line.slots for line in self.head)
        self.sniff_base64 = self.sniff_static and _base64_wins(
            [(line.quoted[0], line.size) for line in self.head]
        )

    def values(self, values: Mapping[str, str]) -> dict[str, str]:
        """The values as they are pasted: HTML-escaped for an HTML part."""
        if not self.escaped:
            return dict(values)
        return {name: str(escape(value)) for name, value in values.items()}

    def fill(self, pasted: Mapping[str, str]) -> str:
        """The part with each slot replaced by its pasted value (see `values`)."""
        return interleave(self.literals, self.slots, pasted)

    def encode(self, pasted: Mapping[str, str]) -> tuple[str, str] | None:
        """``encode_text(self.fill(pasted))``, from the pre-encoded lines; None if not handled.

        Args:
            pasted: the slot values as pasted (see `values`).

        Returns:
            (transfer encoding, payload), or None: encode the filled text whole instead.
        """
        if not self.handled or self.sniff_base64:
            return None
        if any(_BREAKS.search(value) for value in pasted.values()):
            return None
        datas = {slot: value.encode("utf-8") for slot, value in pasted.items()}
        quoted = {slot: quote_line(data) for slot, data in datas.items()}
        sizes = {slot: len(data) for slot, data in datas.items()}
        lines = [line.quote(quoted, sizes) for line in self.dynamic]
        runs = self.runs
        if max([self.static_max, *(size for _, size in lines)]) <= _MAX_LINE:
            pieces = [runs[0][0]]
            for n, line in enumerate(self.dynamic, 1):
                pieces += (line.fill(pasted).encode("utf-8"), b"\n", runs[n][0])
            body = b"".join(pieces)
            if body.isascii():
                return "7bit", body.decode("ascii")
            return "8bit", body.decode("ascii", "surrogateescape")
        if not self.sniff_static:
            dynamic = iter(lines)
            head = [
                next(dynamic) if line.slots else (line.quoted[0], line.size) for line in self.head
            ]
            if _base64_wins(head):
                return None
        encoded = [runs[0][1]]
        for n, (text, _) in enumerate(lines, 1):
            encoded += (wrap_lines([text]), runs[n][1])
        return "quoted-printable", "".join(encoded)


def _base64_wins(head: list[tuple[str, int]]) -> bool:
    # encode_text's sniff: base64 when the first lines' QP is longer than their base64
    # (of their bytes joined by LF, with a final LF: b2a_base64 writes 4 characters for
    # every 3 bytes begun, and a line break).
    size = sum(size for _, size in head) + len(head)
    return len(wrap_lines([text for text, _ in head])) > 4 * -(-size // 3) + 1


def _lines(literals: list[str], slots: list[str]) -> list[_Line] | None:
    # The part's lines as encode_text sees them (splitlines: a final line break ends the
    # last line); None when the last line holds a slot (an empty value would drop it).
    lines: list[_Line] = []
    pieces: list[str] = [""]
    names: list[str] = []
    for n, literal in enumerate(literals):
        first, *rest = literal.split("\n")
        pieces[-1] += first
        for piece in rest:
            lines.append(_Line(pieces, names))
            pieces, names = [piece], []
        if n < len(slots):
            names.append(slots[n])
            pieces.append("")
    if names:
        return None
    if pieces[0]:
        lines.append(_Line(pieces, names))
    return lines
