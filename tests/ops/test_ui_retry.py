"""The admin's path in a real browser: a failed nightly run, fixed, retried from the Prefect UI.

A Prefect server (SQLite) and a process worker run on loopback; the project's deployments are
registered with the project's own command. The nightly run fails because the Moodle token in
the config is wrong; the test checks what the admin sees (the failed run, a message saying
what to fix) and that nothing was issued or emailed. It then fixes the config and, in headless
Chromium, opens the Runs page, opens the failed run and clicks Retry. The same flow run
completes, and the database and the SMTP sink show one credential per award, one award email
per credential and every input row accounted for.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from badgeflow import store
from badgeflow.demo import demo_dataset_path
from badgeflow.fakelms.moodle import FakeMoodle, MoodleDataset
from badgeflow.store.schema import Award, Batch, Credential, EmailOutbox, QuarantinedRow
from tests.badgeflow.notify.smtp_servers import Handler
from tests.demo_env import initialise, settings_from, write_config
from tests.ops.flow_runs import deploy
from tests.ops.prefect_server import (
    ROOT,
    descendants,
    free_port,
    prefect_server,
    process_worker,
    wait_for,
)
from tests.ops.prefect_ui import prefect_ui

# Slow: a server, a worker, two flow-run processes and Chromium (about 2.7 CPU-minutes). The
# cap is above the suite's 600 s because a shared 2-core CI machine took 10 minutes of wall
# time; nothing here times the code, it only stops a hung run.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

# What the project deploys and how: `make deploy`'s script (it creates the work pool and the
# SMTP limit), for the one deployment this test runs. Nothing else in this module names them.
POOL = "badgeflow-process"
DEPLOY_COMMAND = (sys.executable, "-m", "flows._deploy", "--name", "nightly-issuance-manual")
DEPLOYMENT = "nightly-issuance/nightly-issuance-manual"

GOOD_TOKEN = "demo-token"
WRONG_TOKEN = "expired-token"
RUN_TIMEOUT_S = 420.0  # a flow-run process takes ~20 s to start on a loaded 2-core machine


def test_admin_retries_a_failed_nightly_run_from_the_ui(tmp_path: Path) -> None:
    pids: list[int] = []
    with ExitStack() as stack:
        moodle = stack.enter_context(
            FakeMoodle(MoodleDataset.load(demo_dataset_path()), token=GOOD_TOKEN)
        )
        sink = Handler()
        smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
        smtp.start()
        stack.callback(smtp.stop)
        config, good_config = _badgeflow_config(tmp_path / "badgeflow", moodle.base_url, smtp)
        config.write_text(good_config.replace(f'"{GOOD_TOKEN}"', f'"{WRONG_TOKEN}"'))

        server = stack.enter_context(
            prefect_server(
                tmp_path / "prefect",
                # Manual runs only: no scheduled nightly or hourly run joins in mid-test.
                extra_env={"PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false"},
            )
        )
        deploy(server, DEPLOY_COMMAND, {"BADGEFLOW_HOME": str(ROOT)})
        worker = stack.enter_context(
            process_worker(
                server,
                pool=POOL,
                env={"BADGEFLOW_CONFIG": str(config), "BADGEFLOW_HOME": str(ROOT)},
            )
        )
        api = stack.enter_context(server.api())
        deployment = _get(api, f"deployments/name/{DEPLOYMENT}")
        # The pull step's {{ $BADGEFLOW_HOME }} is kept as written at deploy time and resolved
        # by each flow-run process from the worker's environment.
        assert "{{ $BADGEFLOW_HOME }}" in json.dumps(deployment["pull_steps"])

        # 1. The nightly run fails for a cause the admin can fix.
        run = _ok(api.post(f"deployments/{deployment['id']}/create_flow_run", json={}))
        ui = stack.enter_context(prefect_ui(server.ui_url, tmp_path / "screenshots"))
        failed = _wait_state(api, run["id"], "FAILED", attempts=1)
        assert "invalidtoken" in failed["state"]["message"]
        assert "check the source's token in the badgeflow config" in failed["state"]["message"]
        task_runs = _ok(
            api.post("task_runs/filter", json={"task_runs": {"flow_run_id": {"any_": [run["id"]]}}})
        )
        assert [t["name"] for t in task_runs if t["state_type"] == "FAILED"] == [
            "ingest-moodle-demo"  # the failed task names the source
        ]
        assert any("invalidtoken" in line for line in _log_lines(api, run["id"]))
        ledger = _Ledger(config)
        assert ledger.batch.id == ledger.batch.flow_run_id == run["id"]
        assert ledger.batch.status == "failed"
        assert "ingest" not in ledger.batch.stages
        assert (ledger.credentials, ledger.emails, sink.received) == (0, 0, [])
        # The flow names its run after the batch once it starts: that is what the list shows.
        name = failed["name"]
        assert name == f"batch {run['id'][:8]} (all sources)"

        # 2. The admin fixes the cause, then retries the run in the UI.
        config.write_text(good_config)
        ui.open_run(name)
        assert ui.shows_state("Failed"), ui.screenshot("not-failed")
        ui.retry(name)

        # 3. The same flow run completes, and the batch is complete with nothing twice.
        _wait_state(api, run["id"], "COMPLETED", attempts=2)
        assert _flow_run_ids(api) == [run["id"]]  # retried in place, not a new run
        ui.until("shows-completed", lambda: ui.shows_state("Completed"))
        assert ui.off_site == []
        _assert_batch_complete(_Ledger(config), run["id"], sink)

        pids = [server.process.pid, worker.pid]
        pids += descendants(server.process.pid) + descendants(worker.pid)
    assert [pid for pid in pids if _alive(pid)] == []


def _badgeflow_config(root: Path, moodle_url: str, smtp: Controller) -> tuple[Path, str]:
    """The demo config (fake Moodle + the demo CSV export), mailing through `smtp`."""
    root.mkdir(parents=True)
    config = write_config(root, moodle_url)
    text = config.read_text().replace(
        "[mail]\n",
        f'[mail]\ntransport = "smtp"\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\n',
    )
    assert 'transport = "smtp"' in text
    config.write_text(text)
    initialise(settings_from(config))
    return config, text


class _Ledger:
    """What badgeflow's database says about the (only) batch."""

    def __init__(self, config: Path) -> None:
        engine = store.make_engine(settings_from(config).database.url)
        try:
            with store.session_factory(engine)() as session:
                self.batch = session.scalars(select(Batch)).one()
                self.awards = _count(session, Award)
                self.credentials = _count(session, Credential)
                self.emails = _count(session, EmailOutbox)
                self.quarantined = _count(session, QuarantinedRow)
                self.outbox = session.execute(
                    select(EmailOutbox.credential_id, EmailOutbox.kind, EmailOutbox.status)
                ).all()
                self.message_ids = sorted(
                    str(message_id)
                    for message_id in session.scalars(
                        select(EmailOutbox.message_id).where(EmailOutbox.sent_at.is_not(None))
                    )
                )
        finally:
            engine.dispose()


