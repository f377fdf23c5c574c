"""The subset of OData v4 ``$filter`` and ``$select`` a fake Reporting API understands.

Filters: comparisons ``eq ne gt ge lt le`` between a property and a literal, joined with
``and``/``or``/``not`` and parentheses. Literals: integers and decimals, ``'text'`` (``''``
escapes a quote), ``true``/``false``/``null``, bare GUIDs, bare ISO 8601 date-times and
``cast('<date or date-time>', Edm.DateTimeOffset)``. A date-time literal compares with a
property's ISO 8601 text as a time (text without an offset is UTC); GUIDs compare without
regard to case. Anything else is an `ODataError`, answered as HTTP 400 like the real service.

Examples:
    >>> keep = parse_filter(
    ...     "a eq 1 and (b ge cast('2024-01-01', Edm.DateTimeOffset) or c eq null)",
    ...     fields={"a", "b", "c"},
    ... )
    >>> keep({"a": 1, "b": "2024-03-01T10:00:00Z", "c": 5}), keep({"a": 1, "b": None, "c": 5})
    (True, False)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any, Final

__all__ = ["ODataError", "Row", "parse_filter", "parse_select"]

Row = dict[str, Any]

_TOKEN: Final = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^']|'')*')
    | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b)
    | (?P<datetime>\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
    | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)
_COMPARE: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}
_KEYWORDS: Final = {"true": True, "false": False, "null": None}


class ODataError(ValueError):
    """The query is outside the subset (or wrong): the service answers 400."""


class _Guid(str):
    """A GUID literal: compares with text without regard to case."""


def parse_select(text: str | None, fields: Collection[str]) -> list[str]:
    """The properties a ``$select`` names, in order (every field when absent).

    Raises:
        ODataError: a name is not a property of the view.
    """
    if not text:
        return list(fields)
    names = [name.strip() for name in text.split(",")]
    for name in names:
        if name not in fields:
            raise ODataError(f"Could not find a property named '{name}' on the view.")
    return names


def parse_filter(text: str | None, *, fields: Collection[str]) -> Callable[[Row], bool]:
    """Compile a ``$filter`` into a row predicate.

    Args:
        text: the filter; None or empty keeps every row.
        fields: the view's property names.

    Returns:
        ``row -> bool``.

    Raises:
        ODataError: a syntax error, or a property the view does not have.
    """
    if not text:
        return lambda row: True
    parser = _Parser(text, fields)
    predicate = parser.expression()
    if parser.peek() is not None:
        parser.fail("unexpected text")
    return predicate


class _Parser:
    def __init__(self, text: str, fields: Collection[str]) -> None:
        self.text = text
        self.fields = fields
        self.tokens: list[tuple[str, str, int]] = []
        position = 0
        while position < len(text):
            if not text[position:].strip():
                break
            match = _TOKEN.match(text, position)
            if match is None or match.lastgroup is None:
                raise ODataError(f"syntax error at position {position} of $filter")
            self.tokens.append((match.lastgroup, match.group(match.lastgroup), match.start(1)))
            position = match.end()
        self.index = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise ODataError("syntax error: $filter ends too early")
        self.index += 1
        return token

    def fail(self, why: str) -> None:
        token = self.peek()
        where = f"'{token[1]}' (position {token[2]})" if token else "the end"
        raise ODataError(f"syntax error at {where}: {why}")

    def word(self, *words: str) -> str | None:
        token = self.peek()
        if token is not None and token[0] == "name" and token[1].lower() in words:
            self.index += 1
            return token[1].lower()
        return None

    def expression(self) -> Callable[[Row], bool]:
        terms = [self.conjunction()]
        while self.word("or"):
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else lambda row: any(t(row) for t in terms)

    def conjunction(self) -> Callable[[Row], bool]:
        terms = [self.unary()]
        while self.word("and"):
            terms.append(self.unary())
        return terms[0] if len(terms) == 1 else lambda row: all(t(row) for t in terms)

    def unary(self) -> Callable[[Row], bool]:
        if self.word("not"):
            inner = self.unary()
            return lambda row: not inner(row)
        token = self.peek()
        if token is not None and token[1] == "(":
            self.take()
            inner = self.expression()
            self.expect(")")
            return inner
        return self.comparison()

    def expect(self, punct: str) -> None:
        token = self.peek()
        if token is None or token[1] != punct:
            self.fail(f"expected '{punct}'")
        self.take()

    def comparison(self) -> Callable[[Row], bool]:
        kind, name, _ = self.take()
        if kind != "name" or name in _KEYWORDS:
            self.index -= 1
            self.fail("expected a property name")
        if name not in self.fields:
            raise ODataError(f"Could not find a property named '{name}' on the view.")
        operator = self.word(*_COMPARE)
        if operator is None:
            self.fail("expected eq, ne, gt, ge, lt or le")
        assert operator is not None
        literal = self.literal()
        compare = _COMPARE[operator]

        def test(row: Row) -> bool:
            left, right = _comparable(row.get(name), literal)
            if left is None or right is None:
                return compare(left, right) if operator in ("eq", "ne") else False
            try:
                return compare(left, right)
            except TypeError:
                return False

        return test

    def literal(self) -> Any:
        kind, text, _ = self.take()
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if kind == "guid":
            return _Guid(text.lower())
        if kind == "datetime":
            return _time(text)
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind == "name" and text in _KEYWORDS:
            return _KEYWORDS[text]
        if kind == "name" and text == "cast":
            self.expect("(")
            inner = self.take()
            self.expect(",")
            target = self.take()
            self.expect(")")
            if inner[0] != "string" or target[1] != "Edm.DateTimeOffset":
                raise ODataError("only cast('<time>', Edm.DateTimeOffset) is supported")
            return _time(inner[1][1:-1])
        self.index -= 1
        self.fail("expected a literal")
        return None  # pragma: no cover


def _time(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ODataError(f"'{text}' is not a valid Edm.DateTimeOffset") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _comparable(value: Any, literal: Any) -> tuple[Any, Any]:
    if isinstance(literal, datetime) and isinstance(value, str):
        return _time(value), literal
    if isinstance(literal, _Guid) and isinstance(value, str):
        return value.lower(), str(literal)
    return value, literal
