"""A real Prefect server and process worker for the operations tests, and clean-up of both.

`prefect_server` starts ``prefect server start`` on a free loopback port with its own
``PREFECT_HOME`` (and so its own SQLite database), or on PostgreSQL when given a database
URL; it waits for ``/api/health`` (a cold start takes about 20 s on 2 cores, so the
timeout is generous) and stops the whole process tree afterwards. `process_worker` starts
``prefect worker start`` for a pool against that server. Every process is started in a new
session and killed by process group, and every descendant still alive at the end (flow-run
processes the worker started) is killed too, so a failing test leaves nothing behind.

`descendants` lists a process's children, grandchildren...: the tests use it to find the
flow-run process a worker started and kill it mid-batch.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
OFFLINE = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "PREFECT_CLI_PROMPT": "false",
}


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def descendants(pid: int) -> list[int]:
    """The ids of every live descendant of process `pid` (from /proc), nearest first."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (field 2) may contain spaces and parentheses: split after it.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    queue = [pid]
    while queue:
        for child in children.get(queue.pop(0), []):
            found.append(child)
            queue.append(child)
    return found


def _kill_tree(process: subprocess.Popen[bytes], *, grace: float = 15.0) -> None:
    """Stop `process`, its process group and every descendant: TERM, then KILL."""
    tree = descendants(process.pid)
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=grace)
    for pid in tree:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@dataclass
class PrefectServer:
    """A running ``prefect server start``: where it answers and how to talk to it."""

    port: int
    home: Path
    log_path: Path
    process: subprocess.Popen[bytes]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client_env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of a CLI, worker or flow process that uses this server."""
        env = {**os.environ, **OFFLINE, "PREFECT_HOME": str(self.home)}
        env["PREFECT_API_URL"] = self.api_url
        env.pop("PREFECT_API_KEY", None)
        env.update(extra or {})
        return env

    def cli(
        self,
        *args: str,
        cwd: Path = ROOT,
        env: Mapping[str, str] | None = None,
        timeout: float = 300,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``prefect <args>`` against this server; raise with its output if it fails."""
        result = subprocess.run(
            [str(BIN / "prefect"), *args],
            cwd=cwd,
            env=self.client_env(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(
                f"prefect {' '.join(args)} exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    def api(self) -> httpx.Client:
        """An HTTP client for the server's REST API (base URL ``.../api``)."""
        return httpx.Client(base_url=self.api_url + "/", timeout=60)

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _wait_healthy(server: PrefectServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"prefect server exited early:\n{server.log_tail()}")
        with suppress(httpx.HTTPError):
            if httpx.get(f"{server.api_url}/health", timeout=5).status_code == 200:
                return
        time.sleep(0.5)
    raise AssertionError(f"prefect server not healthy after {timeout} s:\n{server.log_tail()}")


@contextmanager
def prefect_server(
    home: Path,
    *,
    database_url: str | None = None,
    startup_timeout: float = 240,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[PrefectServer]:
    """Run a Prefect server on loopback for the duration of the block.

    Args:
        home: its PREFECT_HOME (SQLite database, logs); created if missing.
        database_url: ``postgresql+asyncpg://...`` to run on PostgreSQL (see
            `postgres_database`); default: SQLite under `home`.
        startup_timeout: seconds to wait for ``/api/health``.
        extra_env: more environment for the server process.

    Yields:
        The running server.
    """
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**os.environ, **OFFLINE, "PREFECT_HOME": str(home), **(extra_env or {})}
    env.pop("PREFECT_API_URL", None)
    if database_url:
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = database_url
    # The UI asks /ui-settings where the API is; without this it answers the default port
    # (4200), not ours, and every page shows "Can't connect to Server API".
    env.setdefault("PREFECT_SERVER_UI_API_URL", f"http://127.0.0.1:{port}/api")
    # No "Try Prefect Cloud" panels: they link off the machine.
    env.setdefault("PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT", "false")
    # The V1 UI at "/": Prefect 3.9's V2 UI (its default) initialises Amplitude on load and
    # fetches its config from sr-client-cfg.amplitude.com whatever the analytics settings say.
    env.setdefault("PREFECT_SERVER_UI_V2_ENABLED", "false")
    log_path = home / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = PrefectServer(port=port, home=home, log_path=log_path, process=process, env=env)
    try:
        _wait_healthy(server, startup_timeout)
        yield server
    finally:
        _kill_tree(process)


@contextmanager
def process_worker(
    server: PrefectServer,
    *,
    pool: str,
    cwd: Path = ROOT,
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``prefect worker start --pool <pool> --type process`` for the block.

    Flow runs the worker starts inherit its environment (`env` on top of the server's client
    environment) and its working directory unless the deployment's pull step changes it.
    """
    log_path = log_path or server.home / f"worker-{pool}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(BIN / "prefect"), "worker", "start", "--pool", pool, "--type", "process"],
            cwd=cwd,
            env=server.client_env(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        _kill_tree(process)


def postgres_database(test_url: str, name: str) -> str:
    """Create (or empty) database `name` beside the tests' PostgreSQL database.

    Args:
        test_url: the tests' ``postgresql+psycopg://...`` URL (``BADGEFLOW_TEST_POSTGRES_URL``).
        name: the database to (re)create, e.g. ``prefect_ops``.

    Returns:
        Its ``postgresql+asyncpg://`` URL, as Prefect's server wants it.
    """
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(test_url)
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(drivername="postgresql+asyncpg", database=name).render_as_string(
        hide_password=False
    )


def wait_for(predicate: object, *, timeout: float, interval: float = 0.5, what: str = "") -> None:
    """Poll `predicate()` until it is truthy; fail naming `what` after `timeout` seconds."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
