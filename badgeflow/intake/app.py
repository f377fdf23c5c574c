"""The webhook intake: a plain ASGI app answering ``POST /hooks/<source name>``.

It also mounts the read-only reporting API under ``/api/`` when one is given
(`badgeflow.intake.reporting`); without one, ``/api/...`` answers 404.

Each delivery is checked (size, content type, the source's signature or secret, JSON shape),
split into its completion events and committed to ``webhook_events`` *before* the answer, so
a 2xx always means "stored": a crash after it loses nothing, and a failure before it makes
the sender retry. Redeliveries are stored once and answered 200 ``duplicate``. Answers are
JSON: ``{"status": ...}`` on success, ``{"error": ...}`` otherwise.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from badgeflow.intake.auth import Verifier
from badgeflow.intake.deliveries import MalformedDelivery, split_delivery
from badgeflow.store import NewWebhookEvent, store_webhook_events

__all__ = ["IntakeApp", "IntakeSource"]

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class _Reject(Exception):
    def __init__(self, status: int, error: str, headers: tuple[tuple[str, str], ...] = ()):
        super().__init__(error)
        self.status, self.error, self.headers = status, error, headers


@dataclass(frozen=True)
class IntakeSource:
    """One webhook source the intake accepts: its name (the URL path), format and verifier."""

    name: str
    vendor: str
    verifier: Verifier


class IntakeApp:
    """ASGI application storing authenticated completion events.

    Args:
        sources: the accepted sources by name.
        sessions: session factory of a database at the current schema.
        clock: the intake's clock (aware UTC), for timestamps and ``received_at``.
        max_body_bytes: larger deliveries are refused with 413.
        on_stored: called with the source name after new events were stored and answered
            (e.g. a debounced deployment trigger); its failures are logged, never answered.
        api: the ASGI app answering every path under ``/api/`` (the reporting API); None: 404.
    """

    def __init__(
        self,
        sources: Mapping[str, IntakeSource],
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        max_body_bytes: int = 1_048_576,
        on_stored: Callable[[str], None] | None = None,
        api: Callable[[Scope, Receive, Send], Awaitable[None]] | None = None,
    ) -> None:
        self.sources = dict(sources)
        self.api = api
        self.sessions = sessions
        self.clock = clock
        self.max_body_bytes = max_body_bytes
        self.on_stored = on_stored

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope (``http`` or ``lifespan``)."""
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # pragma: no cover - websockets are not routed here
            return
        if scope["path"] == "/api" or scope["path"].startswith("/api/"):
            if self.api is None:
                await _respond(send, 404, {"error": "not found"})
            else:
                await self.api(scope, receive, send)
            return
        try:
            status, answer, source = await self._handle(scope, receive)
        except _Reject as reject:
            await _respond(send, reject.status, {"error": reject.error}, reject.headers)
            return
        await _respond(send, status, answer)
        if source is not None and self.on_stored is not None:
            try:
                await asyncio.to_thread(self.on_stored, source)
            except Exception:
                logger.exception("webhook source %s: the on-stored callback failed", source)

    async def _handle(
        self, scope: Scope, receive: Receive
    ) -> tuple[int, dict[str, Any], str | None]:
        path: str = scope["path"]
        if path == "/healthz":
            return 200, {"status": "ok"}, None
        prefix, _, name = path.partition("/hooks/")
        source = self.sources.get(name) if prefix == "" else None
        if source is None:
            raise _Reject(404, "no such webhook source")
        if scope["method"] != "POST":
            raise _Reject(405, "use POST", (("allow", "POST"),))
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            raise _Reject(413, f"body larger than {self.max_body_bytes} bytes")
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json" and not media.endswith("+json"):
            raise _Reject(415, "send the event as application/json")
        body = await self._read_body(receive)
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        failure = source.verifier.check(headers, query, body, self.clock())
        if failure is not None:
            logger.warning("webhook source %s: delivery refused: %s", source.name, failure)
            raise _Reject(401, f"authentication failed: {failure}")
        try:
            events = split_delivery(source.vendor, json.loads(body.decode("utf-8")), headers)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise _Reject(400, f"body is not UTF-8 JSON: {exc}") from exc
        except MalformedDelivery as exc:
            raise _Reject(400, str(exc)) from exc
        if not events:
            return 200, {"status": "ignored", "reason": "no completion event"}, None
        new = await asyncio.to_thread(self._store, source, events)
        stored = sum(new)
        logger.info(
            "webhook source %s: %d event(s) stored, %d duplicate(s)",
            source.name,
            stored,
            len(new) - stored,
        )
        if stored == 0:
            return 200, {"status": "duplicate", "events": len(new)}, None
        answer = {"status": "stored", "stored": stored, "duplicates": len(new) - stored}
        return 200, answer, source.name

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Reject(400, "client disconnected")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _Reject(413, f"body larger than {self.max_body_bytes} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _store(self, source: IntakeSource, events: list[NewWebhookEvent]) -> list[bool]:
        try:
            with self.sessions.begin() as session:
                return store_webhook_events(
                    session, source.name, source.vendor, events, received_at=self.clock()
                )
        except SQLAlchemyError as exc:
            logger.error("webhook source %s: cannot store events: %s", source.name, exc)
            retry = (("retry-after", "30"),)
            raise _Reject(503, "events could not be stored; retry later", retry) from exc


async def _respond(
    send: Send, status: int, payload: dict[str, Any], headers: tuple[tuple[str, str], ...] = ()
) -> None:
    body = json.dumps(payload).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in headers]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
