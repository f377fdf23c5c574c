"""Credential shapes: a JSON-LD document's structure, with its scalar values as classed slots.

Two documents share a shape when they have the same keys in the same order, the same array
lengths, the same ``@context``, ``type`` and other keyword values, and values of the same
*class* at every other position. The class of a string captures every decision pyld (and
`badgeflow.credentials.proof`) makes about it apart from copying it: whether it holds a colon,
whether pyld's IRI expansion would treat it as a blank node id, a compact IRI, an absolute IRI
or a relative one. Any two strings of one class are therefore handled alike by the reference
pipeline wherever it only copies them, which is what lets a compiled template stand in for it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from itertools import repeat
from typing import Any, Final

from badgeflow.credentials.document_loader import DocumentLoader

__all__ = [
    "DBL",
    "INT",
    "TEXT",
    "Unsupported",
    "context_terms",
    "describe",
    "freeze",
    "is_fixed",
    "sentinel",
]

TEXT: Final = "t"
"""A string without a colon: pyld can only copy it (as a literal) or reject it (as an IRI)."""
INT: Final = "i"
"""A JSON number written as an integer literal (pyld: ``str(int(value))``)."""
DBL: Final = "f"
"""A JSON number with a fraction, written as a canonical ``xsd:double``."""
_DICT: Final = "{"
_LIST: Final = "["
_TRUE: Final = "true"
_FALSE: Final = "false"
_NULL: Final = "null"
_FIXED: Final = "="

# Keyword values that select contexts, datatypes or languages: part of the shape, never slots.
_KEYWORD_KEYS: Final = frozenset({"type", "@type", "@language", "@direction"})
_SPECIAL_KEYS: Final = _KEYWORD_KEYS | {"@context"}
_KEYWORD_PATTERN: Final = re.compile(r"^@[a-zA-Z]+$")
# pyld's own test (pyld.jsonld._is_absolute_iri), compiled once; `$` also matches before a
# final LF, exactly as there.
_ABSOLUTE_IRI: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CLASS_CACHE_MAX: Final = 65536


class Unsupported(Exception):  # noqa: N818 (a signal for "take the reference path")
    """The document holds something the fast path does not model; use the reference path."""


def freeze(value: Any) -> Any:
    """Return a hashable stand-in for a JSON value (strings and lists of strings stay cheap)."""
    if type(value) is str:
        return value
    if type(value) is list and all(type(item) is str for item in value):
        return tuple(value)
    try:
        return ("json", json.dumps(value))
    except (TypeError, ValueError) as exc:
        raise Unsupported(f"not JSON: {exc}") from None


def is_fixed(cls: Any) -> bool:
    """True for a class that pins its value into the shape (it is no slot)."""
    return type(cls) is tuple and cls[0] == _FIXED


def _colon_class(value: str, terms: frozenset[str]) -> Any:
    if value in terms or _KEYWORD_PATTERN.match(value):
        return (_FIXED, value)
    colon = value.find(":")
    if colon <= 0:
        return (":", False)
    prefix, suffix = value[:colon], value[colon + 1 :]
    return (
        ":",
        True,
        prefix == "_",
        prefix if prefix in terms else None,
        suffix.startswith("//"),
        _ABSOLUTE_IRI.match(value) is not None,
        # Raw in an IRI, so kept out of the templates' slots (a sentinel never has them).
        _CONTROL.search(value) is not None,
    )


def _number_class(value: int | float) -> Any:
    if type(value) is float and not math.isfinite(value):
        raise Unsupported("a non-finite number")
    if abs(value) >= 1e21:
        return (_FIXED, value)
    return INT if isinstance(value, int) or value.is_integer() else DBL


def describe(
    doc: Any, terms: frozenset[str], cache: dict[str, Any], classes: list[Any] | None = None
) -> tuple[tuple[Any, ...], list[Any]]:
    """Return a document's shape key and its slot values (strings and numbers, in walk order).

    Args:
        doc: the JSON-LD document (a dict whose only ``@context`` is at the top).
        terms: every term name of its contexts (`context_terms`).
        cache: string classes already computed for these terms (grows; cleared when large).
        classes: if given, receives the class of each value, in the same order.

    Raises:
        Unsupported: a nested ``@context``, a non-JSON value or a non-finite number.
    """
    if type(doc) is not dict:
        raise Unsupported("not a JSON object")
    if len(cache) > _CLASS_CACHE_MAX:
        cache.clear()
    tokens: list[Any] = []
    values: list[Any] = []
    out = classes if classes is not None else []
    _walk(doc, terms, cache, tokens, values, out, True)
    return tuple(tokens), values


def _walk(
    node: dict[str, Any] | list[Any],
    terms: frozenset[str],
    cache: dict[str, Any],
    tokens: list[Any],
    values: list[Any],
    out: list[Any],
    root: bool = False,
) -> None:
    # Hot path (once per document and container): inlined scalar cases, bound appends.
    token, value_of, class_of = tokens.append, values.append, out.append
    if type(node) is dict:
        token(_DICT)
        token(tuple(node))
        pairs: Any = node.items()
    else:
        token(_LIST)
        token(len(node))
        pairs = zip(repeat(None), node)
    for key, value in pairs:
        kind = type(value)
        if key in _SPECIAL_KEYS:
            if key == "@context" and not root:
                raise Unsupported("a nested @context")
            token(freeze(value))
        elif kind is str:
            if ":" in value:
                cls = cache.get(value)
                if cls is None:
                    cls = cache[value] = _colon_class(value, terms)
            else:
                cls = TEXT
            token(cls)
            value_of(value)
            class_of(cls)
        elif kind is dict or kind is list:
            _walk(value, terms, cache, tokens, values, out)
        elif kind is bool:
            token(_TRUE if value else _FALSE)
        elif kind is int or kind is float:
            cls = _number_class(value)
            token(cls)
            value_of(value)
            class_of(cls)
        elif value is None:
            token(_NULL)
        else:
            raise Unsupported(f"a {kind.__name__} value")


def rebuild(doc: Any, replace: Callable[[int, Any], Any]) -> Any:
    """Return a copy of ``doc`` with the value of slot ``i`` replaced by ``replace(i, value)``."""
    counter = [0]

    def walk(node: Any, keyword: bool) -> Any:
        kind = type(node)
        if keyword:
            return node
        if kind is dict:
            return {key: walk(value, key in _KEYWORD_KEYS) for key, value in node.items()}
        if kind is list:
            return [walk(item, False) for item in node]
        if kind is str or kind is int or kind is float:
            index = counter[0]
            counter[0] += 1
            return replace(index, node)
        return node

    return {
        key: walk(value, key == "@context" or key in _KEYWORD_KEYS) for key, value in doc.items()
    }


def sentinel(cls: Any, index: int, nonce: str, digits: str, terms: frozenset[str]) -> Any:
    """Return a unique stand-in value of class ``cls`` for slot ``index``, or None if none fits.

    Strings read ``S<nonce>N<index>E`` (behind a prefix that gives the same class), numbers
    ``1<digits><index:05>`` (``.5`` added for doubles), so each is found again, whole, in the
    canonical N-Quads.
    """
    if cls == INT:
        return int(f"1{digits}{index:05d}")
    if cls == DBL:
        return float(f"1{digits}{index:05d}.5")
    core = f"S{nonce}N{index}E"
    if cls == TEXT:
        return core
    if cls == (":", False):
        candidate = ":" + core
    else:
        _, _, underscore, term_prefix, slashes, absolute, _ = cls
        prefix = "_" if underscore else term_prefix or ("bfs" if absolute else "0bfs")
        candidate = f"{prefix}:{'//' if slashes else ''}{core}"
    return candidate if _colon_class(candidate, terms) == cls else None


def context_terms(context: Any, loader: DocumentLoader) -> frozenset[str]:
    """Return every key of every context document ``context`` reaches (a superset of its terms).

    Raises:
        Exception: whatever the loader raises for a context it does not hold.
    """
    terms: set[str] = set()
    seen: set[str] = set()

    def visit_ref(ref: Any) -> None:
        if isinstance(ref, list):
            for item in ref:
                visit_ref(item)
        elif isinstance(ref, str):
            if ref not in seen:
                seen.add(ref)
                visit(loader(ref, None)["document"])
        else:
            visit(ref)

    def visit(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, dict):
            for key, value in node.items():
                terms.add(key)
                if key in ("@context", "@import"):
                    visit_ref(value)
                else:
                    visit(value)

    visit_ref(context)
    return frozenset(terms)
