"""A fake Cornerstone OnDemand on loopback: its OAuth2 token call and Reporting API views.

Served:

- ``POST /services/api/oauth2/token`` with a JSON body ``{"clientId", "clientSecret",
  "grantType": "client_credentials", "scope"}`` (scopes space- or comma-separated, each
  ``<view>:read`` or ``all``) answering ``{access_token, expires_in, scope, token_type}``;
  a wrong client is 401 ``invalid_client``, a scope the client may not have 400
  ``invalid_scope``.
- ``GET /services/api/x/odata/api/views/<view>`` for ``vw_rpt_transcript``, ``vw_rpt_user``
  and ``vw_rpt_training``, Bearer token, with ``$filter`` (see `_odata`), ``$select``,
  ``$count=true``, ``$top``/``$skip``, and server paging: page size from the header
  ``Prefer: odata.maxpagesize=<n>`` (default and cap `max_page_size`), the rest behind an
  absolute ``@odata.nextLink`` carrying ``$skiptoken``.

Cornerstone's own signals: throttling (`throttle_next`) is 429 with the JSON body
``{"status": "429", "timeStamp", "error": {"errorId", "message": "CSOD Too many requests.",
"code": "429", ...}}``, the ``x-csod-*`` limit headers and no ``Retry-After`` (the client is
blocked until the minute ends); 401/403/5xx use the same envelope; query errors (a bad
filter, an unknown property or view) are OData ``{"error": {"code", "message"}}``. A token
lacking the view's scope is 403. Setting `loop_paging` makes every next link repeat the page.

Run it by hand::

    python -m badgeflow.fakelms.cornerstone --dataset data.json --port 8091
"""

from __future__ import annotations

import argparse
import json
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

from badgeflow.fakelms._odata import ODataError, parse_filter, parse_select
from badgeflow.fakelms._server import (
    FakeLMSServer,
    FakeRequest,
    FakeResponse,
    serve_until_interrupted,
)
from badgeflow.fakelms.cornerstone_dataset import CornerstoneDataset

__all__ = ["TOKEN_PATH", "VIEWS_PATH", "CornerstoneDataset", "FakeCornerstone", "main"]

TOKEN_PATH: Final = "/services/api/oauth2/token"
VIEWS_PATH: Final = "/services/api/x/odata/api/views/"
_PREFER: Final = re.compile(r"odata\.maxpagesize=(\d+)")
_REASONS: Final = {
    401: "Unauthorized: the access token is missing, invalid or expired.",
    403: "Forbidden: the access token does not grant this view.",
    429: "CSOD Too many requests.",
}


