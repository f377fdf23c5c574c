"""A fake Moodle on loopback that speaks the real REST wire format, for tests and demos.

It serves ``/webservice/rest/server.php`` (dispatching on ``wsfunction``, from the query or
the form body, with PHP bracket-encoded arguments and errors as HTTP 200 JSON, as Moodle does)
and ``/login/token.php``. Only JSON (``moodlewsrestformat=json``) is spoken.

Run it by hand with the demo data::

    python -m badgeflow.fakelms.moodle --port 8088 --token demo-token
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl

from badgeflow.fakelms._moodle_functions import FUNCTIONS, WebServiceError
from badgeflow.fakelms._php import decode_php_params
from badgeflow.fakelms._server import (
    FakeLMSServer,
    FakeRequest,
    FakeResponse,
    serve_until_interrupted,
)
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


class FakeMoodle(FakeLMSServer):
    """A Moodle web service server on ``127.0.0.1``, run in a daemon thread.

    The fault switches of `FakeLMSServer` apply (`fail_next`, `delay_next`, `throttle_next`,
    `truncate_next`, `expire_tokens`); Moodle core never throttles, so `throttle_next`
    sends what a reverse proxy in front of it would (429 with ``Retry-After``), and after
    `expire_tokens` the token is answered ``invalidtoken``, as Moodle does for a revoked one.

    Examples:
        >>> with FakeMoodle(MoodleDataset(), token="t") as server:
        ...     server.base_url.startswith("http://127.0.0.1:")
        True
    """

    vendor = "Moodle"

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
        super().__init__(host=host, port=port)
        self.dataset = dataset
        self.token = token
        self.calls: list[RecordedCall] = []

    def wsfunction_calls(self, wsfunction: str) -> list[RecordedCall]:
        """The recorded calls of one web service function, in order."""
        return [c for c in self.calls if c.wsfunction == wsfunction]

    def handle(self, request: FakeRequest) -> FakeResponse:
        """Serve the REST endpoint and the token endpoint; 404 for anything else."""
        if request.path not in (REST_PATH, TOKEN_PATH):
            return FakeResponse.json({"error": "not found"}, 404)
        form = parse_qsl(request.body.decode("utf-8"), keep_blank_values=True)
        return FakeResponse.json(self._answer(request.path, request.query, form))

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
            if token != self.token or self.tokens_expired:
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
    server = FakeMoodle(dataset, options.token, host=options.host, port=options.port)

    def banner() -> str:
        return (
            f"fake Moodle serving {options.dataset} at {server.base_url} (token {options.token})\n"
            f"try: curl '{server.base_url}{REST_PATH}?wsfunction=core_course_get_courses"
            f"&moodlewsrestformat=json&wstoken={options.token}'"
        )

    return serve_until_interrupted(server, banner)


if __name__ == "__main__":
    raise SystemExit(main())
