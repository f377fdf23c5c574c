"""Canonical N-Quads templates compiled from the reference pipeline, and RDFC-1.0 on them.

A template is the canonical N-Quads of a shape whose slots hold unique sentinel values, with
each sentinel turned back into a slot. Filling it with a document's values gives that
document's quads; blank-node labels are then recomputed as RDFC-1.0 does when every blank node
has a distinct first-degree hash (RDFC-1.0 §4.4.3 step 5: such nodes get ``c14n0..`` in the
order of their hashes and the N-degree step never runs). When two hashes collide the template
gives up and the caller runs the reference algorithm.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from pyld.jsonld import _canonicalize_double

from badgeflow.credentials.document_loader import DocumentLoader
from badgeflow.credentials.fast.render import DOUBLE as _DOUBLE
from badgeflow.credentials.fast.render import INTEGER as _INTEGER
from badgeflow.credentials.fast.render import IRI as _IRI
from badgeflow.credentials.fast.render import STRING as _STRING
from badgeflow.credentials.fast.render import Renderer, generate
from badgeflow.credentials.fast.shape import DBL, INT, is_fixed, rebuild, sentinel
from badgeflow.credentials.proof import canonicalize
from badgeflow.errors import CredentialError
from badgeflow.models import JSONDict

__all__ = ["Template", "compile_template"]

_XSD_DOUBLE: Final = "^^<http://www.w3.org/2001/XMLSchema#double>"
_RDF_JSON: Final = "^^<http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON>"
_NODE: Final = r'<[^<>"{}|^`\\\s]*>|_:c14n\d+'
_LITERAL: Final = r'"(?:[^"\\]|\\.)*"(?:\^\^<[^>\s]*>|@[A-Za-z0-9-]+)?'
_QUAD_RE: Final = re.compile(
    rf'({_NODE}) (<[^<>"{{}}|^`\\\s]*>) ({_NODE}|{_LITERAL})(?: ({_NODE}))? \.\n'
)


class _Pin(Exception):  # noqa: N818 (control flow inside compile_template)
    def __init__(self, positions: set[int]) -> None:
        self.positions = positions


@dataclass(frozen=True, slots=True)
class Template:
    """The canonical N-Quads of one shape, as a generated function of its slot values.

    Attributes:
        render: slot values -> canonical N-Quads, or None where the reference must decide
            (see `render.generate`).
        source: the generated source (for debugging).
    """

    render: Renderer
    source: str

    def canonical(self, values: Sequence[Any]) -> str | None:
        """Return the canonical N-Quads for these slot values, or None to use the reference."""
        return self.render(values)


def _fits(kind: int, suffix: str) -> bool:
    if kind in (_STRING, _INTEGER):
        return suffix not in (_XSD_DOUBLE, _RDF_JSON)
    return True


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
                parts.append(suffix)
                skeleton.append((hit[1], suffix))
                seen.add(hit[0])
                return
        for match in found.finditer(token):
            pin.add(int(match.group(1) or match.group(2)))
        parts.append(token)
        skeleton.append(token)

    # N-Quads lines end in LF only (other line breaks may sit unescaped inside literals).
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


def _assemble(
    quads: list[tuple[list[Any], list[Any]]], slots: dict[tuple[int, int], int], n_nodes: int
) -> Template:
    render, source = generate(
        [(parts, tuple(skeleton)) for parts, skeleton in quads], slots, n_nodes
    )
    return Template(render=render, source=source)