class FakeCornerstone(FakeLMSServer):
    """Cornerstone's token endpoint and Reporting API on ``127.0.0.1``.

    Examples:
        >>> with FakeCornerstone(CornerstoneDataset(), "id", "secret") as server:
        ...     server.base_url.startswith("http://127.0.0.1:")
        True
    """

    vendor = "Cornerstone"

    def __init__(
        self,
        dataset: CornerstoneDataset,
        client_id: str,
        client_secret: str,
        *,
        scopes: Sequence[str] = ("all",),
        max_page_size: int = 1000,
        expires_in: int = 3600,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        """Prepare the server; it listens once started (``with`` or `start`).

        Args:
            dataset: the views' rows.
            client_id: the only API client it knows.
            client_secret: that client's secret.
            scopes: the scopes that client may be granted (``all`` or ``<view>:read``).
            max_page_size: the default and largest page.
            expires_in: lifetime of issued tokens, seconds.
            clock: the time stamped on throttling answers.
            host: the address to bind.
            port: the TCP port; 0 picks a free one.
        """
        super().__init__(host=host, port=port)
        self.views = dataset.views()
        self.client_id = client_id
        self.client_secret = client_secret
        self.scopes = frozenset(scopes)
        self.max_page_size = max_page_size
        self.expires_in = expires_in
        self.clock = clock
        self.loop_paging = False
        self._granted: dict[str, frozenset[str]] = {}

    def throttle_response(self, request: FakeRequest) -> FakeResponse:
        """429 with Cornerstone's JSON body and limit headers, no ``Retry-After``."""
        headers = {
            "x-csod-throttling-rate-limit-urilevel": "56400",
            "x-csod-requests-remaining-urilevel": "0",
        }
        return self._envelope(429, headers)

    def error_response(self, status: int) -> FakeResponse:
        """A `fail_next` answer in Cornerstone's error envelope."""
        return self._envelope(status)

    def handle(self, request: FakeRequest) -> FakeResponse:
        """Answer a token request or a view query."""
        if request.path == TOKEN_PATH and request.method == "POST":
            return self._token(request)
        if not request.path.startswith(VIEWS_PATH) or request.method != "GET":
            return _odata_error(404, "NotFound", f"No route for {request.method} {request.path}.")
        token = request.bearer()
        if token is None or not self.token_is_live(token):
            return self._envelope(401)
        view = request.path.removeprefix(VIEWS_PATH)
        if view not in self.views:
            return _odata_error(404, "NotFound", f"The view '{view}' does not exist.")
        granted = self._granted.get(token, frozenset())
        if "all" not in granted and f"{view}:read" not in granted:
            return self._envelope(403)
        try:
            return self._query(request, view)
        except ODataError as exc:
            return _odata_error(400, "BadRequest", str(exc))

    def _token(self, request: FakeRequest) -> FakeResponse:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict) or "json" not in request.headers.get("content-type", ""):
            return FakeResponse.json({"error": "invalid_request"}, 400)
        if body.get("grantType") != "client_credentials":
            return FakeResponse.json({"error": "unsupported_grant_type"}, 400)
        if (body.get("clientId"), body.get("clientSecret")) != (
            self.client_id,
            self.client_secret,
        ):
            return FakeResponse.json({"error": "invalid_client"}, 401)
        wanted = frozenset(re.split(r"[\s,]+", str(body.get("scope") or "").strip())) - {""}
        if not wanted or ("all" not in self.scopes and not wanted <= self.scopes):
            return FakeResponse.json({"error": "invalid_scope"}, 400)
        token = self.issue_token()
        self._granted[token] = wanted
        return FakeResponse.json(
            {
                "access_token": token,
                "expires_in": self.expires_in,
                "scope": " ".join(sorted(wanted)),
                "token_type": "Bearer",
            }
        )

    def _query(self, request: FakeRequest, view: str) -> FakeResponse:
        fields, rows = self.views[view]
        keep = parse_filter(request.param("$filter"), fields=fields)
        selected = parse_select(request.param("$select"), fields)
        found = [row for row in rows if keep(row)]
        skip, top = _number(request, "$skip", 0), _number(request, "$top", len(found))
        found = found[skip : skip + top]
        prefer = _PREFER.search(request.headers.get("prefer", ""))
        size = min(int(prefer.group(1)) if prefer else self.max_page_size, self.max_page_size)
        size = max(size, 1)
        start = _number(request, "$skiptoken", 0)
        payload: dict[str, Any] = {
            "@odata.context": f"{self.base_url}{VIEWS_PATH}$metadata#{view}"
            + (f"({','.join(selected)})" if request.param("$select") else ""),
        }
        if request.param("$count") == "true":
            payload["@odata.count"] = len(found)
        payload["value"] = [{k: row[k] for k in selected} for row in found[start : start + size]]
        if start + size < len(found):
            following = start if self.loop_paging else start + size
            query = [(k, v) for k, v in request.query if k != "$skiptoken"]
            query.append(("$skiptoken", str(following)))
            payload["@odata.nextLink"] = f"{self.base_url}{request.path}?{urlencode(query)}"
        return FakeResponse.json(
            payload, headers={"Preference-Applied": f"odata.maxpagesize={size}"}
        )

    def _envelope(self, status: int, headers: dict[str, str] | None = None) -> FakeResponse:
        body = {
            "status": str(status),
            "timeStamp": self.clock().strftime("%Y-%m-%dT%H:%M:%S%z"),
            "error": {
                "errorId": str(uuid.uuid4()),
                "message": _REASONS.get(status, "An unexpected error occurred."),
                "code": str(status),
                "description": None,
                "details": None,
            },
        }
        return FakeResponse.json(body, status, headers)


def _number(request: FakeRequest, name: str, default: int) -> int:
    value = request.param(name)
    if value is None:
        return default
    if not value.isdigit():
        raise ODataError(f"The value '{value}' of {name} is not a non-negative integer.")
    return int(value)


def _odata_error(status: int, code: str, message: str) -> FakeResponse:
    return FakeResponse.json({"error": {"code": code, "message": message}}, status)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a dataset until interrupted (Ctrl-C).

    Args:
        argv: command-line arguments; the process's when None.

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(prog="python -m badgeflow.fakelms.cornerstone")
    parser.add_argument("--dataset", type=Path, required=True, help="dataset JSON")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=8091, help="TCP port (default 8091)")
    parser.add_argument("--client-id", default="demo-client", help="API client id to accept")
    parser.add_argument("--client-secret", default="demo-secret", help="its secret")
    options = parser.parse_args(argv)
    dataset = CornerstoneDataset.load(options.dataset)
    server = FakeCornerstone(
        dataset, options.client_id, options.client_secret, host=options.host, port=options.port
    )
    return serve_until_interrupted(
        server, lambda: f"fake Cornerstone serving {options.dataset} at {server.base_url}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
