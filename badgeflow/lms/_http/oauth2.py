"""OAuth2 client-credentials tokens, cached until shortly before they expire."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from badgeflow.errors import SourceAuthError, SourceError, is_transient

if TYPE_CHECKING:
    from badgeflow.lms._http.client import ApiClient

__all__ = ["OAuth2ClientCredentials"]

TokenStyle = Literal["basic", "form", "json", "json_snake"]


class OAuth2ClientCredentials:
    """An `Authenticator` that fetches a client-credentials token and caches it.

    A cached token is reused until `margin` before its ``expires_in`` runs out; after that,
    and after a 401 (`refresh`), the next request fetches a new one. Vendors differ in how
    the client proves itself (`style`):

    - ``"basic"``: HTTP Basic ``client_id:client_secret``, form body ``grant_type=...``
      (RFC 6749 section 2.3.1; Blackboard, Docebo).
    - ``"form"``: ``client_id``/``client_secret`` as form fields.
    - ``"json"``: a JSON body with camelCase keys ``clientId``, ``clientSecret``,
      ``grantType``, ``scope`` (Cornerstone).
    - ``"json_snake"``: a JSON body with RFC 6749 names ``grant_type``, ``client_id``,
      ``client_secret`` (and ``scope`` only when set), nothing else (360Learning).

    The secret is registered with the client's redactor on first use, so it never shows
    in a log line or an error.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = None,
        style: TokenStyle = "basic",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        margin: timedelta = timedelta(seconds=60),
    ) -> None:
        """Configure the token source; nothing is requested until the first call.

        Args:
            token_url: the token endpoint, absolute or relative to the API's base URL.
            client_id: the OAuth2 client id.
            client_secret: the client secret (never logged).
            scope: the scope to ask for, if the vendor wants one.
            style: how the client authenticates to the token endpoint (see above).
            clock: returns the current time (tests pass a fake one).
            margin: renew this long before the token expires.
        """
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret
        self.scope = scope
        self.style = style
        self._clock = clock
        self._margin = margin
        self._token: str | None = None
        self._expires: datetime | None = None
        self._lock = threading.Lock()
        self.tokens_fetched = 0

    def __repr__(self) -> str:
        return f"OAuth2ClientCredentials(token_url={self.token_url!r}, client_id=***)"

    def headers(self, api: ApiClient) -> dict[str, str]:
        """``Authorization: Bearer <token>``, fetching a token when none is fresh.

        Raises:
            SourceAuthError: the token endpoint refused the client.
            SourceUnavailable: the token endpoint is failing transiently.
            SourceError: the token answer has no ``access_token``.
        """
        with self._lock:
            now = self._clock()
            if self._token is None or (self._expires is not None and now >= self._expires):
                self._fetch(api, now)
            assert self._token is not None
            return {"Authorization": f"Bearer {self._token}"}

    def refresh(self) -> bool:
        """Forget the cached token (the server said 401); True: a new one may work."""
        with self._lock:
            self._token = self._expires = None
        return True

    def _fetch(self, api: ApiClient, now: datetime) -> None:
        api.redact.add(self._secret)
        form = {"grant_type": "client_credentials"}
        if self.scope:
            form["scope"] = self.scope
        headers: dict[str, str] = {}
        body: dict[str, Any] | None = None
        if self.style == "basic":
            pair = f"{self.client_id}:{self._secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
            api.redact.add(headers["Authorization"].split()[1])
        elif self.style == "form":
            form |= {"client_id": self.client_id, "client_secret": self._secret}
        elif self.style == "json_snake":
            body = form | {"client_id": self.client_id, "client_secret": self._secret}
        else:
            body = {"clientId": self.client_id, "clientSecret": self._secret}
            body |= {"grantType": "client_credentials", "scope": self.scope or ""}
        what = f"{api.vendor} token request"
        try:
            response = api.request(
                "POST",
                self.token_url,
                what=what,
                data=None if body is not None else form,
                json=body,
                headers=headers,
                authenticated=False,
            )
        except SourceError as exc:
            if is_transient(exc) or isinstance(exc, SourceAuthError):
                raise
            # A 400 here is RFC 6749's invalid_client / invalid_grant: the credentials.
            raise SourceAuthError(f"{what} refused: {exc}") from exc
        payload = api.json_of(response, what)
        token = payload.get("access_token") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not token:
            raise SourceError(f"{what}: the answer has no access_token")
        api.redact.add(token)
        lifetime = payload.get("expires_in")
        self._token = token
        self._expires = None
        if isinstance(lifetime, int | float | str) and str(lifetime).isdigit():
            self._expires = now + timedelta(seconds=int(lifetime)) - self._margin
        self.tokens_fetched += 1
