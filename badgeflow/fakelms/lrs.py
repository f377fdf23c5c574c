"""A fake Learning Record Store on loopback speaking xAPI 1.0.3, for tests and demos.

Served under ``/xapi`` (HTTP Basic auth with the key and secret; every request must carry
``X-Experience-API-Version: 1.0.x``):

- ``GET /xapi/statements`` with ``verb``, ``activity``, ``since``/``until`` (``stored``,
  exclusive/inclusive, ISO 8601 with offset), ``limit`` (0 = server maximum),
  ``ascending``, ``format``: a StatementResult ``{"statements": [...], "more": "<IRL>"}``,
  ``more`` being a relative IRL (``/xapi/statements?more=<cursor>``) or ``""`` on the last
  page. Voided statements are left out; voiding statements are listed.
- ``GET /xapi/statements?statementId=`` / ``?voidedStatementId=``: one statement, or 404.
- ``GET /xapi/about``: the versions it speaks (no auth).

LRS signals: bad credentials 401 with ``WWW-Authenticate: Basic``; an unknown or malformed
parameter, or a missing version header, 400 ``{"error": true, "message"}``; throttling
(`throttle_next`) 429 with ``Retry-After``; `fail_next` 503. Setting `loop_paging` makes
every ``more`` IRL point back at the current page.

Run it by hand::

    python -m badgeflow.fakelms.lrs --dataset data.json --port 8090 --key demo --secret demo
"""

from __future__ import annotations

import argparse
import base64
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

from badgeflow.fakelms._server import (
    FakeLMSServer,
    FakeRequest,
    FakeResponse,
    serve_until_interrupted,
)
from badgeflow.fakelms.lrs_dataset import LrsDataset, stored_at

__all__ = ["FakeLRS", "LrsDataset", "main"]

VERSION: Final = "1.0.3"
_PARAMS: Final = frozenset(
    {
        "statementId", "voidedStatementId", "agent", "verb", "activity", "registration",
        "related_activities", "related_agents", "since", "until", "limit", "format",
        "attachments", "ascending", "more",
    }
)  # fmt: skip
_MAX_LIMIT: Final = 100


