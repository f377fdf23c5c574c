"""One HTTP client for every connector: vendor classification, retries, secret redaction."""

from __future__ import annotations

import functools
import logging
import os
import re
import ssl
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Final, Protocol

import httpx

from badgeflow.errors import SourceAuthError, SourceError, SourceUnavailable, is_transient
from badgeflow.lms._http.retry import RetryPolicy, parse_retry_after

__all__ = ["ApiClient", "Authenticator", "BearerToken", "Classifier", "Redactor", "classify_http"]

logger = logging.getLogger(__name__)

Classifier = Callable[[httpx.Response, str], SourceError | None]
"""Judges one response of call `what`: None when usable, else the error to raise.

The error's class decides what happens: `SourceUnavailable` (Transient) is retried,
anything else is raised at once. Vendors wrap `classify_http` to recognise their own
signals (Moodle's HTTP 200 ``exception`` bodies, Canvas's 403 "Rate Limit Exceeded").
"""

_SECRET_PARAMS: Final = re.compile(
    r"(?i)\b(wstoken|token|apikey|api_key|access_token|refresh_token|client_secret|password)"
    r"=[^&\s\"']+"
)
_TRANSIENT_STATUSES: Final = frozenset({408, 425, 429, 500, 502, 503, 504})


class Redactor:
    """Blanks secrets out of text: known values, and secret-named URL parameters.

    Examples:
        >>> redact = Redactor(["s3cr3t"])
        >>> redact("GET /x?wstoken=abc&q=1 with s3cr3t")
        'GET /x?wstoken=***&q=1 with ***'
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Remember one more secret value (values under 4 characters are not worth hiding)."""
        if secret and len(secret) >= 4:
            self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        """Return `text` with every known secret and secret-named parameter blanked."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return _SECRET_PARAMS.sub(lambda m: f"{m.group(1)}=***", text)


class Authenticator(Protocol):
    """Adds credentials to each request and may renew them once after a 401."""

    def headers(self, api: ApiClient) -> dict[str, str]:
        """Headers carrying the credentials (may request a token through `api`)."""
        ...

    def refresh(self) -> bool:
        """Drop cached credentials; True when retrying with fresh ones may succeed."""
        ...


class BearerToken:
    """A static ``Authorization: Bearer`` token (Canvas, 360Learning personal tokens)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "BearerToken(***)"

    def headers(self, api: ApiClient) -> dict[str, str]:
        """The Authorization header."""
        return {"Authorization": f"Bearer {self._token}"}

    def refresh(self) -> bool:
        """A static token cannot be renewed: False."""
        return False


def classify_http(response: httpx.Response, what: str) -> SourceError | None:
    """The HTTP-status verdict every vendor starts from.

    2xx is usable; 408/425/429/5xx are `SourceUnavailable`; 401/403 are `SourceAuthError`;
    anything else is a plain `SourceError`.

    Args:
        response: the answer.
        what: names the call in messages, e.g. ``"Canvas enrollments of course 7"``.

    Returns:
        None, or the error to raise.
    """
    status = response.status_code
    if 200 <= status < 300:
        return None
    where = f"{what}: HTTP {status} from {response.request.url.copy_with(query=None)}"
    if status in _TRANSIENT_STATUSES:
        return SourceUnavailable(where)
    if status in (401, 403):
        return SourceAuthError(where)
    return SourceError(where)


@functools.cache
def _tls_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    # httpx builds the same default context per client, reading the CA bundle each time
    # (a tenth of a second of CPU per source read); the environment keys the cache.
    return httpx.create_ssl_context(trust_env=True)


