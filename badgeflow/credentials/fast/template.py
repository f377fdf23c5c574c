"""Canonical N-Quads templates compiled from the reference pipeline, and RDFC-1.0 on them.

A template is the canonical N-Quads of a shape whose slots hold unique sentinel values, with
each sentinel turned back into a slot. Filling it with a document's values gives that
document's quads; blank-node labels are then recomputed as RDFC-1.0 does when every blank node
has a distinct first-degree hash (RDFC-1.0 §4.4.3 step 5: such nodes get ``c14n0..`` in the
order of their hashes and the N-degree step never runs). When two hashes collide the template
gives up and the caller runs the reference algorithm.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from pyld.jsonld import _canonicalize_double

from badgeflow.credentials.document_loader import DocumentLoader
from badgeflow.credentials.fast.shape import DBL, INT, is_fixed, rebuild, sentinel
from badgeflow.credentials.proof import _RDFC_ESCAPE_RE as _NEEDS_ESCAPE
from badgeflow.credentials.proof import _rdfc_escape, canonicalize
from badgeflow.errors import CredentialError
from badgeflow.models import JSONDict

__all__ = ["Template", "compile_template"]

_XSD_DOUBLE: Final = "^^<http://www.w3.org/2001/XMLSchema#double>"
_RDF_JSON: Final = "^^<http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON>"
_IRI, _STRING, _INTEGER, _DOUBLE = 0, 1, 2, 3
_NODE: Final = r'<[^<>"{}|^`\\\s]*>|_:c14n\d+'
_LITERAL: Final = r'"(?:[^"\\]|\\.)*"(?:\^\^<[^>\s]*>|@[A-Za-z0-9-]+)?'
_QUAD_RE: Final = re.compile(
    rf'({_NODE}) (<[^<>"{{}}|^`\\\s]*>) ({_NODE}|{_LITERAL})(?: ({_NODE}))? \.\n'
)
_LABELS: Final = tuple(f"_:c14n{rank}" for rank in range(4096))


class _Pin(Exception):  # noqa: N818 (control flow inside compile_template)
    def __init__(self, positions: set[int]) -> None:
        self.positions = positions


def _render(kind: int, value: Any) -> str:
    # Quotes are in the patterns.
    if kind == _INTEGER:
        return str(int(value))
    return str(_canonicalize_double(float(value)))


@dataclass(frozen=True, slots=True)
class Template:
    """The canonical N-Quads of one shape as ``str.format`` patterns.

    Quads sit in blocks, one pattern per block with quads separated by NUL (which no slot
    value or constant holds), so one ``format`` call fills a whole block. Format arguments
    are the IRI slots, then the string literals, then the numbers (their value indexes
    below), then the blank-node labels.

    Attributes:
        iris: value index of each IRI slot.
        strings: value index of each string-literal slot.
        numbers: (value index, rendering) of each number slot.
        ground: the block of quads without blank nodes (None when there are none).
        ground_twins: whether two ground quads can turn into one (equal values).
        hashing: for each blank node, the block of its quads with it as ``_:a`` and the others
            as ``_:z``, and whether it needs sorting (False: already in canonical order).
        final: the block of quads with blank nodes; their labels follow the slot arguments.
        twins: patterns of blank-node quads that turn into one quad when their values are equal.
    """

    iris: tuple[int, ...]
    strings: tuple[int, ...]
    numbers: tuple[tuple[int, int], ...]
    ground: str | None
    ground_twins: bool
    hashing: tuple[tuple[str, bool], ...]
    final: str
    twins: tuple[tuple[str, ...], ...]

    def canonical(self, values: Sequence[Any]) -> str | None:
        """Return the canonical N-Quads for these slot values, or None to use the reference."""
        args = [values[index] for index in self.iris]
        strings = [values[index] for index in self.strings]
        if _NEEDS_ESCAPE.search("".join(strings)):
            strings = [_rdfc_escape(value) for value in strings]
        args += strings
        if self.numbers:
            args += [_render(kind, values[index]) for index, kind in self.numbers]
        lines = self.ground.format(*args).split("\0") if self.ground is not None else []
        if self.ground_twins:
            lines = list(set(lines))
        if not self.hashing:
            return "".join(sorted(lines))
        if self.twins and self._has_duplicates(args):
            return None
        hashes = [
            hashlib.sha256(
                (
                    "".join(sorted(block.format(*args).split("\0")))
                    if unsorted
                    else block.format(*args)
                ).encode()
            ).hexdigest()
            for block, unsorted in self.hashing
        ]
        if len(set(hashes)) != len(hashes):
            return None  # RDFC-1.0 needs its N-degree step: the reference runs it
        labels = [""] * len(hashes)
        for rank, node in enumerate(sorted(range(len(hashes)), key=hashes.__getitem__)):
            labels[node] = _LABELS[rank]
        lines += self.final.format(*args, *labels).split("\0")
        return "".join(sorted(lines))

    def _has_duplicates(self, args: list[str]) -> bool:
        # RDF datasets are sets: quads that become equal would count once in the reference's
        # hashes, so leave such (rare) documents to it.
        local = [*args, *(f"_:n{node}" for node in range(len(self.hashing)))]
        for group in self.twins:
            lines = [pattern.format(*local) for pattern in group]
            if len(set(lines)) != len(lines):
                return True
        return False


def _fits(kind: int, suffix: str) -> bool:
    if kind in (_STRING, _INTEGER):
        return suffix not in (_XSD_DOUBLE, _RDF_JSON)
    return True


def _escape_braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def compile_template(
    doc: JSONDict,
    values: Sequence[Any],
    classes: Sequence[Any],
    pinned: frozenset[int],
    terms: frozenset[str],
    loader: DocumentLoader,
) -> Template | set[int]:
    """Compile the template of ``doc``'s shape by canonicalising it with sentinel values.

    Slots in ``pinned`` (and values of a fixed class) keep their real value. Returns the
    slots that must be pinned too when a sentinel did not come back whole, as a literal or an
    IRI (an ``@vocab`` expansion, an ``xsd:double`` coercion, a dropped value ...).

    Raises:
        CredentialError: the reference pipeline refuses the shape (undefined terms ...).
    """
    nonce = secrets.token_hex(8)
    digits = f"{secrets.randbelow(10**9):09d}"
    stand_ins: dict[int, Any] = {}
    must_pin: set[int] = set()
    for index, cls in enumerate(classes):
        if index in pinned or is_fixed(cls):
            continue
        value = sentinel(cls, index, nonce, digits, terms)
        if value is None:
            must_pin.add(index)
        else:
            stand_ins[index] = value
    if must_pin:
        return must_pin
    sentinel_doc = rebuild(doc, lambda index, value: stand_ins.get(index, value))
    try:
        text = canonicalize(sentinel_doc, loader=loader)
    except CredentialError as exc:
        # A stand-in the reference refuses where the real value may pass (a term of an
        # @vocab-typed property without @vocab stays a relative IRI): pin the ones it names.
        named = {int(a or b) for a, b in _found(nonce, digits).findall(str(exc))}
        if named:
            return named
        raise
    try:
        return _parse(text, stand_ins, classes, nonce, digits)
    except _Pin as pin:
        return pin.positions


def _found(nonce: str, digits: str) -> re.Pattern[str]:
    return re.compile(rf"S{nonce}N(\d+)E|1{digits}(\d{{5}})")


def _lexical(value: Any, cls: Any) -> tuple[str, str, int]:
    if cls == INT:
        return f'"{value}"', "", _INTEGER
    if cls == DBL:
        return f'"{_canonicalize_double(value)}"', "", _DOUBLE
    return f'"{value}"', f"<{value}>", _STRING


def _parse(
    text: str, stand_ins: dict[int, Any], classes: Sequence[Any], nonce: str, digits: str
) -> Template:
    literals: dict[str, tuple[int, int]] = {}
    iris: dict[str, int] = {}
    for index, value in stand_ins.items():
        literal, iri, kind = _lexical(value, classes[index])
        literals[literal] = (index, kind)
        if iri:
            iris[iri] = index
    found = _found(nonce, digits)
    slots: dict[tuple[int, int], int] = {}
    nodes: dict[str, int] = {}
    seen: set[int] = set()
    pin: set[int] = set()
    quads: list[tuple[list[Any], list[Any]]] = []  # (format parts, skeleton parts)

    def term(token: str, parts: list[Any], skeleton: list[Any]) -> None:
        if token.startswith("_:"):
            node = nodes.setdefault(token, len(nodes))
            parts.append(("node", node))
            skeleton.append(("node", node))
            return
        if token in iris:
            parts.append(("slot", slots.setdefault((iris[token], _IRI), len(slots)), _IRI))
            skeleton.append(_IRI)
            seen.add(iris[token])
            return
        if token.startswith('"'):
            end = token.rfind('"') + 1
            lexical, suffix = token[:end], token[end:]
            hit = literals.get(lexical)
            if hit is not None and _fits(hit[1], suffix):
                parts.append(("slot", slots.setdefault(hit, len(slots)), hit[1]))
                parts.append(_escape_braces(suffix))
                skeleton.append((hit[1], suffix))
                seen.add(hit[0])
                return
        for match in found.finditer(token):
            pin.add(int(match.group(1) or match.group(2)))
        parts.append(_escape_braces(token))
        skeleton.append(token)

    # N-Quads lines end in LF only (other line breaks may sit unescaped inside literals).
    if "\0" in text:
        raise _Pin(set(stand_ins))  # NUL separates quads in the patterns
    for line in (line + "\n" for line in text.split("\n")[:-1]):
        match = _QUAD_RE.fullmatch(line)
        if match is None:
            raise _Pin(set(stand_ins))  # unparseable: pin everything (compiles per value)
        parts: list[Any] = []
        skeleton: list[Any] = []
        for position, token in enumerate(match.groups()):
            if token is None:
                continue
            if position:
                parts.append(" ")
            term(token, parts, skeleton)
        parts.append(" .\n")
        quads.append((parts, skeleton))
    pin |= set(stand_ins) - seen
    if pin:
        raise _Pin(pin)
    return _assemble(quads, slots, len(nodes))


def _pre_text(pattern: str) -> str:
    return str(next(iter(string.Formatter().parse(pattern)))[0])


def _static_order(patterns: list[str]) -> list[str] | None:
    """Sort patterns into their lines' canonical order, or None if values can change it.

    The order is fixed when the constant text before each pattern's first slot decides it.
    """
    ordered = sorted(patterns, key=_pre_text)
    for first, second in zip(ordered, ordered[1:], strict=False):
        if _pre_text(second).startswith(_pre_text(first)):
            return None
    return ordered


def _assemble(
    quads: list[tuple[list[Any], list[Any]]], slots: dict[tuple[int, int], int], n_nodes: int
) -> Template:
    # Number the format arguments: IRIs, string literals, numbers (the order `canonical` uses).
    order = sorted(slots, key=lambda slot: (slot[1], slots[slot]))
    field = {slots[slot]: position for position, slot in enumerate(order)}

    def pattern(parts: list[Any], view: int | None) -> str:
        out = []
        for part in parts:
            if isinstance(part, str):
                out.append(part)
            elif part[0] == "slot":
                name = f"{{{field[part[1]]}}}"
                out.append(f"<{name}>" if part[2] == _IRI else f'"{name}"')
            elif view is None:
                out.append(f"{{{len(slots) + part[1]}}}")
            else:
                out.append("_:a" if part[1] == view else "_:z")
        return "".join(out)

    def has_node(parts: list[Any]) -> bool:
        return any(isinstance(part, tuple) and part[0] == "node" for part in parts)

    def twin_groups(chosen: list[tuple[list[Any], list[Any]]]) -> tuple[tuple[str, ...], ...]:
        groups: dict[tuple[Any, ...], list[str]] = {}
        for parts, skeleton in chosen:
            groups.setdefault(tuple(skeleton), []).append(pattern(parts, None))
        return tuple(tuple(group) for group in groups.values() if len(group) > 1)

    ground = [(p, s) for p, s in quads if not has_node(p)]
    linked = [(p, s) for p, s in quads if has_node(p)]
    hashing = []
    for node in range(n_nodes):
        block = [pattern(parts, node) for parts, _ in linked if ("node", node) in parts]
        static = _static_order(block)
        hashing.append(("".join(static), False) if static else ("\0".join(block), True))
    return Template(
        iris=tuple(index for index, kind in order if kind == _IRI),
        strings=tuple(index for index, kind in order if kind == _STRING),
        numbers=tuple(slot for slot in order if slot[1] in (_INTEGER, _DOUBLE)),
        ground="\0".join(pattern(parts, None) for parts, _ in ground) if ground else None,
        ground_twins=bool(twin_groups(ground)),
        hashing=tuple(hashing),
        final="\0".join(pattern(parts, None) for parts, _ in linked),
        twins=twin_groups(linked),
    )
