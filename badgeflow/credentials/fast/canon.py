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
from badgeflow.credentials.fast.shape import Unsupported, context_terms, describe, freeze
from badgeflow.credentials.fast.template import Template, compile_template
from badgeflow.credentials.proof import canonicalize
from badgeflow.models import JSONDict

__all__ = ["CanonStats", "FastCanonicalizer", "shared_canonicalizer"]

_REFUSED: Final = "refused"
_MAX_PIN_ROUNDS: Final = 4


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
        self._classes: dict[str, Any] = {}

    def canonicalize(self, doc: JSONDict) -> str:
        """Return the RDFC-1.0 canonical N-Quads of ``doc``, identical to `proof.canonicalize`.

        Raises:
            CredentialError: as `proof.canonicalize` (undefined terms, unpinned contexts ...).
        """
        text = self._from_template(doc)
        if text is None:
            self.stats.reference += 1
            return canonicalize(doc, loader=self.loader)
        self.stats.fast += 1
        return text

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
            key, values = describe(doc, terms, self._classes)
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
        return template.canonical(values)

    def _plan(self, doc: JSONDict, key: tuple[Any, ...], terms: frozenset[str]) -> _Plan | str:
        if len(self._plans) >= self._max_shapes:
            self._plans.clear()
        pinned: frozenset[int] = frozenset()
        classes: list[Any] = []
        values = describe(doc, terms, self._classes, classes)[1]
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
        values = describe(doc, terms, self._classes, classes)[1]
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