class ApiClient:
    """An httpx client that classifies, retries and redacts; open it with ``with``.

    Attributes:
        vendor: product name used in log lines (``"Canvas"``).
        redact: the redactor applied to every log line and error message.
    """

    def __init__(
        self,
        base_url: str,
        *,
        vendor: str,
        classify: Classifier = classify_http,
        auth: Authenticator | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        secrets: Iterable[str] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Configure the client; the connection pool opens on ``with``.

        Args:
            base_url: prefix of relative request URLs.
            vendor: product name for messages.
            classify: the vendor's response classifier.
            auth: adds credentials to each request; None for none (or body-borne tokens).
            retry: the retry policy (default `RetryPolicy()`).
            timeout: seconds per request.
            transport: an httpx transport instead of the network (tests).
            secrets: values never to show in logs or errors (tokens, keys, passwords).
            headers: sent with every request.
        """
        self.vendor = vendor
        self.redact = Redactor(secrets)
        self._classify = classify
        self._auth = auth
        self._retry = retry or RetryPolicy()
        self._http = httpx.Client(
            base_url=base_url,
            timeout=timeout,
            transport=transport,
            headers=dict(headers or {}),
            verify=_tls_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")),
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        params: Any = None,
        data: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = True,
    ) -> httpx.Response:
        """Send one request, retrying transient failures per the policy.

        A 401 on an authenticated request makes the authenticator refresh once; the
        request is then repeated (that repeat is not counted as a retry).

        Args:
            method: HTTP method.
            url: absolute, or relative to the base URL.
            what: names the call in log lines and errors.
            params: query parameters.
            data: form fields.
            json: a JSON body.
            headers: extra headers.
            authenticated: add the authenticator's headers (False for token requests).

        Returns:
            The response the classifier accepted.

        Raises:
            SourceUnavailable: still failing transiently when the attempts or waits ran out.
            SourceAuthError: credentials refused.
            SourceError: any other failure the classifier reported.
        """
        attempt, waited, refreshed = 1, 0.0, False
        while True:
            error, retry_after, response = self._attempt(
                method, url, what, params, data, json, headers, authenticated
            )
            if error is None and response is not None:
                return response
            assert error is not None
            if (
                response is not None
                and response.status_code == 401
                and authenticated
                and self._auth is not None
                and not refreshed
                and self._auth.refresh()
            ):
                refreshed = True
                logger.info("%s: %s: HTTP 401; renewing credentials", self.vendor, what)
                continue
            delay = self._retry.delay(attempt, retry_after)
            last = attempt >= self._retry.max_attempts
            if not is_transient(error) or last or waited + delay > self._retry.max_total_wait:
                raise error
            logger.warning(
                "%s (attempt %d/%d); retrying in %.1f s",
                error,
                attempt,
                self._retry.max_attempts,
                delay,
            )
            self._retry.sleep(delay)
            waited += delay
            attempt += 1

    def get_json(self, url: str, *, what: str, params: Any = None) -> Any:
        """GET and decode a JSON answer.

        Returns:
            The decoded body.

        Raises:
            SourceError: as `request`, or the body is not JSON.
        """
        return self.json_of(self.request("GET", url, what=what, params=params), what)

    def json_of(self, response: httpx.Response, what: str) -> Any:
        """Decode a response body as JSON.

        Raises:
            SourceError: the body is not JSON (an HTML login page, a proxy's error page).
        """
        try:
            return response.json()
        except ValueError as exc:
            raise SourceError(f"{what}: answer is not JSON") from exc

    def _attempt(
        self,
        method: str,
        url: str,
        what: str,
        params: Any,
        data: Mapping[str, str] | None,
        json: Any,
        headers: Mapping[str, str] | None,
        authenticated: bool,
    ) -> tuple[SourceError | None, float | None, httpx.Response | None]:
        sent = dict(headers or {})
        if authenticated and self._auth is not None:
            sent.update(self._auth.headers(self))
        try:
            response = self._http.request(
                method, url, params=params, data=data, json=json, headers=sent
            )
        except httpx.TimeoutException as exc:
            error: SourceError = SourceUnavailable(f"{what}: timed out at {self._where(url)}")
            error.__cause__ = exc
            return error, None, None
        except httpx.TransportError as exc:
            text = self.redact(str(exc) or type(exc).__name__)
            verb = "cannot reach" if isinstance(exc, httpx.ConnectError) else "connection broke at"
            error = SourceUnavailable(f"{what}: {verb} {self._where(url)}: {text}")
            error.__cause__ = exc
            return error, None, None
        if logger.isEnabledFor(logging.DEBUG):  # the URL costs parsing twice: only when shown
            where = self._where(url)
            logger.debug("%s: %s %s -> HTTP %d", self.vendor, method, where, response.status_code)
        found = self._classify(response, what)
        if found is None:
            return None, None, response
        found.args = tuple(self.redact(str(a)) for a in found.args)
        return found, parse_retry_after(response.headers.get("Retry-After")), response

    def _where(self, url: str) -> str:
        return self.redact(str(self._http.base_url.join(url).copy_with(query=None)))
