"""Page stencils: a template rendered once with markers for its per-page values, then filled in.

Many of a credential's pages (its share page, its five share redirects, its accept pages) are
the same bytes as every other credential's of the same achievement and state, but for a few
values: the credential id, the learner's name, a share URL. A stencil is such a page rendered
with markers in place of those values and split at them, so the next page is one join of
strings instead of a template render.

A stencil is used only if it is provably a plain substitution: the page is rendered with two
different sets of markers, and the first, filled with the second's markers, must give exactly
the second. A template that tests, transforms or encodes a value in any other way than HTML
escaping (``|lower``, ``|urlencode``, ``|safe``...) fails that check, and its pages are then
rendered in full each time. What the template *branches on* (the achievement, the state, whether
a learner name is given) is the caller's cache key, never a slot.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Hashable, Mapping
from typing import Any, Final

from markupsafe import escape

__all__ = ["Identity", "Stencil", "StencilCache", "substitute"]

_MISSING: Final = object()
_LIMIT: Final = 4_096
"""Stencils kept per cache; past that the cache starts again (keys are few in practice)."""


def _markers(names: Collection[str], ids: Collection[str], tag: str) -> dict[str, str]:
    # An id marker is a safe file name (layout checks ids), left alone by every encoding; a
    # text marker carries "&", which HTML escaping turns into "&amp;" (URL encoding into %26).
    return {
        name: f"bfMark{tag}{n}x" if name in ids else f"bf&Mark{tag}{n}x"
        for n, name in enumerate(names)
    }


def interleave(literals: list[str], slots: list[str], values: Mapping[str, str]) -> str:
    """``literals[0] + values[slots[0]] + literals[1] + ...``: a split text filled in."""
    parts = [literals[0]]
    for n, slot in enumerate(slots, 1):
        parts.append(values[slot])
        parts.append(literals[n])
    return "".join(parts)


class Identity:
    """An object as a key by its identity (unhashable ones too), kept alive by the key."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        """Wrap ``value``."""
        self.value = value

    def __hash__(self) -> int:
        """Its identity."""
        return id(self.value)

    def __eq__(self, other: object) -> bool:
        """The same object."""
        return isinstance(other, Identity) and other.value is self.value


class Stencil:
    """A page split at its slots: literal text and slot names, alternating."""

    def __init__(self, text: str, markers: Mapping[str, str]) -> None:
        """Split ``text`` at the (HTML-escaped) ``markers``, slot name -> marker."""
        by_marker = {str(escape(marker)): name for name, marker in markers.items()}
        pattern = re.compile("|".join(re.escape(m) for m in sorted(by_marker, key=len)[::-1]))
        self.literals: list[str] = []
        self.slots: list[str] = []
        position = 0
        for match in pattern.finditer(text):
            self.literals.append(text[position : match.start()])
            self.slots.append(by_marker[match.group()])
            position = match.end()
        self.literals.append(text[position:])

    def fill(self, values: Mapping[str, str]) -> str:
        """The page with each slot replaced by its value, HTML-escaped."""
        escaped = {name: str(escape(value)) for name, value in values.items()}
        return interleave(self.literals, self.slots, escaped)


class StencilCache:
    """Stencils by key, each made on first use and checked (see the module docstring)."""

    def __init__(self, render: Callable[[str, dict[str, Any]], str]) -> None:
        """Make stencils with ``render(template, context)``."""
        self._render = render
        self._stencils: dict[Hashable, Stencil | None] = {}

    def render(
        self,
        key: Hashable,
        template: str,
        values: Mapping[str, str],
        context: Callable[[Mapping[str, str]], dict[str, Any]],
        ids: Collection[str] = (),
    ) -> str:
        """Render ``template`` for ``values``, from the stencil for ``key`` when there is one.

        Args:
            key: everything the page depends on besides ``values`` (the caller's promise).
            template: the template's name.
            values: the page's slot values (plain text; escaped here).
            context: the template variables for given slot values (real ones or markers).
            ids: the slots whose values are safe file names (credential ids, tokens).

        Returns:
            The page, the same text as ``render(template, context(values))``.
        """
        stencil = self._stencils.get(key, _MISSING)
        if stencil is _MISSING:
            if len(self._stencils) >= _LIMIT:
                self._stencils.clear()
            stencil = self._stencils[key] = self._make(template, list(values), context, ids)
        if stencil is None:
            return self._render(template, context(values))
        assert isinstance(stencil, Stencil)
        return stencil.fill(values)

    def _make(
        self,
        template: str,
        names: list[str],
        context: Callable[[Mapping[str, str]], dict[str, Any]],
        ids: Collection[str],
    ) -> Stencil | None:
        first, second = _markers(names, ids, "A"), _markers(names, ids, "Bb")
        stencil = Stencil(self._render(template, context(first)), first)
        if stencil.fill(second) != self._render(template, context(second)):
            return None
        return stencil


def substitute(make: Callable[[str], str]) -> Callable[[str], str] | None:
    """A cheap stand-in for ``make(credential_id)``, if the id is only ever copied into it.

    Args:
        make: builds a string (a share URL) from a credential id.

    Returns:
        A function giving ``make(credential_id)`` by string replacement, or None when
        ``make`` does more with the id than copy it (then call ``make`` itself).
    """
    first, second = "bfMarkA0x", "bfMarkBb0x"
    made = make(first)
    if made.replace(first, second) != make(second) or second in made:
        return None
    return lambda credential_id: made.replace(first, credential_id)