class FakeLRS(FakeLMSServer):
    """An xAPI LRS on ``127.0.0.1``; see the module docstring for what it speaks.

    Examples:
        >>> with FakeLRS(LrsDataset(), key="k", secret="s") as server:
        ...     server.base_url.startswith("http://127.0.0.1:")
        True
    """

    vendor = "LRS"

    def __init__(
        self,
        dataset: LrsDataset,
        *,
        key: str,
        secret: str,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        """Prepare the server; it listens once started (``with`` or `start`).

        Args:
            dataset: what the server serves.
            key: the Basic-auth user (the LRS "key") it accepts.
            secret: its password (refused after `expire_tokens`).
            host: the address to bind.
            port: the TCP port; 0 picks a free one.
        """
        super().__init__(host=host, port=port)
        self.dataset = dataset
        self.credentials = base64.b64encode(f"{key}:{secret}".encode()).decode("ascii")
        self.loop_paging = False

    @property
    def endpoint(self) -> str:
        """The xAPI endpoint to configure, e.g. ``http://127.0.0.1:54321/xapi/``."""
        return f"{self.base_url}/xapi/"

    def throttle_response(self, request: FakeRequest) -> FakeResponse:
        """429 with ``Retry-After`` and the LRS's error body."""
        return _error(429, "Too many requests", {"Retry-After": "1"})

    def error_response(self, status: int) -> FakeResponse:
        """A 5xx with the LRS's error body."""
        return _error(status, "Service unavailable")

    def handle(self, request: FakeRequest) -> FakeResponse:
        """Authenticate, validate and answer one xAPI request."""
        if request.path == "/xapi/about":
            return _json({"version": [VERSION, "1.0.2", "1.0.1", "1.0.0"]})
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic" or value != self.credentials or self.tokens_expired:
            return _error(401, "Unauthorized", {"WWW-Authenticate": 'Basic realm="LRS"'})
        if not request.headers.get("x-experience-api-version", "").startswith("1.0"):
            return _error(400, "X-Experience-API-Version header missing or not 1.0.x")
        if request.path != "/xapi/statements" or request.method != "GET":
            return _error(404, f"no resource {request.method} {request.path}")
        unknown = sorted({k for k, _ in request.query} - _PARAMS)
        if unknown:
            return _error(400, f"unknown parameter(s): {', '.join(unknown)}")
        params = dict(request.query)
        if "more" in params:
            return self._more(params["more"])
        for single in ("statementId", "voidedStatementId"):
            if single in params:
                return self._single(params[single], voided=single == "voidedStatementId")
        return self._query(params, 0)

    def _single(self, statement_id: str, *, voided: bool) -> FakeResponse:
        found = next((s for s in self.dataset.statements if s["id"] == statement_id), None)
        if found is None or (statement_id in self.dataset.voided_ids()) != voided:
            return _error(404, f"no statement {statement_id}")
        return _json(found)

    def _more(self, cursor: str) -> FakeResponse:
        try:
            state = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
            return self._query(dict(state["params"]), int(state["offset"]))
        except (ValueError, KeyError, TypeError):
            return _error(400, "invalid more cursor")

    def _query(self, params: dict[str, str], offset: int) -> FakeResponse:
        try:
            since, until = _time(params.get("since")), _time(params.get("until"))
            limit = int(params.get("limit", "0"))
        except ValueError as exc:
            return _error(400, str(exc))
        if limit < 0:
            return _error(400, "limit must not be negative")
        limit = min(limit or _MAX_LIMIT, _MAX_LIMIT)
        voided = self.dataset.voided_ids()
        found = [
            s
            for s in self.dataset.by_stored()
            if s["id"] not in voided
            and params.get("verb", s["verb"].get("id")) == s["verb"].get("id")
            and params.get("activity", s["object"].get("id")) == s["object"].get("id")
            and (since is None or stored_at(s) > since)
            and (until is None or stored_at(s) <= until)
        ]
        if params.get("ascending", "false") != "true":
            found.reverse()
        page = found[offset : offset + limit]
        following = offset if self.loop_paging else offset + limit
        more = ""
        if offset + limit < len(found):
            cursor = json.dumps({"params": params, "offset": following}).encode()
            token = base64.urlsafe_b64encode(cursor).decode("ascii")
            more = f"/xapi/statements?{urlencode({'more': token})}"
        newest = max((str(s["stored"]) for s in self.dataset.statements), default=None)
        return _json({"statements": page, "more": more}, consistent=newest)


def _time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no timezone")
    return parsed


def _json(payload: Any, consistent: str | None = None) -> FakeResponse:
    headers = {"X-Experience-API-Version": VERSION}
    if consistent:
        headers["X-Experience-API-Consistent-Through"] = consistent
    return FakeResponse.json(payload, headers=headers)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> FakeResponse:
    return FakeResponse.json(
        {"error": True, "success": False, "message": message},
        status,
        {"X-Experience-API-Version": VERSION, **(headers or {})},
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a dataset until interrupted (Ctrl-C).

    Args:
        argv: command-line arguments; the process's when None.

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(prog="python -m badgeflow.fakelms.lrs")
    parser.add_argument("--dataset", type=Path, required=True, help="dataset JSON")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=8090, help="TCP port (default 8090)")
    parser.add_argument("--key", default="demo-key", help="Basic-auth key to accept")
    parser.add_argument("--secret", default="demo-secret", help="Basic-auth secret to accept")
    options = parser.parse_args(argv)
    dataset = LrsDataset.load(options.dataset)
    server = FakeLRS(
        dataset, key=options.key, secret=options.secret, host=options.host, port=options.port
    )
    return serve_until_interrupted(
        server, lambda: f"fake LRS serving {options.dataset} at {server.endpoint}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
