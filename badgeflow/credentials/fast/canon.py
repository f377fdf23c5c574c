"""`FastCanonicalizer`: RDFC-1.0 canonical N-Quads from compiled shape templates.

Each new shape is compiled once by the reference pipeline (`proof.canonicalize`: pyld
expansion with undefined-term detection, URDNA2015, the conforming literal escaper), so a
document whose shape matches a compiled template is known to canonicalise cleanly. Anything
the templates do not model (an unknown or refused shape, colliding first-degree hashes, a
nested ``@context`` ...) goes through `proof.canonicalize` itself, which also raises the
reference errors.
"""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass
from typing import Any, Final

from badgeflow.credentials.document_loader import DocumentLoader, strict_document_loader
from badgeflow.credentials.fast.extract import (
    Matcher,
    generate_matcher,
    may_hold_float,
    number_slots,
)
from badgeflow.credentials.fast.shape import (
    _CLASS_CACHE_MAX,
    Unsupported,
    _colon_class,
    context_terms,
    describe,
    freeze,
    rebuild,
)
from badgeflow.credentials.fast.template import Template, compile_template
from badgeflow.credentials.proof import canonicalize
from badgeflow.models import JSONDict

__all__ = ["CanonStats", "FastCanonicalizer", "shared_canonicalizer"]

_REFUSED: Final = "refused"
_MAX_PIN_ROUNDS: Final = 4
_MAX_MATCHERS: Final = 32


@dataclass
class CanonStats:
    """Counters of how documents were canonicalised.

    Attributes:
        fast: documents served by a template.
        reference: documents sent to the reference pipeline.
        compiled: templates compiled (each costs one reference canonicalisation or more).
    """

    fast: int = 0
    reference: int = 0
    compiled: int = 0


@dataclass(frozen=True, slots=True)
class _Entry:
    """A compiled shape with pinned values: its matcher, template and float positions."""

    match: Matcher
    template: Template
    numbers: tuple[int, ...]
    fixed_float: bool


@dataclass
class _Plan:
    pinned: tuple[int, ...]
    templates: dict[tuple[Any, ...], Template | str]


