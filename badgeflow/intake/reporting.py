"""The read-only reporting API: the documented metrics views as JSON or CSV for BI tools.

Served under ``/api/v1/`` by the intake's ASGI app (`badgeflow.intake.app.IntakeApp`):

- ``GET /api/v1/views``: every view, what one row is, and its columns with their meaning;
- ``GET /api/v1/views/<name>``: rows of one view, filtered by ``?<column>=<value>``, paged
  by ``limit`` and ``offset``, as JSON or, with ``?format=csv`` or ``Accept: text/csv``, CSV.

Every request needs ``Authorization: Bearer <token>``; answers are never cached.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from badgeflow.intake.app import Receive, Scope, Send
from badgeflow.metrics._records import csv_text, records
from badgeflow.metrics.filters import FilterValue, parse_filters
from badgeflow.metrics.read import count_view, read_view
from badgeflow.metrics.views import VIEWS, view

__all__ = ["API_PREFIX", "ReportingApi"]

logger = logging.getLogger(__name__)

API_PREFIX: Final = "/api/v1"
_VIEWS_PATH: Final = f"{API_PREFIX}/views"
_RESERVED: Final = ("limit", "offset", "format")


class _Error(Exception):
    def __init__(self, status: int, error: str, headers: tuple[tuple[str, str], ...] = ()):
        super().__init__(error)
        self.status, self.error, self.headers = status, error, headers


@dataclass(frozen=True)
class _Answer:
    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def _json(payload: Any, status: int = 200, headers: tuple[tuple[str, str], ...] = ()) -> _Answer:
    body = json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")
    return _Answer(status, "application/json", body, headers)


class ReportingApi:
    """ASGI application answering ``GET /api/v1/...`` from the metrics views.

    Args:
        engine: an engine on a database at the current schema (read only).
        tokens: the accepted bearer tokens (current and previous); at least one.
        max_rows: the largest ``limit`` a request may ask for.
        default_limit: the page size when a request names none (at most `max_rows`).
    """

    def __init__(
        self,
        engine: Engine,
        tokens: Sequence[str],
        *,
        max_rows: int,
        default_limit: int = 1000,
    ) -> None:
        if not tokens or not all(tokens):
            raise ValueError("the reporting API needs at least one non-empty token")
        self.engine = engine
        self._tokens = tuple(t.encode("utf-8") for t in tokens)
        self.max_rows = max_rows
        self.default_limit = min(default_limit, max_rows)

    def __repr__(self) -> str:
        return f"ReportingApi(max_rows={self.max_rows})"  # never the tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one HTTP request under `API_PREFIX`."""
        try:
            answer = await self._handle(scope)
        except _Error as error:
            answer = _json({"error": error.error}, error.status, error.headers)
        headers = [
            (b"content-type", answer.content_type.encode()),
            (b"content-length", str(len(answer.body)).encode()),
            (b"cache-control", b"no-store"),
            *((k.encode(), v.encode("latin-1")) for k, v in answer.headers),
        ]
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})

    def _authorised(self, headers: dict[str, str]) -> bool:
        scheme, _, credential = headers.get("authorization", "").partition(" ")
        given = credential.strip().encode("utf-8")
        # Compare against every token, whatever matched, so timing tells nothing.
        matches = [hmac.compare_digest(given, token) for token in self._tokens]
        return scheme.lower() == "bearer" and any(matches)

    async def _handle(self, scope: Scope) -> _Answer:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if not self._authorised(headers):
            challenge = 'Bearer realm="badgeflow reporting"'
            if "authorization" in headers:
                challenge += ', error="invalid_token"'
            raise _Error(
                401, "a valid bearer token is required", (("www-authenticate", challenge),)
            )
        path: str = scope["path"].rstrip("/")
        if path == _VIEWS_PATH:
            name = None
        elif path.startswith(_VIEWS_PATH + "/") and path.count("/") == 4:
            name = path.rsplit("/", 1)[1]
            if name not in {v.name for v in VIEWS}:
                raise _Error(404, f"no view {name!r}; GET {_VIEWS_PATH} lists them")
        else:
            raise _Error(404, "not found")
        if scope["method"] != "GET":
            raise _Error(405, "the reporting API is read-only: use GET", (("allow", "GET"),))
        if name is None:
            return _json({"views": [_describe(v.name) for v in VIEWS]})
        return await self._rows(name, scope, headers)

    async def _rows(self, name: str, scope: Scope, headers: dict[str, str]) -> _Answer:
        pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        query = dict(pairs)
        if len(query) != len(pairs):
            raise _Error(400, "each query parameter may be given once")
        columns = list(view(name).columns)
        try:
            filters = parse_filters(name, {k: v for k, v in query.items() if k not in _RESERVED})
        except KeyError as exc:
            raise _Error(400, str(exc.args[0])) from exc
        except ValueError as exc:
            raise _Error(400, str(exc)) from exc
        limit = _integer(query, "limit", self.default_limit, 1, self.max_rows)
        offset = _integer(query, "offset", 0, 0, None)
        wanted = query.get("format") or (
            "csv" if "text/csv" in headers.get("accept", "") else "json"
        )
        if wanted not in ("json", "csv"):
            raise _Error(400, "format must be json or csv")
        frame, total = await asyncio.to_thread(self._read, name, filters, limit, offset)
        rows = records(frame)
        following = None
        if offset + len(rows) < total:
            following = f"{_VIEWS_PATH}/{name}?" + urlencode(
                {**query, "offset": offset + len(rows)}
            )
        if wanted == "csv":
            extra = [("x-total-count", str(total))]
            if following:
                extra.append(("link", f'<{following}>; rel="next"'))
            body = csv_text(columns, rows).encode("utf-8")
            return _Answer(200, "text/csv; charset=utf-8", body, tuple(extra))
        payload = {
            "view": name,
            "columns": columns,
            "rows": rows,
            "total": total,
            "limit": limit,
            "offset": offset,
            "next": following,
        }
        return _json(payload)

    def _read(
        self, name: str, filters: dict[str, FilterValue], limit: int, offset: int
    ) -> tuple[pd.DataFrame, int]:
        try:
            with self.engine.connect() as connection:
                frame = read_view(connection, name, filters=filters, limit=limit, offset=offset)
                return frame, count_view(connection, name, filters=filters)
        except SQLAlchemyError as exc:
            logger.error("reporting API: cannot read view %s: %s", name, exc)
            raise _Error(
                503, "the metrics could not be read; retry later", (("retry-after", "30"),)
            ) from exc


def _integer(query: dict[str, str], key: str, default: int, low: int, high: int | None) -> int:
    raw = query.get(key)
    if raw is None:
        return default
    if (
        not (raw.isascii() and raw.isdigit())
        or int(raw) < low
        or (high is not None and int(raw) > high)
    ):
        bounds = f"{low} to {high}" if high is not None else f"at least {low}"
        raise _Error(400, f"{key} must be a whole number, {bounds}")
    return int(raw)


def _describe(name: str) -> dict[str, Any]:
    spec = view(name)
    return {
        "name": spec.name,
        "grain": spec.grain,
        "url": f"{_VIEWS_PATH}/{spec.name}",
        "columns": [{"name": c, "description": d} for c, d in spec.columns.items()],
    }
