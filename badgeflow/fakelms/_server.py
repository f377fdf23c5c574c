"""The base of every fake LMS: a real HTTP server on loopback with switchable faults.

A vendor fake subclasses `FakeLMSServer`, sets `vendor`, and implements `handle` (and, where
the vendor throttles in its own way, `throttle_response`). The base binds
``127.0.0.1:<free port>``, serves in a daemon thread, records each request without its
secrets, and applies the fault switches before the vendor code runs:

- `throttle_next(n)`: the vendor's over-limit answer (Canvas 403 "Rate Limit Exceeded",
  Litmos 503...); the default is 429 with ``Retry-After: 1``.
- `fail_next(n, status)`: a burst of HTTP errors (default 503).
- `delay_next(n, seconds)`: slow answers, to provoke client timeouts.
- `truncate_next(n)`: the body is cut off mid-way and the connection closed.
- `expire_tokens()`: every token issued so far stops working (see `token_is_live`).
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "FakeLMSServer",
    "FakeRequest",
    "FakeResponse",
    "RecordedRequest",
    "serve_until_interrupted",
]

logger = logging.getLogger(__name__)

SECRET_PARAMS = frozenset(
    {"wstoken", "token", "apikey", "access_token", "client_secret", "password", "code"}
)


@dataclass(frozen=True)
class FakeRequest:
    """One request as the vendor code sees it.

    Attributes:
        method: ``GET``, ``POST``...
        path: the URL path.
        query: the query parameters, in order.
        headers: the headers, names lower-cased.
        body: the raw body.
    """

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> list[tuple[str, str]]:
        """The body's form fields (empty unless it is form-encoded)."""
        if "application/x-www-form-urlencoded" not in self.headers.get("content-type", ""):
            return []
        return parse_qsl(self.body.decode("utf-8"), keep_blank_values=True)

    def param(self, name: str) -> str | None:
        """The last value of a query parameter, or None."""
        values = [v for k, v in self.query if k == name]
        return values[-1] if values else None

    def params(self, name: str) -> list[str]:
        """Every value of a repeated query parameter (``type[]=a&type[]=b``)."""
        return [v for k, v in self.query if k == name]

    def bearer(self) -> str | None:
        """The token of an ``Authorization: Bearer`` header, or None."""
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        return token if scheme.lower() == "bearer" and token else None


@dataclass(frozen=True)
class FakeResponse:
    """What the vendor code answers."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(
        cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> FakeResponse:
        """A JSON answer."""
        content = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status, json.dumps(payload).encode("utf-8"), content)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, with secret-named query values blanked.

    Attributes:
        method: the HTTP method.
        path: the URL path.
        query: query parameters; values of secret-named ones are ``***``.
        header_names: the names of the headers sent (lower-case), never their values.
    """

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    header_names: frozenset[str]