def _count(session: Any, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)))


def _assert_batch_complete(ledger: _Ledger, run_id: str, sink: Handler) -> None:
    batch, summary = ledger.batch, ledger.batch.summary
    assert (batch.id, batch.status) == (run_id, "succeeded")
    assert all(stage["status"] == "succeeded" for stage in batch.stages.values()), batch.stages
    # Every input row is accounted for: quarantined, awarded or not yet eligible.
    assert summary["balanced"] is True
    assert summary["rows_read"] == sum(summary["rows_by_source"].values()) > 0
    assert summary["rows_quarantined"] == ledger.quarantined > 0  # the demo CSV's bad rows
    # One credential per award, one award email per credential, each received once.
    assert ledger.awards == ledger.credentials == summary["credentials_issued"] > 0
    assert sorted(kind for _, kind, _ in ledger.outbox) == ["award"] * ledger.credentials
    assert len({credential for credential, _, _ in ledger.outbox}) == ledger.credentials
    assert {status for _, _, status in ledger.outbox} == {"sent"}
    assert summary["emails_sent"] == ledger.credentials
    received = sink.message_ids()
    assert len(received) == len(set(received)) == ledger.credentials
    assert sorted(received) == ledger.message_ids


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, (response.status_code, response.text)
    return response.json()


def _get(api: httpx.Client, path: str) -> Any:
    """GET from the REST API, waiting out 503s (SQLite busy) and connection hiccups."""
    found: list[Any] = []

    def answered() -> bool:
        try:
            response = api.get(path)
        except httpx.TransportError:
            return False
        if response.status_code == 503:
            return False
        found.append(_ok(response))
        return True

    wait_for(answered, timeout=120, interval=1, what=f"GET {path}")
    return found[-1]


def _wait_state(api: httpx.Client, run_id: str, state_type: str, *, attempts: int) -> Any:
    """Wait until the run's attempt number `attempts` ends; fail unless in `state_type`."""
    final = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
    latest: list[Any] = []

    def settled() -> bool:
        latest.append(_get(api, f"flow_runs/{run_id}"))
        return latest[-1]["state_type"] in final and latest[-1]["run_count"] >= attempts

    _wait(settled, f"flow run {run_id} to reach {state_type}")
    assert latest[-1]["state_type"] == state_type, (latest[-1]["state"], _log_lines(api, run_id))
    assert latest[-1]["run_count"] == attempts
    return latest[-1]


def _wait(predicate: Callable[[], bool], what: str) -> None:
    wait_for(predicate, timeout=RUN_TIMEOUT_S, interval=2, what=what)


def _log_lines(api: httpx.Client, run_id: str) -> list[str]:
    body = {"logs": {"flow_run_id": {"any_": [run_id]}}, "sort": "TIMESTAMP_ASC", "limit": 200}
    return [entry["message"] for entry in _ok(api.post("logs/filter", json=body))]


def _flow_run_ids(api: httpx.Client) -> list[str]:
    return [run["id"] for run in _ok(api.post("flow_runs/filter", json={}))]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
