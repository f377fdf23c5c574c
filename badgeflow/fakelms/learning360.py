"""A fake 360Learning on loopback speaking the API v2 wire format, for tests and demos.

Served: ``POST /api/v2/oauth2/token`` (JSON ``grant_type``/``client_id``/``client_secret``,
tokens valid 3600 s), and with ``Authorization: Bearer`` plus ``360-api-version: v2.0``:
``GET /api/v2/courses/stats`` (filters ``courseId[eq]``, ``userId[eq]``,
``completedAt[gte]``/``[lt]``), ``GET /api/v2/paths/stats`` (``pathId[in][N]``, the same
``userId``/``completedAt`` filters), ``GET /api/v2/courses/{id}``, ``/paths/{id}`` and
``/users/{id}``.

360Learning's own signals: listings are arrays of at most `page_size` items (500 on the real
course statistics) with ``Link: <...?next=<cursor>>; rel="next"`` while more remain, the
cursor carrying the original filters; dates in filters must be ``YYYY-MM-DDThh:mm:ss.sssZ``
(milliseconds dropped). Errors: ``{"error": "invalid_token"}`` (401), ``{"error":
"invalid_client"}`` (401 on the token call), ``{"error": {"code": "invalid_scope",
"message"}}`` (403, a scope missing from `scopes`), ``{"error": {"code": "courseNotFound",
"message"}}`` (404; ``pathNotFound``, ``userNotFound``), ``{"error": "tooManyRequests"}``
(429, `throttle_next`; no ``Retry-After`` unless `retry_after` is set). The codes of a bad
filter and a missing version header are not documented: ``badRequest`` here. Switches beyond
the base's: `expire_after` (tokens expire after that many API calls), `loop_paging`.

Run it by hand::

    python -m badgeflow.fakelms.learning360 --dataset data.json --port 8093
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel

from badgeflow.fakelms._server import (
    FakeLMSServer,
    FakeRequest,
    FakeResponse,
    serve_until_interrupted,
)
from badgeflow.fakelms.learning360_dataset import Learning360Dataset

__all__ = ["SCOPES", "FakeLearning360", "Learning360Dataset", "main"]

SCOPES: Final = frozenset(
    {"courses:read", "courseStats:read", "paths:read", "pathStats:read", "users:read"}
)
"""The OAuth scopes the fake knows; a client has all of them unless `scopes` is narrowed."""

_ITEM: Final = re.compile(r"^/api/v2/(courses|paths|users)/([^/]+)$")
_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
_STATS_FILTERS: Final = re.compile(
    r"^(courseId\[eq\]|userId\[eq\]|pathId\[in\]\[\d+\]|completedAt\[(gte|lt)\])$"
)
_TOKEN_FIELDS: Final = frozenset({"grant_type", "client_id", "client_secret", "user_id"})


class FakeLearning360(FakeLMSServer):
    """A 360Learning API v2 on ``127.0.0.1``; see the module docstring for what it speaks.

    Attributes:
        scopes: the scopes every token carries; a call needing another answers 403.
        retry_after: the ``Retry-After`` of a throttled answer (None: no header, as documented).
        expire_after: after this many API calls, every token expires once (then None).
        loop_paging: every ``next`` link points back at the current page.
        absolute_links: ``next`` links are absolute URLs (False: root-relative paths).
        issued_tokens: every access token handed out, in order.
    """

    vendor = "360Learning"

    def __init__(
        self,
        dataset: Learning360Dataset,
        client_id: str,
        client_secret: str,
        *,
        page_size: int = 500,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        """Prepare the server; it listens once started (``with`` or `start`).

        Args:
            dataset: what the server serves.
            client_id: the only API client id it knows.
            client_secret: that client's secret.
            page_size: items per listing page (the real API: 500 for course statistics).
            host: the address to bind.
            port: the TCP port; 0 picks a free one.
        """
        super().__init__(host=host, port=port)
        self.dataset = dataset
        self.client_id = client_id
        self.client_secret = client_secret
        self.page_size = page_size
        self.scopes: set[str] = set(SCOPES)
        self.retry_after: str | None = None
        self.expire_after: int | None = None
        self.loop_paging = False
        self.absolute_links = True
        self.issued_tokens: list[str] = []
        self._calls = 0
        self._calls_lock = threading.Lock()

    def throttle_response(self, request: FakeRequest) -> FakeResponse:
        """429 ``{"error": "tooManyRequests"}``, with `retry_after` when set."""
        headers = {"Retry-After": self.retry_after} if self.retry_after else {}
        return FakeResponse.json({"error": "tooManyRequests"}, 429, headers)

    def handle(self, request: FakeRequest) -> FakeResponse:
        """Authenticate, route and page one request."""
        if request.path == "/api/v2/oauth2/token" and request.method == "POST":
            return self._token(request)
        with self._calls_lock:
            if self.expire_after is not None and self._calls >= self.expire_after:
                self.expire_tokens()
                self.expire_after = None
            self._calls += 1
        if not self.token_is_live(request.bearer()):
            return FakeResponse.json({"error": "invalid_token"}, 401)
        if request.headers.get("360-api-version") != "v2.0":
            return _error(400, "badRequest", "the 360-api-version header must be v2.0")
        if request.path == "/api/v2/courses/stats":
            return self._stats(request, "courseStats:read", self._attempts)
        if request.path == "/api/v2/paths/stats":
            return self._stats(request, "pathStats:read", self._path_stats)
        match = _ITEM.match(request.path)
        if match is None or request.method != "GET":
            return _error(404, "notFound", f"no route {request.method} {request.path}")
        kind, key = match.groups()
        if f"{kind}:read" not in self.scopes:
            return _scope_missing(f"{kind}:read")
        found = {
            "courses": self.dataset.course,
            "paths": self.dataset.path,
            "users": self.dataset.user,
        }[kind](key)
        if found is None:
            noun = kind.removesuffix("s")
            return _error(404, f"{noun}NotFound", f"The given `{noun}Id` does not exist.")
        return FakeResponse.json(_course(found) if kind == "courses" else _wire(found))

    def _token(self, request: FakeRequest) -> FakeResponse:
        try:
            body = json.loads(request.body or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict) or not set(body) <= _TOKEN_FIELDS:
            return FakeResponse.json({"error": "invalid_request"}, 400)
        if body.get("grant_type") != "client_credentials":
            return FakeResponse.json({"error": "unsupported_grant_type"}, 400)
        if (body.get("client_id"), body.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return FakeResponse.json({"error": "invalid_client"}, 401)
        token = self.issue_token()
        self.issued_tokens.append(token)
        return FakeResponse.json(
            {"token_type": "Bearer", "access_token": token, "expires_in": 3600}
        )

    def _stats(
        self,
        request: FakeRequest,
        scope: str,
        items: Callable[[dict[str, list[str]]], list[dict[str, Any]]],
    ) -> FakeResponse:
        if scope not in self.scopes:
            return _scope_missing(scope)
        cursor = request.param("next")
        if cursor is not None:
            try:
                state = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
                query, offset = [tuple(p) for p in state["q"]], int(state["o"])
            except (ValueError, KeyError, TypeError):
                return _error(400, "badRequest", "invalid next cursor")
        else:
            query, offset = list(request.query), 0
        filters: dict[str, list[str]] = {}
        for name, value in query:
            if not _STATS_FILTERS.match(name):
                return _error(400, "badRequest", f"unknown query parameter {name!r}")
            if name.startswith("completedAt") and not _DATE.match(value):
                return _error(400, "badRequest", f"{name} must be YYYY-MM-DDThh:mm:ss.sssZ")
            filters.setdefault(re.sub(r"\[\d+\]$", "", name), []).append(value)
        found = items(filters)
        headers = {}
        following = offset + self.page_size
        if following < len(found):
            state = {"q": query, "o": offset if self.loop_paging else following}
            token = base64.urlsafe_b64encode(json.dumps(state).encode()).decode("ascii")
            root = self.base_url if self.absolute_links else ""
            headers["Link"] = f'<{root}{request.path}?next={token}>; rel="next"'
        return FakeResponse.json(found[offset:following], headers=headers)

    def _attempts(self, filters: dict[str, list[str]]) -> list[dict[str, Any]]:
        return [
            _wire(a)
            for a in sorted(self.dataset.attempts, key=lambda a: a.id)
            if _matches(filters, a.completed_at, userId=a.user_id, courseId=a.course_id)
        ]

    def _path_stats(self, filters: dict[str, list[str]]) -> list[dict[str, Any]]:
        return [
            {**_wire(s), "status": {"type": s.status}}
            for s in sorted(self.dataset.path_stats, key=lambda s: s.id)
            if _matches(filters, s.completed_at, userId=s.user_id, pathId=s.path_id)
        ]


def _matches(filters: dict[str, list[str]], completed: datetime | None, **ids: str) -> bool:
    for name, value in ids.items():
        wanted = filters.get(f"{name}[eq]", []) + filters.get(f"{name}[in]", [])
        if wanted and value not in wanted:
            return False
    bounds = [(op, _date(v)) for op in ("gte", "lt") for v in filters.get(f"completedAt[{op}]", [])]
    if not bounds:
        return True
    if completed is None:
        return False
    return all(completed >= b if op == "gte" else completed < b for op, b in bounds)


def _date(value: str) -> datetime:
    # "The milliseconds are always set to 0."
    return datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)


def _wire(model: BaseModel) -> dict[str, Any]:
    payload = model.model_dump(by_alias=True, exclude_none=True)
    return {k: _iso(v) if isinstance(v, datetime) else v for k, v in payload.items()}


def _course(course: BaseModel) -> dict[str, Any]:
    return {**_wire(course), "type": "native", "defaultLang": "en", "sourceLang": "en"}


def _iso(value: datetime) -> str:
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


def _error(status: int, code: str, message: str) -> FakeResponse:
    return FakeResponse.json({"error": {"code": code, "message": message}}, status)


def _scope_missing(scope: str) -> FakeResponse:
    return _error(403, "invalid_scope", f"This endpoint requires the {scope} scope.")


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a dataset until interrupted (Ctrl-C).

    Args:
        argv: command-line arguments; the process's when None.

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(prog="python -m badgeflow.fakelms.learning360")
    parser.add_argument("--dataset", type=Path, required=True, help="dataset JSON")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=8093, help="TCP port (default 8093)")
    parser.add_argument("--client-id", default="demo-client", help="API client id to accept")
    parser.add_argument("--client-secret", default="demo-secret", help="its secret")
    options = parser.parse_args(argv)
    dataset = Learning360Dataset.load(options.dataset)
    server = FakeLearning360(
        dataset, options.client_id, options.client_secret, host=options.host, port=options.port
    )
    return serve_until_interrupted(
        server, lambda: f"fake 360Learning serving {options.dataset} at {server.base_url}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