class FakeLMSServer:
    """An HTTP server on loopback that subclasses teach to speak one LMS's wire format."""

    vendor: ClassVar[str] = "LMS"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        """Prepare the server; it listens once started (``with`` or `start`).

        Args:
            host: the address to bind; keep the loopback default outside demos.
            port: the TCP port; 0 picks a free one.
        """
        self.requests: list[RecordedRequest] = []
        self.token_epoch = 0
        self._faults: list[tuple[str, int]] = []
        self._delays: list[float] = []
        self._live_tokens: dict[str, int] = {}
        self._lock = threading.Lock()
        self._address = (host, port)
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._listings: dict[tuple[object, ...], list[Any]] = {}
        self._listings_of: object = None

    # --- the vendor's part ---------------------------------------------------------------

    def listing(
        self, request: FakeRequest, build: Callable[[], list[Any]], *, paging: tuple[str, ...]
    ) -> list[Any]:
        """The items of a paged listing, built once per dataset, path and non-paging query.

        A listing is built whole and then cut into pages; building it for every page made a
        large fake quadratic. Datasets are frozen, so a listing changes only when the
        server's `dataset` is replaced (which empties the cache).

        Args:
            request: the request (its path and query, less the paging parameters, are the key).
            build: makes the full list of items.
            paging: the names of the paging parameters (``page``, ``per_page``...).
        """
        dataset = getattr(self, "dataset", None)
        key = (request.path, *sorted((k, v) for k, v in request.query if k not in paging))
        with self._lock:
            if self._listings_of is not dataset:
                self._listings, self._listings_of = {}, dataset
            items = self._listings.get(key)
        if items is None:
            items = build()
            with self._lock:
                self._listings[key] = items
        return items

    def handle(self, request: FakeRequest) -> FakeResponse:
        """Answer one request (subclasses implement the vendor's endpoints)."""
        raise NotImplementedError

    def throttle_response(self, request: FakeRequest) -> FakeResponse:
        """The vendor's over-limit answer; by default 429 with ``Retry-After: 1``."""
        return FakeResponse.json({"error": "rate limited"}, 429, {"Retry-After": "1"})

    def error_response(self, status: int) -> FakeResponse:
        """The answer of a `fail_next` burst; by default an empty body."""
        return FakeResponse(status)

    # --- fault switches ------------------------------------------------------------------

    def throttle_next(self, n: int, *, after: int = 0) -> None:
        """Answer `n` requests, after `after` normal ones, with the vendor's throttling."""
        self._queue("throttle", 0, n, after)

    def fail_next(self, n: int, *, status: int = 503, after: int = 0) -> None:
        """Answer `n` requests, after `after` normal ones, with HTTP `status`."""
        self._queue("status", status, n, after)

    def delay_next(self, n: int, seconds: float) -> None:
        """Hold the next `n` requests for `seconds` before answering (to provoke timeouts)."""
        with self._lock:
            self._delays.extend([seconds] * n)

    def truncate_next(self, n: int, *, after: int = 0) -> None:
        """Cut `n` answers, after `after` normal ones, off half-way and drop the connection."""
        self._queue("truncate", 0, n, after)

    def _queue(self, kind: str, status: int, n: int, after: int) -> None:
        # Switches queue up behind each other: fail_next(2); throttle_next(1) fails two
        # requests, then throttles the third.
        with self._lock:
            self._faults.extend([("pass", 0)] * after + [(kind, status)] * n)

    def expire_tokens(self) -> None:
        """Make every token issued so far (and a static token, see `tokens_expired`) stale."""
        with self._lock:
            self.token_epoch += 1

    @property
    def tokens_expired(self) -> bool:
        """True once `expire_tokens` was called: static tokens are then refused."""
        return self.token_epoch > 0

    def issue_token(self) -> str:
        """A new access token, live until the next `expire_tokens` (OAuth2 fakes)."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._live_tokens[token] = self.token_epoch
        return token

    def token_is_live(self, token: str | None) -> bool:
        """Whether `token` was issued by `issue_token` since the last `expire_tokens`."""
        with self._lock:
            return token is not None and self._live_tokens.get(token) == self.token_epoch

    def client_credentials(
        self, request: FakeRequest, client_id: str, client_secret: str, *, expires_in: int = 3600
    ) -> FakeResponse:
        """Answer an OAuth2 client-credentials token request (RFC 6749 section 4.4).

        The client may authenticate with HTTP Basic, form fields ``client_id`` /
        ``client_secret``, or a JSON body with ``clientId`` / ``clientSecret`` (Cornerstone).

        Returns:
            ``{"access_token", "token_type", "expires_in"}``, or 401 ``invalid_client``.
        """
        form = dict(request.form)
        given = (form.get("client_id"), form.get("client_secret"))
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            user, _, password = base64.b64decode(value).decode("utf-8").partition(":")
            given = (user, password)
        elif "json" in request.headers.get("content-type", ""):
            body = json.loads(request.body or b"{}")
            given = (body.get("clientId"), body.get("clientSecret"))
        if given != (client_id, client_secret):
            return FakeResponse.json({"error": "invalid_client"}, 401)
        token = self.issue_token()
        return FakeResponse.json(
            {"access_token": token, "token_type": "Bearer", "expires_in": expires_in}
        )

    # --- lifecycle -----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The server root, e.g. ``http://127.0.0.1:54321``; only valid once started."""
        if self._httpd is None:
            raise RuntimeError(f"fake {self.vendor} is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        """Bind the socket and serve in a daemon thread.

        Returns:
            This server.
        """
        self._httpd = _Server(self._address, _Handler, fake=self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-{self.vendor.lower()}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _next_fault(self) -> tuple[tuple[str, int] | None, float]:
        with self._lock:
            fault = self._faults.pop(0) if self._faults else None
            delay = self._delays.pop(0) if self._delays else 0.0
        return fault, delay

    def _record(self, request: FakeRequest) -> None:
        query = tuple((k, "***" if k in SECRET_PARAMS else v) for k, v in request.query)
        recorded = RecordedRequest(request.method, request.path, query, frozenset(request.headers))
        with self._lock:
            self.requests.append(recorded)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], *, fake: FakeLMSServer
    ) -> None:
        super().__init__(address, handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out has hung up; that is expected with delay_next().
        logger.debug(
            "fake %s: request from %s ended with an error", self.fake.vendor, client_address
        )


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 60  # seconds an idle keep-alive connection may hold its thread
    disable_nagle_algorithm = True  # headers and body go out in two writes; do not wait 40 ms

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        request = FakeRequest(
            method=self.command,
            path=url.path,
            query=parse_qsl(url.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        fake._record(request)
        fault, delay = fake._next_fault()
        if delay:
            time.sleep(delay)
        if fault is not None and fault[0] == "status":
            self._send(fake.error_response(fault[1]))
        elif fault is not None and fault[0] == "throttle":
            self._send(fake.throttle_response(request))
        else:
            self._send(fake.handle(request), truncate=fault is not None and fault[0] == "truncate")

    def _send(self, response: FakeResponse, *, truncate: bool = False) -> None:
        self.send_response(response.status)
        headers = {"Content-Type": "application/json; charset=utf-8", **response.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        if truncate:
            self.wfile.write(response.body[: len(response.body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        # The default writes to stderr, query string (and so any token in it) included.
        logger.debug(
            "fake %s: %s %s", self.server.fake.vendor, self.command, urlsplit(self.path).path
        )


def serve_until_interrupted(server: FakeLMSServer, banner: Callable[[], str]) -> int:
    """Run a fake by hand (``python -m badgeflow.fakelms.<vendor>``) until Ctrl-C or SIGTERM.

    Args:
        server: the fake, not yet started.
        banner: what to print once it listens (its URL is known then).

    Returns:
        The exit status, 0.
    """
    # Stop cleanly on Ctrl-C and on SIGTERM, even when started from a shell that ignores
    # SIGINT for background jobs (the child would otherwise inherit SIG_IGN).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with server:
        print(banner(), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("stopped", flush=True)
    return 0
