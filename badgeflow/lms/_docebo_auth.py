"""Docebo's OAuth2 password grant (client credentials use `OAuth2ClientCredentials`)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from badgeflow.errors import SourceAuthError, SourceError, is_transient

if TYPE_CHECKING:
    from badgeflow.lms._http import ApiClient

__all__ = ["DoceboPasswordGrant"]


class DoceboPasswordGrant:
    """An `Authenticator` for Docebo's OAuth2 ``password`` grant, cached until near expiry.

    Docebo's API apps can be set to the resource-owner password grant: the token request
    carries the client and a user's login (``scope=api``); the token acts with that user's
    permissions. Like `OAuth2ClientCredentials`, the token is reused until `margin` before
    ``expires_in`` runs out and fetched anew after a 401.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        username: str,
        password: str,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        margin: timedelta = timedelta(seconds=60),
    ) -> None:
        """Configure the grant; nothing is requested until the first call.

        Args:
            token_url: the token endpoint, relative to the API's base URL or absolute.
            client_id: the API app's client id.
            client_secret: its secret (never logged).
            username: the Docebo user the token acts as.
            password: that user's password (never logged).
            clock: returns the current time (tests pass a fake one).
            margin: renew this long before the token expires.
        """
        self.token_url = token_url
        self._form = {
            "grant_type": "password",
            "client_id": client_id,
            "client_secret": client_secret,
            "username": username,
            "password": password,
            "scope": "api",
        }
        self._clock, self._margin = clock, margin
        self._token: str | None = None
        self._expires: datetime | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"DoceboPasswordGrant(token_url={self.token_url!r}, client_id=***)"

    def headers(self, api: ApiClient) -> dict[str, str]:
        """``Authorization: Bearer <token>``, fetching a token when none is fresh.

        Raises:
            SourceAuthError: the token endpoint refused the client or the user's login.
            SourceUnavailable: the token endpoint is failing transiently.
            SourceError: the token answer has no ``access_token``.
        """
        with self._lock:
            now = self._clock()
            if self._token is None or (self._expires is not None and now >= self._expires):
                self._fetch(api, now)
            return {"Authorization": f"Bearer {self._token}"}

    def refresh(self) -> bool:
        """Forget the cached token (the server said 401); True: a new one may work."""
        with self._lock:
            self._token = self._expires = None
        return True

    def _fetch(self, api: ApiClient, now: datetime) -> None:
        api.redact.add(self._form["client_secret"])
        api.redact.add(self._form["password"])
        what = f"{api.vendor} token request"
        try:
            response = api.request(
                "POST", self.token_url, what=what, data=self._form, authenticated=False
            )
        except SourceError as exc:
            if is_transient(exc) or isinstance(exc, SourceAuthError):
                raise
            raise SourceAuthError(f"{what} refused: {exc}") from exc
        payload = api.json_of(response, what)
        token = payload.get("access_token") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not token:
            raise SourceError(f"{what}: the answer has no access_token")
        api.redact.add(token)
        api.redact.add(payload.get("refresh_token"))
        self._token, self._expires = token, None
        lifetime = str(payload.get("expires_in", ""))
        if lifetime.isdigit():
            self._expires = now + timedelta(seconds=int(lifetime)) - self._margin
