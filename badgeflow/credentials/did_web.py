"""Resolve ``did:web`` DIDs and fetch status lists over HTTPS, for online verification.

`did_web_url` is the pure did:web "Read" transformation of the method specification
(https://w3c-ccg.github.io/did-method-web/#read-resolve): the method-specific identifier's
``:`` become ``/``, a percent-encoded port (``%3A``) is decoded, ``https://`` is prepended,
``/.well-known`` is appended when there is no path, then ``/did.json``.

`HttpFetcher` does the network part with short timeouts, a size limit and **no redirects**:
a 3xx answer is reported, never followed, so a document can only come from the host the
DID (or the status list URL) names. Only ``https`` URLs are fetched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote, urlsplit

import httpx

from badgeflow.errors import CredentialError
from badgeflow.models import JSONDict

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TIMEOUT_SECONDS",
    "HttpFetcher",
    "did_web_url",
    "resolve_did_web",
]

DEFAULT_TIMEOUT_SECONDS: Final = 5.0
"""Connect, read, write and pool timeout of each request."""
DEFAULT_MAX_BYTES: Final = 1_048_576
"""Largest response body accepted (1 MiB); a DID document or status list is far smaller."""
_PREFIX: Final = "did:web:"


def did_web_url(did: str) -> str:
    """Return the HTTPS URL of a ``did:web`` DID's document.

    Args:
        did: the DID, optionally with a ``#fragment`` (ignored).

    Returns:
        The URL, e.g. ``https://example.com/.well-known/did.json`` for
        ``did:web:example.com`` and ``https://example.com:3000/user/alice/did.json`` for
        ``did:web:example.com%3A3000:user:alice``.

    Raises:
        CredentialError: not a did:web DID, or one no URL can be built from.

    Examples:
        >>> did_web_url("did:web:w3c-ccg.github.io:user:alice")
        'https://w3c-ccg.github.io/user/alice/did.json'
    """
    base = did.partition("#")[0]
    if not base.startswith(_PREFIX):
        raise CredentialError(f"{did!r} is not a did:web DID")
    host, *path = base.removeprefix(_PREFIX).split(":")
    authority = unquote(host)
    parsed = urlsplit(f"https://{authority}")
    try:
        parsed.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise CredentialError(f"{did!r} has an invalid port") from None
    if (
        not parsed.hostname
        or any(c in authority for c in "/?#@\\")
        or any(segment in ("", ".", "..") or "/" in unquote(segment) for segment in path)
    ):
        raise CredentialError(f"{did!r} is not a valid did:web DID")
    return "/".join([f"https://{authority}", *(path or [".well-known"]), "did.json"])


@dataclass(frozen=True)
class HttpFetcher:
    """Fetches JSON documents over HTTPS for online verification.

    Attributes:
        timeout: seconds allowed for connecting and for each read.
        max_bytes: the largest body accepted.
        rewrite: ``(public prefix, local prefix)``: a URL starting with the public prefix is
            fetched from the local prefix instead. For tests only (e.g. ``https://badges.
            example.org/`` → ``http://127.0.0.1:8123/``, a loopback server of the built site);
            the URL is still checked to be ``https`` first.
    """

    timeout: float = DEFAULT_TIMEOUT_SECONDS
    max_bytes: int = DEFAULT_MAX_BYTES
    rewrite: tuple[str, str] | None = None

    def fetch_json(self, url: str) -> JSONDict:
        """Fetch a JSON object.

        Args:
            url: an ``https`` URL.

        Returns:
            The parsed object.

        Raises:
            CredentialError: not https, timeout, connection failure, redirect, non-200 status,
                body over `max_bytes`, or not a JSON object; the message says which.
        """
        if urlsplit(url).scheme != "https":
            raise CredentialError(f"{url} is not an https URL; only https is fetched")
        target = url
        if self.rewrite is not None and url.startswith(self.rewrite[0]):
            target = self.rewrite[1] + url.removeprefix(self.rewrite[0])
        # trust_env=False: no proxy or netrc from the environment decides where we connect.
        with httpx.Client(timeout=self.timeout, follow_redirects=False, trust_env=False) as client:
            try:
                with client.stream("GET", target, headers={"Accept": "application/json"}) as r:
                    body = self._read(url, r)
            except httpx.TimeoutException:
                raise CredentialError(f"{url}: timed out after {self.timeout:g} s") from None
            except httpx.HTTPError as exc:
                raise CredentialError(
                    f"{url}: cannot fetch ({type(exc).__name__}: {exc})"
                ) from None
        try:
            document = json.loads(body)
        except ValueError:
            raise CredentialError(f"{url}: the response is not JSON") from None
        if not isinstance(document, dict):
            raise CredentialError(f"{url}: the response is not a JSON object")
        return document

    def _read(self, url: str, response: httpx.Response) -> bytes:
        if response.is_redirect:
            location = response.headers.get("location", "?")
            raise CredentialError(
                f"{url}: HTTP {response.status_code} redirect to {location}; redirects are "
                "not followed"
            )
        if response.status_code != 200:
            raise CredentialError(f"{url}: HTTP {response.status_code} {response.reason_phrase}")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise CredentialError(f"{url}: response is larger than {self.max_bytes} bytes")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise CredentialError(f"{url}: response is larger than {self.max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)


def resolve_did_web(did: str, fetcher: HttpFetcher) -> JSONDict:
    """Fetch a ``did:web`` DID document and check that it describes that DID.

    Args:
        did: the DID (a ``#fragment`` is ignored).
        fetcher: does the HTTPS request.

    Returns:
        The DID document.

    Raises:
        CredentialError: the URL cannot be built, the fetch fails, or the document's ``id``
            is not the DID.
    """
    base = did.partition("#")[0]
    url = did_web_url(base)
    document = fetcher.fetch_json(url)
    if document.get("id") != base:
        raise CredentialError(
            f"{url} describes {document.get('id')!r}, not {base}; the document is not trusted"
        )
    return document
