"""The files the in-browser verifier needs: its bundle, its configuration and the JSON-LD contexts.

The credential page and the "verify any badge" page load ``static/verifier.js`` (built from
``site-js/`` with pinned npm packages and committed, so publishing needs no Node). It reads
``static/verifier-config.json`` (the site's public base URL, its issuer DID and where its DID
document is) and canonicalises with the contexts listed in ``contexts/index.json`` (context URL
→ site-relative file). Those contexts are exactly the documents our Python loader serves
(`badgeflow.credentials.document_loader.PINNED_URLS`), written from it at build time: one source
of truth, so the browser and ``badgeflow verify`` always read the same term definitions.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Final
from urllib.parse import urlsplit

from badgeflow.credentials.document_loader import PINNED_URLS, strict_document_loader
from badgeflow.errors import ConfigurationError
from badgeflow.models import JSONDict

__all__ = [
    "BUNDLE_PATH",
    "CONFIG_PATH",
    "CONTEXT_INDEX_PATH",
    "VERIFY_PAGE",
    "context_file",
    "verifier_assets",
    "verifier_bundle",
]

BUNDLE_PATH: Final = "static/verifier.js"
CONFIG_PATH: Final = "static/verifier-config.json"
CONTEXT_INDEX_PATH: Final = "contexts/index.json"
VERIFY_PAGE: Final = "verify/"
"""Site-relative folder URL of the "verify any badge" page (``verify/index.html``)."""

_UNSAFE: Final = re.compile(r"[^A-Za-z0-9._-]+")


def context_file(url: str) -> str:
    """Site-relative path the site publishes a JSON-LD context at.

    Args:
        url: the context URL, e.g. ``https://www.w3.org/ns/credentials/v2``.

    Returns:
        ``contexts/<host and path, unsafe characters as "-">.json``, e.g.
        ``contexts/www.w3.org-ns-credentials-v2.json``.
    """
    parts = urlsplit(url)
    name = _UNSAFE.sub("-", f"{parts.netloc}{parts.path}").strip("-.")
    return f"contexts/{name.removesuffix('.json')}.json"


def verifier_bundle() -> bytes:
    """Return the committed in-browser verifier bundle (``static/verifier.js``)."""
    return resources.files("badgeflow").joinpath("templates/site", BUNDLE_PATH).read_bytes()


def _dumps(document: JSONDict | dict[str, str]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _did_document_path(base_url: str) -> str:
    # did:web: a DID without a path resolves to /.well-known/did.json, with one to <path>/did.json.
    return "did.json" if urlsplit(base_url).path.strip("/") else ".well-known/did.json"


def verifier_assets(*, base_url: str, did_document: JSONDict) -> dict[str, bytes]:
    """Build every file the in-browser verifier needs, keyed by site-relative path.

    Args:
        base_url: the site's public base URL (status list URLs under it are fetched from the
            site root the page was loaded from, so the site works from any host).
        did_document: the issuer's DID document (its ``id`` is the issuer the browser may
            resolve from this site).

    Returns:
        The bundle, its configuration, the context index and one file per pinned context.

    Raises:
        ConfigurationError: the DID document has no string ``id``.
    """
    issuer = did_document.get("id")
    if not isinstance(issuer, str):
        raise ConfigurationError("the DID document has no id")
    files: dict[str, bytes] = {BUNDLE_PATH: verifier_bundle()}
    index: dict[str, str] = {}
    for url in sorted(PINNED_URLS):
        relative = context_file(url)
        index[url] = relative
        files[relative] = _dumps(strict_document_loader(url)["document"])
    files[CONTEXT_INDEX_PATH] = _dumps(index)
    files[CONFIG_PATH] = _dumps(
        {
            "baseUrl": base_url.rstrip("/") + "/",
            "issuer": issuer,
            "didDocument": _did_document_path(base_url),
            "contextIndex": CONTEXT_INDEX_PATH,
        }
    )
    return files
