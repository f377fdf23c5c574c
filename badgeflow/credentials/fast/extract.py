"""Generated matchers: one straight-line function per compiled shape instead of `shape.describe`.

`describe` walks a document recursively to find its shape key and slot values. Once a shape
(with its pinned values) has a template, a matcher generated from one of its documents does
the same check in straight-line code: the same containers (type, keys in order, lengths),
keyword values, booleans and nulls, pinned values and value classes as `describe` records.
It returns the slot values in `describe`'s order when the document has that shape, else None;
so a matched document gets exactly the template `describe` would have chosen for it.
Containers are checked first, breadth first, so a document of another shape fails early.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from badgeflow.credentials.fast.shape import (
    DBL,
    INT,
    TEXT,
    Unsupported,
    _number_class,
    freeze,
    is_fixed,
)

__all__ = ["Matcher", "generate_matcher", "may_hold_float", "number_slots"]

Matcher = Callable[[Any], "list[Any] | None"]
_SPECIAL_KEYS = frozenset({"type", "@type", "@language", "@direction", "@context"})


def _frozen(value: Any) -> Any:
    try:
        return freeze(value)
    except Unsupported:
        return None


def _number(value: Any) -> Any:
    try:
        return _number_class(value)
    except Unsupported:
        return None


def may_hold_float(doc: Any) -> bool:
    """True when a float sits anywhere in ``doc`` (JSON output then needs the stdlib)."""
    kind = type(doc)
    if kind is float:
        return True
    if kind is dict:
        return any(map(may_hold_float, doc.values()))
    if kind is list:
        return any(map(may_hold_float, doc))
    return False


def generate_matcher(
    doc: dict[str, Any],
    classes: Sequence[Any],
    pinned: Mapping[int, Any],
    klass: Callable[[str], Any],
) -> Matcher:
    """Return the matcher of ``doc``'s shape.

    Args:
        doc: a document of the shape (as `describe` saw it).
        classes: the class of each slot (`describe`'s ``classes``).
        pinned: slot index -> the value the template was compiled with.
        klass: the class of a string holding a colon, for the shape's context terms.

    Raises:
        Unsupported: a key that is not a string (left to `describe`).
    """
    consts: list[Any] = []
    checks: list[tuple[int, str]] = []  # (depth, line) for containers, breadth first
    later: list[str] = []
    slots: list[str] = []

    def const(value: Any) -> str:
        consts.append(value)
        return f"c{len(consts) - 1}"

    def container(node: Any, name: str, depth: int) -> None:
        if type(node) is dict:
            checks.append((depth, f"if {name}.__class__ is not dict or tuple({name}) != "))
            checks[-1] = (depth, checks[-1][1] + f"{const(tuple(node))}: return None")
            pairs: Any = node.items()
        else:
            checks.append(
                (
                    depth,
                    f"if {name}.__class__ is not list or len({name}) != {len(node)}: return None",
                )
            )
            pairs = enumerate(node)
        for key, value in pairs:
            if type(key) not in (str, int):
                raise Unsupported("a key that is not a string")
            expr = f"{name}[{key!r}]"
            kind = type(value)
            if type(key) is str and key in _SPECIAL_KEYS:
                frozen = const(freeze(value))
                if type(value) is str:  # freeze(x) == a string only for that very string
                    later.append(
                        f"if {expr}.__class__ is not str or {expr} != {frozen}: return None"
                    )
                else:
                    later.append(f"if _frozen({expr}) != {frozen}: return None")
            elif kind is dict or kind is list:
                child = f"n{len(checks)}"
                checks.append((depth + 1, f"{child} = {expr}"))
                container(value, child, depth + 1)
            elif kind is bool or value is None:
                later.append(f"if {expr} is not {value!r}: return None")
            elif kind in (str, int, float):
                slot(len(slots), expr, kind is str)
            else:
                raise Unsupported(f"a {kind.__name__} value")

    def slot(index: int, expr: str, text: bool) -> None:
        name = f"v{index}"
        slots.append(name)
        later.append(f"{name} = {expr}")
        if index in pinned:
            later.append(f"if {name} != {const(pinned[index])}: return None")
        cls = classes[index]
        if not text:
            later.append(
                f"if {name}.__class__ not in _NUMBERS or _number({name}) != {const(cls)}: "
                "return None"
            )
        elif cls == TEXT:
            later.append(f"if {name}.__class__ is not str or ':' in {name}: return None")
        else:
            later.append(
                f"if {name}.__class__ is not str or ':' not in {name} "
                f"or _klass({name}) != {const(cls)}: return None"
            )

    container(doc, "d", 0)
    if len(slots) != len(classes):
        raise Unsupported("the document does not match its classes")
    ordered = [line for _, line in sorted(checks, key=lambda check: check[0])]
    body = "\n".join(f"        {line}" for line in [*ordered, *later])
    names = ", ".join(slots)
    source = (
        "def make(consts):\n"
        f"    {''.join(f'c{i}, ' for i in range(len(consts)))}= consts\n"
        "    def match(d):\n"
        f"{body}\n"
        f"        return [{names}]\n"
        "    return match\n"
    )
    namespace: dict[str, Any] = {
        "_frozen": _frozen,
        "_number": _number,
        "_klass": klass,
        "_NUMBERS": (int, float),
    }
    exec(compile(source, "<badgeflow.fast.matcher>", "exec"), namespace)
    matcher: Matcher = namespace["make"](consts)
    return matcher


def number_slots(classes: Sequence[Any]) -> tuple[int, ...]:
    """Indexes of the slots that hold numbers (where a float may sit)."""
    return tuple(
        index
        for index, cls in enumerate(classes)
        if cls in (INT, DBL) or (is_fixed(cls) and not isinstance(cls[1], str))
    )
