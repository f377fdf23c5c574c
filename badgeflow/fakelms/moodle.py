"""A fake Moodle on loopback that speaks the real REST wire format, for tests and demos.

It serves ``/webservice/rest/server.php`` (dispatching on ``wsfunction``, from the query or
the form body, with PHP bracket-encoded arguments and errors as HTTP 200 JSON, as Moodle does)
and ``/login/token.php``. Only JSON (``moodlewsrestformat=json``) is spoken.

Run it by hand with the demo data::

    python -m badgeflow.fakelms.moodle --port 8088 --token demo-token
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from badgeflow.fakelms._moodle_functions import FUNCTIONS, WebServiceError
from badgeflow.fakelms._php import decode_php_params
from badgeflow.fakelms.moodle_dataset import MoodleDataset

__all__ = ["FakeMoodle", "MoodleDataset", "RecordedCall", "main"]

logger = logging.getLogger(__name__)

REST_PATH: Final = "/webservice/rest/server.php"
TOKEN_PATH: Final = "/login/token.php"


@dataclass(frozen=True)
class RecordedCall:
    """One request the fake received (the token is not recorded).

    Attributes:
        path: the URL path.
        wsfunction: the web service function, or "" for other endpoints.
        args: the decoded arguments, without ``wstoken``/``wsfunction``/``moodlewsrestformat``.
        query_keys: names of the query-string parameters (to check what travels in URLs).
    """

    path: str
    wsfunction: str
    args: dict[str, Any]
    query_keys: frozenset[str]


@dataclass
class _Faults:
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: list[int] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)

    def next(self) -> tuple[int | None, float]:
        with self.lock:
            status = self.statuses.pop(0) if self.statuses else None
            delay = self.delays.pop(0) if self.delays else 0.0
        return status, delay


class FakeMoodle:
    """A Moodle web service server on ``127.0.0.1``, run in a daemon thread.

    Examples:
        >>> with FakeMoodle(MoodleDataset(), token="t") as server:
        ...     server.base_url.startswith("http://127.0.0.1:")
        True
    """

    def __init__(
        self, dataset: MoodleDataset, token: str, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        """Prepare the server; it listens once started (``with`` or `start`).

        Args:
            dataset: what the server serves.
            token: the only web service token it accepts.
            host: the address to bind; keep the loopback default outside demos.
            port: the TCP port; 0 picks a free one.
        """
        self.dataset = dataset
        self.token = token
        self.calls: list[RecordedCall] = []
        self._faults = _Faults()
        self._address = (host, port)
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The site root, e.g. ``http://127.0.0.1:54321``; only valid once started."""
        if self._httpd is None:
            raise RuntimeError("FakeMoodle is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def fail_next(self, n: int, *, status: int = 503) -> None:
        """Answer the next `n` requests with an empty HTTP error instead of serving them.

        Args:
            n: how many requests fail.
            status: the HTTP status to send.
        """
        with self._faults.lock:
            self._faults.statuses.extend([status] * n)

    def delay_next(self, n: int, seconds: float) -> None:
        """Hold the next `n` requests for `seconds` before answering (to provoke timeouts).

        Args:
            n: how many requests are delayed.
            seconds: the delay.
        """
        with self._faults.lock:
            self._faults.delays.extend([seconds] * n)

    def wsfunction_calls(self, wsfunction: str) -> list[RecordedCall]:
        """The recorded calls of one web service function, in order."""
        return [c for c in self.calls if c.wsfunction == wsfunction]

    def start(self) -> FakeMoodle:
        """Bind the socket and serve in a daemon thread.

        Returns:
            This server.
        """
        self._httpd = _Server(self._address, _Handler, fake=self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-moodle",
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

    def __enter__(self) -> FakeMoodle:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _answer(self, path: str, query: list[tuple[str, str]], form: list[tuple[str, str]]) -> Any:
        params = decode_php_params([*query, *form])
        wsfunction = str(params.pop("wsfunction", "")) if path == REST_PATH else ""
        token = params.pop("wstoken", None)
        fmt = params.pop("moodlewsrestformat", "xml")
        self.calls.append(RecordedCall(path, wsfunction, params, frozenset(k for k, _ in query)))
        if path == TOKEN_PATH:
            return self._login(params)
        try:
            if fmt != "json":
                raise WebServiceError("invalidparameter", "this fake Moodle only speaks JSON")
            if token != self.token:
                raise WebServiceError("invalidtoken", "Invalid token - token not found")
            function = FUNCTIONS.get(wsfunction)
            if function is None:
                raise WebServiceError(
                    "invalidrecord",
                    "Can't find data record in database table external_functions.",
                    "dml_missing_record_exception",
                )
            return function(self.dataset, params)
        except WebServiceError as exc:
            return exc.payload

    def _login(self, params: dict[str, Any]) -> dict[str, Any]:
        user = next((u for u in self.dataset.users if u.username == params.get("username")), None)
        if user is None or user.password != params.get("password"):
            return {"error": "Invalid login, please try again", "errorcode": "invalidlogin"}
        return {"token": self.token, "privatetoken": None}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], *, fake: FakeMoodle
    ) -> None:
        super().__init__(address, handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out has hung up; that is expected with delay_next().
        logger.debug("fake Moodle: request from %s ended with an error", client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 60  # seconds an idle keep-alive connection may hold its thread
    disable_nagle_algorithm = True  # headers and body go out in two writes; do not wait 40 ms

    def do_GET(self) -> None:
        self._serve(form=[])

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        self._serve(form=parse_qsl(body, keep_blank_values=True))

    def _serve(self, form: list[tuple[str, str]]) -> None:
        fake = self.server.fake
        status, delay = fake._faults.next()
        if delay:
            time.sleep(delay)
        url = urlsplit(self.path)
        if status is not None:
            self._send(status, b"")
            return
        if url.path not in (REST_PATH, TOKEN_PATH):
            self._send(404, b'{"error": "not found"}')
            return
        payload = fake._answer(url.path, parse_qsl(url.query, keep_blank_values=True), form)
        self._send(200, json.dumps(payload).encode("utf-8"))

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        # The default writes to stderr, query string (and so any token in it) included.
        logger.debug("fake Moodle: %s %s", self.command, urlsplit(self.path).path)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a dataset until interrupted (Ctrl-C).

    Args:
        argv: command-line arguments; the process's when None.

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(
        prog="python -m badgeflow.fakelms.moodle",
        description="Serve a Moodle dataset on the REST wire format until Ctrl-C.",
    )
    parser.add_argument("--dataset", type=Path, help="dataset JSON (default: the demo dataset)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=8088, help="TCP port (default 8088)")
    parser.add_argument(
        "--token", default="demo-token", help="token to accept (default demo-token)"
    )
    options = parser.parse_args(argv)
    if options.dataset is None:
        from badgeflow.demo import demo_dataset_path

        options.dataset = demo_dataset_path()
    dataset = MoodleDataset.load(options.dataset)
    # Stop cleanly on Ctrl-C and on SIGTERM, even when started from a shell that ignores
    # SIGINT for background jobs (the child would otherwise inherit SIG_IGN).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    server = FakeMoodle(dataset, options.token, host=options.host, port=options.port)
    with server:
        print(
            f"fake Moodle serving {options.dataset} at {server.base_url} (token {options.token})",
            flush=True,
        )
        print(
            f"try: curl '{server.base_url}{REST_PATH}?wsfunction=core_course_get_courses"
            f"&moodlewsrestformat=json&wstoken={options.token}'",
            flush=True,
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
