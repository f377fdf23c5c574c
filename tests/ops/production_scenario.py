"""The production-shaped nightly scenario: kill a batch mid-issue, re-run it, run a reference.

Everything runs as in production: a Prefect server on PostgreSQL, a process worker on the
project's work pool, deployments registered with the project's own deploy command, flow
runs started through the REST API (as the UI does), badgeflow's stores on PostgreSQL, the
fake LMS servers and an SMTP sink per store on loopback. `run_scenario` returns what the
tests compare; every process it started is stopped and every database dropped before it
returns, and what is left of either is part of the outcome.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from badgeflow.demo import demo_canvas_path, demo_dataset_path, demo_talentlms_path
from badgeflow.fakelms.canvas import CanvasDataset, FakeCanvas
from badgeflow.fakelms.moodle import FakeMoodle, MoodleDataset
from badgeflow.fakelms.talentlms import FakeTalentLMS, TalentLMSDataset
from tests.badgeflow.notify.smtp_servers import Handler, Servers
from tests.ops import flow_runs
from tests.ops.nightly_stores import (
    OPS_ADDRESS,
    StoreSnapshot,
    batch_row,
    progress,
    psycopg_url,
    snapshot,
    write_store_config,
)
from tests.ops.prefect_server import (
    OFFLINE,
    ROOT,
    descendants,
    postgres_database,
    prefect_server,
    process_worker,
    wait_for,
)

POOL = "badgeflow-process"
STEP_TIMEOUT = 300.0  # a hang guard only: a cold 2-core machine needs ~20 s per process start


@dataclass(frozen=True)
class Plan:
    """How the project deploys and re-runs: the only part that changes with prefect.yaml."""

    deploy_command: tuple[str, ...]
    nightly: str
    rerun: str
    rerun_parameters: Callable[[str, str], dict[str, Any]]
    """(batch id, as_of ISO string) -> parameters of the re-run."""


@dataclass
class Outcome:
    """What the scenario saw, for the tests to judge."""

    batch_id: str = ""
    killed_command: str = ""
    at_kill: tuple[int, int] = (0, 0)
    """(awards, credentials) of the batch when it was killed."""
    after_kill: dict[str, Any] = field(default_factory=dict)
    """The ledger's batch row once Prefect showed the run Crashed."""
    interrupted: StoreSnapshot | None = None
    reference: StoreSnapshot | None = None
    reference_batch_id: str = ""
    rerun_id: str = ""
    received: dict[str, list[str]] = field(default_factory=dict)
    """Message-IDs of the learner emails each SMTP sink received, in order ("interrupted",
    "reference")."""
    alerts: dict[str, list[str]] = field(default_factory=dict)
    """Subjects of the failure alerts to ops each sink received."""
    pids: list[int] = field(default_factory=list)
    leftover_processes: list[int] = field(default_factory=list)
    leftover_databases: list[str] = field(default_factory=list)
    started: float = 0.0
    cpu_seconds: float = 0.0
    """CPU of the test process and every process it started and reaped (not tested)."""
    timings: dict[str, float] = field(default_factory=dict)
    """Wall seconds from the start of the scenario to each step (for the report, not tested)."""

    def mark(self, step: str) -> None:
        self.timings[step] = round(time.monotonic() - self.started, 1)


def _tail(path: Path, lines: int = 60) -> str:
    text_ = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text_.splitlines()[-lines:])


@contextmanager
def _fake_lms() -> Iterator[tuple[str, str, str]]:
    with (
        FakeMoodle(MoodleDataset.load(demo_dataset_path()), token="demo-token") as moodle,
        FakeCanvas(CanvasDataset.load(demo_canvas_path()), token="demo-canvas-token") as canvas,
        FakeTalentLMS(
            TalentLMSDataset.load(demo_talentlms_path()), api_key="demo-talentlms-key"
        ) as talentlms,
    ):
        yield moodle.base_url, canvas.base_url, talentlms.base_url


