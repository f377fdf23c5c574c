"""The strict offline JSON-LD document loader: only pinned contexts, never the network.

The canonical form a signature covers depends on every term definition in every context, so
signer and verifier must read the *same* definitions. We pin them:

* the W3C contexts (VC 2.0, DID 1.0) come from pyld's own vendored bundle
  (`pyld.BUNDLED_CONTEXTS`), which matches the W3C-published files term for term;
* the Open Badges 3.0 context is not shipped by any dependency, so the project holds a
  normalised copy in ``contexts/ob-v3p0-context-3.0.3.json``.

Any other URL raises `ContextNotPinned`. Every function taking a loader takes it as a keyword
argument defaulting to `strict_document_loader`; tests add documents with
`make_document_loader`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from importlib.resources import files
from typing import Any, Final

from pyld import BUNDLED_CONTEXTS

from badgeflow.errors import ConfigurationError, ContextNotPinned
from badgeflow.models import JSONDict

__all__ = [
    "DID_V1_URL",
    "OB_V3P0_CONTEXT_URL",
    "PINNED_URLS",
    "VC_V2_URL",
    "DocumentLoader",
    "make_document_loader",
    "strict_document_loader",
]

VC_V2_URL: Final = "https://www.w3.org/ns/credentials/v2"
OB_V3P0_CONTEXT_URL: Final = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
DID_V1_URL: Final = "https://www.w3.org/ns/did/v1"

DocumentLoader = Callable[[str, dict[str, Any] | None], JSONDict]
"""pyld's loader signature: ``loader(url, options) -> RemoteDocument``."""

_OB_CONTEXT_FILE: Final = "ob-v3p0-context-3.0.3.json"


def _pinned_texts() -> dict[str, str]:
    texts = {
        url: BUNDLED_CONTEXTS[url].read_text(encoding="utf-8") for url in (VC_V2_URL, DID_V1_URL)
    }
    texts[OB_V3P0_CONTEXT_URL] = (
        files("badgeflow.credentials").joinpath("contexts", _OB_CONTEXT_FILE).read_text("utf-8")
    )
    return texts


# Kept as JSON text: every load parses a fresh copy, so pyld can never mutate the pinned one.
_PINNED: Final[Mapping[str, str]] = _pinned_texts()
PINNED_URLS: Final = frozenset(_PINNED)
"""The context URLs the strict loader serves."""


def _remote_document(url: str, document: JSONDict) -> JSONDict:
    # "static" lets pyld cache the processed context by URL. `proof.canonicalize` gives every
    # loader its own cache, so a context an extended (test) loader served can never satisfy a
    # later strict load.
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": document,
        "tag": "static",
    }


def strict_document_loader(url: str, options: dict[str, Any] | None = None) -> JSONDict:
    """Serve one pinned JSON-LD context, refusing everything else.

    Args:
        url: the URL pyld asks for.
        options: pyld's loader options (ignored).

    Returns:
        A pyld ``RemoteDocument`` dict holding a fresh copy of the pinned document.

    Raises:
        ContextNotPinned: ``url`` is not one of `PINNED_URLS`.
    """
    text = _PINNED.get(url)
    if text is None:
        raise ContextNotPinned(url)
    return _remote_document(url, json.loads(text))


def make_document_loader(extra: Mapping[str, JSONDict]) -> DocumentLoader:
    """Build a loader serving the pinned contexts plus some extra documents.

    Args:
        extra: URL → parsed JSON-LD document (e.g. the W3C examples context in tests).

    Returns:
        A loader with the same contract as `strict_document_loader`.

    Raises:
        ConfigurationError: an extra URL would replace a pinned context.
    """
    clash = sorted(set(extra) & PINNED_URLS)
    if clash:
        raise ConfigurationError(f"extra documents may not replace pinned contexts: {clash}")
    extra_texts = {url: json.dumps(document) for url, document in extra.items()}

    def loader(url: str, options: dict[str, Any] | None = None) -> JSONDict:
        text = extra_texts.get(url)
        if text is None:
            return strict_document_loader(url, options)
        return _remote_document(url, json.loads(text))

    return loader