class FastCanonicalizer:
    """Canonicalise JSON-LD documents like `proof.canonicalize`, compiling each shape once.

    Example:
        >>> fast = FastCanonicalizer()
        >>> fast.canonicalize(credential) == canonicalize(credential)  # doctest: +SKIP
        True
    """

    def __init__(
        self, loader: DocumentLoader = strict_document_loader, *, max_shapes: int = 1024
    ) -> None:
        """Start with no compiled shapes.

        Args:
            loader: the document loader; the strict offline loader by default.
            max_shapes: how many shapes to keep before the cache starts afresh.
        """
        self.loader = loader
        self.stats = CanonStats()
        self._max_shapes = max_shapes
        self._terms: dict[Any, frozenset[str] | None] = {}
        self._plans: dict[tuple[Any, ...], _Plan | str] = {}
        self._classes: dict[frozenset[str], dict[str, Any]] = {}
        # Matchers by top-level keys, tried in turn before the general path.
        self._entries: dict[tuple[Any, ...], list[_Entry]] = {}

    def canonicalize(self, doc: JSONDict) -> str:
        """Return the RDFC-1.0 canonical N-Quads of ``doc``, identical to `proof.canonicalize`.

        Raises:
            CredentialError: as `proof.canonicalize` (undefined terms, unpinned contexts ...).
        """
        return self.canonical_form(doc)[0]

    def canonical_form(self, doc: JSONDict) -> tuple[str, bool]:
        """Return the canonical N-Quads of ``doc`` and whether a float may sit in it.

        The flag is False only when the template knows every number of ``doc`` is no float
        (`batch.credential_json` then skips its scan).

        Raises:
            CredentialError: see `canonicalize`.
        """
        if type(doc) is dict:
            entries = self._entries.get(tuple(doc))
            if entries:
                for entry in entries:
                    values = entry.match(doc)
                    if values is not None:
                        text = entry.template.canonical(values)
                        if text is None:
                            break
                        self.stats.fast += 1
                        floats = entry.fixed_float or any(
                            type(values[index]) is float for index in entry.numbers
                        )
                        return text, floats
        text = self._from_template(doc)
        if text is None:
            self.stats.reference += 1
            return canonicalize(doc, loader=self.loader), True
        self.stats.fast += 1
        return text, True

    def hash(self, doc: JSONDict) -> bytes:
        """Return SHA-256 of the canonical N-Quads (as `proof.hash_document`).

        Raises:
            CredentialError: see `canonicalize`.
        """
        return hashlib.sha256(self.canonicalize(doc).encode("utf-8")).digest()

    def _context_terms(self, context: Any) -> frozenset[str] | None:
        key = freeze(context)
        if key not in self._terms:
            try:
                self._terms[key] = context_terms(context, self.loader)
            except Exception:  # noqa: BLE001 (the reference path reports it properly)
                self._terms[key] = None
        return self._terms[key]

    def _from_template(self, doc: JSONDict) -> str | None:
        try:
            if type(doc) is not dict or "@context" not in doc:
                return None
            terms = self._context_terms(doc["@context"])
            if terms is None:
                return None
            key, values = describe(doc, terms, self._class_cache(terms))
        except Unsupported:
            return None
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plan(doc, key, terms)
        if not isinstance(plan, _Plan):
            return None
        pin_key = tuple(values[index] for index in plan.pinned)
        template = plan.templates.get(pin_key)
        if template is None:
            template = self._compile(doc, terms, frozenset(plan.pinned))
            plan.templates[pin_key] = template
        if not isinstance(template, Template):
            return None
        self._remember(doc, terms, plan.pinned, template)
        return template.canonical(values)

    def _class_cache(self, terms: frozenset[str]) -> dict[str, Any]:
        # String classes depend on the context's terms: one cache per term set.
        cache = self._classes.get(terms)
        if cache is None:
            if len(self._classes) >= self._max_shapes:
                self._classes.clear()
            cache = self._classes[terms] = {}
        return cache

    def _remember(
        self, doc: JSONDict, terms: frozenset[str], pinned: tuple[int, ...], template: Template
    ) -> None:
        entries = self._entries.setdefault(tuple(doc), [])
        if len(entries) >= _MAX_MATCHERS or any(e.template is template for e in entries):
            return  # known, or so many shapes share these keys that describe() serves them
        cache = self._class_cache(terms)

        def klass(value: str) -> Any:
            cls = cache.get(value)
            if cls is None:
                if len(cache) > _CLASS_CACHE_MAX:
                    cache.clear()
                cls = cache[value] = _colon_class(value, terms)
            return cls

        classes: list[Any] = []
        values = describe(doc, terms, cache, classes)[1]
        try:
            match = generate_matcher(doc, classes, {i: values[i] for i in pinned}, klass)
        except Unsupported:
            return
        numbers = number_slots(classes)
        skeleton = rebuild(doc, lambda index, value: None)
        entries.append(_Entry(match, template, numbers, may_hold_float(skeleton)))

    def _plan(self, doc: JSONDict, key: tuple[Any, ...], terms: frozenset[str]) -> _Plan | str:
        if len(self._plans) >= self._max_shapes:
            self._plans.clear()
            self._entries.clear()
        pinned: frozenset[int] = frozenset()
        classes: list[Any] = []
        values = describe(doc, terms, self._class_cache(terms), classes)[1]
        result: Template | set[int] | str = _REFUSED
        for _ in range(_MAX_PIN_ROUNDS):
            result = self._attempt(doc, values, classes, pinned, terms)
            if not isinstance(result, set):
                break
            if result <= pinned:
                result = _REFUSED
                break
            pinned |= result
        plan: _Plan | str = _REFUSED
        if isinstance(result, Template):
            ordered = tuple(sorted(pinned))
            plan = _Plan(ordered, {tuple(values[i] for i in ordered): result})
        self._plans[key] = plan
        return plan

    def _compile(
        self, doc: JSONDict, terms: frozenset[str], pinned: frozenset[int]
    ) -> Template | str:
        classes: list[Any] = []
        values = describe(doc, terms, self._class_cache(terms), classes)[1]
        result = self._attempt(doc, values, classes, pinned, terms)
        return result if isinstance(result, Template) else _REFUSED

    def _attempt(
        self,
        doc: JSONDict,
        values: list[Any],
        classes: list[Any],
        pinned: frozenset[int],
        terms: frozenset[str],
    ) -> Template | set[int] | str:
        self.stats.compiled += 1
        try:
            return compile_template(doc, values, classes, pinned, terms, self.loader)
        except Exception:  # noqa: BLE001 (the reference path raises the document's own error)
            return _REFUSED


_SHARED: Final[weakref.WeakKeyDictionary[DocumentLoader, FastCanonicalizer]] = (
    weakref.WeakKeyDictionary()
)


def shared_canonicalizer(loader: DocumentLoader = strict_document_loader) -> FastCanonicalizer:
    """Return this process's `FastCanonicalizer` for ``loader`` (templates outlive batches)."""
    canonicalizer = _SHARED.get(loader)
    if canonicalizer is None:
        canonicalizer = _SHARED[loader] = FastCanonicalizer(loader)
    return canonicalizer
