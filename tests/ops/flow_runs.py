"""Start, watch and kill flow runs of a deployment on a real Prefect server (REST API)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

from tests.ops.prefect_server import BIN, ROOT, PrefectServer, descendants

TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def deploy(server: PrefectServer, command: Sequence[str], env: Mapping[str, str]) -> str:
    """Run the project's deploy command from the repo root against `server`; its output."""
    full_env = server.client_env({**env, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"})
    result = subprocess.run(
        list(command), cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result.stdout


def deployment(server: PrefectServer, name: str) -> dict[str, Any]:
    """The deployment ``<flow>/<deployment>`` as the API returns it."""
    with server.api() as api:
        response = api.get(f"deployments/name/{name}")
    assert response.status_code == 200, f"deployment {name} not found: {response.text}"
    return dict(response.json())


def start_run(
    server: PrefectServer,
    name: str,
    parameters: Mapping[str, Any],
    job_variables: Mapping[str, Any] | None = None,
) -> str:
    """Create a flow run of deployment `name` (as the UI's "Run" does); return its id."""
    body: dict[str, Any] = {"parameters": dict(parameters)}
    if job_variables:
        body["job_variables"] = dict(job_variables)
    with server.api() as api:
        response = api.post(
            f"deployments/{deployment(server, name)['id']}/create_flow_run", json=body
        )
    assert response.status_code == 201, f"could not start {name}: {response.text}"
    return str(response.json()["id"])


def run_state(server: PrefectServer, flow_run_id: str) -> str:
    """The flow run's state type (``SCHEDULED``, ``RUNNING``, ``CRASHED``...)."""
    with server.api() as api:
        response = api.get(f"flow_runs/{flow_run_id}")
    response.raise_for_status()
    state = response.json().get("state") or {}
    return str(state.get("type", ""))


def wait_for_state(
    server: PrefectServer,
    flow_run_id: str,
    wanted: str,
    *,
    timeout: float,
    diagnostics: Callable[[], str],
) -> None:
    """Wait until the run is in state `wanted`; fail early if it ends in another one."""
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        state = run_state(server, flow_run_id)
        if state == wanted:
            return
        if state in TERMINAL:
            break
        time.sleep(1)
    raise AssertionError(
        f"flow run {flow_run_id} is {state or 'unknown'}, expected {wanted}\n{diagnostics()}"
    )


def _proc_text(pid: int, name: str) -> str:
    try:
        return Path(f"/proc/{pid}/{name}").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def flow_run_process(worker_pid: int, flow_run_id: str) -> tuple[int, str]:
    """The worker's child process running `flow_run_id`: (pid, command line).

    It is picked by its command line (the engine) and by the flow run id the worker put in
    its environment, so the test can never kill the worker or another run by mistake.
    """
    for pid in descendants(worker_pid):
        command = _proc_text(pid, "cmdline")
        if "prefect.engine" in command and f"PREFECT__FLOW_RUN_ID={flow_run_id}" in _proc_text(
            pid, "environ"
        ):
            return pid, command
    raise AssertionError(f"no process of the worker runs flow run {flow_run_id}")


def kill_tree(pid: int) -> list[int]:
    """SIGKILL `pid` and then its descendants (a machine crash); the ids killed."""
    tree = [pid, *descendants(pid)]
    for each in tree:
        with suppress(ProcessLookupError):
            os.kill(each, signal.SIGKILL)
    return tree


def alive(pid: int) -> bool:
    """Whether process `pid` still exists (zombies awaiting their parent count as dead)."""
    stat = _proc_text(pid, "stat")
    return bool(stat) and stat.rsplit(")", 1)[1].split()[0] != "Z"