def _cpu_seconds() -> float:
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def _drop(test_url: str, names: list[str]) -> list[str]:
    """Drop the databases; return those still present."""
    admin = create_engine(test_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            rows = connection.execute(
                text("SELECT datname FROM pg_database WHERE datname = ANY(:names)"),
                {"names": names},
            )
            return [str(row[0]) for row in rows]
    finally:
        admin.dispose()


def run_scenario(tmp: Path, test_url: str, plan: Plan, as_of: datetime) -> Outcome:
    """Run the whole scenario (module docstring) and clean up; see `Outcome`."""
    suffix = os.environ.get("PYTEST_XDIST_WORKER", "main")
    names = {kind: f"ops_{kind}_{suffix}" for kind in ("prefect", "interrupted", "reference")}
    outcome = Outcome(started=time.monotonic())
    cpu_before = _cpu_seconds()
    # Processes of session fixtures (another test's Prefect harness, Chromium) are not ours.
    before = set(descendants(os.getpid()))
    try:
        urls = {kind: postgres_database(test_url, name) for kind, name in names.items()}
        with ExitStack() as stack:
            _run(stack, tmp, urls, plan, as_of, outcome)
        outcome.mark("stopped")
    finally:
        outcome.leftover_databases = _drop(test_url, list(names.values()))
    outcome.cpu_seconds = round(_cpu_seconds() - cpu_before, 1)
    started = set(descendants(os.getpid())) - before
    outcome.leftover_processes = sorted(
        started | {pid for pid in outcome.pids if flow_runs.alive(pid)}
    )
    return outcome


def _run(
    stack: ExitStack,
    tmp: Path,
    urls: Mapping[str, str],
    plan: Plan,
    as_of: datetime,
    outcome: Outcome,
) -> None:
    lms_urls = stack.enter_context(_fake_lms())
    smtp = Servers()
    stack.callback(smtp.stop)
    sinks = {kind: Handler() for kind in ("interrupted", "reference")}
    ports = {kind: smtp.start(handler).port for kind, handler in sinks.items()}

    def write_configs() -> dict[str, Path]:
        return {
            kind: write_store_config(
                tmp / kind,
                database_url=psycopg_url(urls[kind]),
                smtp_port=ports[kind],
                lms_urls=lms_urls,
            )
            for kind in sinks
        }

    # The stores' keys and migrations are made while the server starts (another process).
    with ThreadPoolExecutor(max_workers=1) as pool:
        stores = pool.submit(write_configs)
        server = stack.enter_context(
            prefect_server(
                tmp / "prefect",
                database_url=urls["prefect"],
                # No scheduled runs (the hourly engagement deployment) during the test.
                extra_env={"PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false"},
            )
        )
        configs = stores.result()
    outcome.pids.append(server.process.pid)
    outcome.mark("server healthy")
    worker_log = tmp / "worker.log"
    # What a production worker host has: the repo (prefect.yaml's pull step changes into
    # $BADGEFLOW_HOME at run time) and badgeflow's config; secrets would come from blocks.
    worker_env = {
        "BADGEFLOW_HOME": str(ROOT),
        "BADGEFLOW_CONFIG": str(configs["interrupted"]),
        "PYTHONPATH": str(ROOT),
    }
    worker = stack.enter_context(
        process_worker(server, pool=POOL, env=worker_env, log_path=worker_log)
    )
    outcome.pids.append(worker.pid)

    def diagnostics() -> str:
        return (
            f"--- server log ---\n{server.log_tail()}\n"
            f"--- worker log ({worker_log}) ---\n{_tail(worker_log)}"
        )

    with server.api() as api:
        wait_for(
            lambda: api.get(f"work_pools/{POOL}").status_code == 200,
            timeout=STEP_TIMEOUT,
            what=f"the worker to create work pool {POOL}",
        )
    outcome.mark("pool created")
    flow_runs.deploy(server, plan.deploy_command, {"BADGEFLOW_HOME": str(ROOT)})
    outcome.mark("deployed")

    stamp = as_of.isoformat()
    run_id = flow_runs.start_run(server, plan.nightly, {"as_of": stamp})
    outcome.batch_id = run_id  # the batch id defaults to the flow run id
    # The reference: the same deployment and clock, its own store (per-run job variables).
    reference_env = {**OFFLINE, **worker_env, "BADGEFLOW_CONFIG": str(configs["reference"])}
    reference_id = flow_runs.start_run(
        server, plan.nightly, {"as_of": stamp}, job_variables={"env": reference_env}
    )
    outcome.reference_batch_id = reference_id
    outcome.mark("nightly and reference started")
    _kill_mid_issue(
        server, worker.pid, run_id, psycopg_url(urls["interrupted"]), outcome, diagnostics
    )

    outcome.rerun_id = flow_runs.start_run(server, plan.rerun, plan.rerun_parameters(run_id, stamp))
    for each in (outcome.rerun_id, reference_id):
        flow_runs.wait_for_state(
            server, each, "COMPLETED", timeout=STEP_TIMEOUT, diagnostics=diagnostics
        )
    outcome.mark("re-run and reference completed")
    for kind, batch in (("interrupted", run_id), ("reference", reference_id)):
        site = tmp / kind / "var" / "site"
        setattr(outcome, kind, snapshot(psycopg_url(urls[kind]), batch, site))
        outcome.received[kind], outcome.alerts[kind] = _split_alerts(sinks[kind].received)


def _split_alerts(received: list[bytes]) -> tuple[list[str], list[str]]:
    """(Message-IDs of the learner emails, subjects of the alerts to ops), in order."""
    learners, alerts = [], []
    for raw in received:
        message = message_from_bytes(raw, policy=policy.default)
        if OPS_ADDRESS in str(message["To"]):
            alerts.append(str(message["Subject"]))
        else:
            learners.append(str(message["Message-ID"]))
    return learners, alerts


def _kill_mid_issue(
    server: Any,
    worker_pid: int,
    run_id: str,
    store_url: str,
    outcome: Outcome,
    diagnostics: Callable[[], str],
) -> None:
    """Wait until some but not all of the batch's credentials exist, then SIGKILL the run."""
    engine = create_engine(store_url)
    try:
        checked = [time.monotonic()]

        def mid_issue() -> bool:
            awards, credentials = progress(engine, run_id)
            if awards and 0 < credentials < awards:
                return True
            if time.monotonic() - checked[0] < 2:  # spare the server: the store is cheap
                return False
            checked[0] = time.monotonic()
            state = flow_runs.run_state(server, run_id)
            assert state not in flow_runs.TERMINAL, (
                f"the run ended ({state}) before it could be killed mid-issue "
                f"(awards {awards}, credentials {credentials})\n{diagnostics()}"
            )
            return False

        wait_for(mid_issue, timeout=STEP_TIMEOUT, interval=0.1, what="credentials mid-batch")
        pid, outcome.killed_command = flow_runs.flow_run_process(worker_pid, run_id)
        outcome.mark("mid-issue")
        outcome.pids.extend(flow_runs.kill_tree(pid))
        flow_runs.wait_for_state(
            server, run_id, "CRASHED", timeout=STEP_TIMEOUT, diagnostics=diagnostics
        )
        outcome.at_kill = progress(engine, run_id)
        outcome.after_kill = batch_row(engine, run_id)
        outcome.mark("crashed")
    finally:
        engine.dispose()
