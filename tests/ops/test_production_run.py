"""Production-shaped: a nightly batch killed mid-issue and re-run equals an uninterrupted one.

A Prefect server on PostgreSQL, a process worker on the project's pool, the deployments of
prefect.yaml registered with the project's deploy command; the nightly deployment runs on
the fake LMS servers, is SIGKILLed while issuing, and the batch is re-run. A reference run of
the same deployment (same ``as_of``) goes to a second store. See
`tests.ops.production_scenario`. Run it alone with::

    BADGEFLOW_TEST_POSTGRES_URL=postgresql+psycopg://... pytest tests/ops/test_production_run.py
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.ops.production_scenario import Outcome, Plan, run_scenario

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

# How the project deploys and re-runs a batch: the one place to change with prefect.yaml.
# `make deploy`'s script for the two deployments this test runs (tests/flows/test_deployments.py
# registers all of them); it also creates the work pool and the SMTP limit.
DEPLOY_COMMAND = (
    sys.executable,
    "-m",
    "flows._deploy",
    "--name",
    "nightly-issuance-manual",
    "--name",
    "rerun-batch-manual",
)
NIGHTLY_DEPLOYMENT = "nightly-issuance/nightly-issuance-manual"
RERUN_DEPLOYMENT = "rerun-batch/rerun-batch-manual"


def rerun_parameters(batch_id: str, as_of: str) -> dict[str, Any]:
    """What an admin gives the rerun deployment: the batch id (the ledger has the rest)."""
    return {"batch_id": batch_id}


AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

# Summary fields that describe the batch, not one run of it: equal to the reference's. The
# ledger counts awards and credentials per batch from the store, so a resumed batch reports
# what the whole batch did. Not compared: batch_id, reports_dir and site_dir (per store).
SAME_COUNTS = (
    "as_of",
    "new_awards",
    "awards_by_achievement",
    "credentials_issued",
    "rows_read",
    "rows_by_source",
    "rows_quarantined",
    "quarantine_reasons",
    "rows_awarded",
    "rows_not_yet_eligible",
    "pathway_tiers",
    "status_changes",
    "contracts",
    "halted",
    "site_credentials",
    "site_files_changed",
    "site_files_unchanged",
    "site_files_deleted",
    "emails_queued",
    "emails_sent",
    "emails_failed",
    "emails_held",
    "emails_deferred",
    "emails_bounced",
    "balanced",
)


@pytest.fixture(scope="module")
def outcome(tmp_path_factory) -> Outcome:
    url = os.environ.get("BADGEFLOW_TEST_POSTGRES_URL")
    if not url:
        pytest.fail("BADGEFLOW_TEST_POSTGRES_URL is not set (see tests/conftest.py)")
    plan = Plan(DEPLOY_COMMAND, NIGHTLY_DEPLOYMENT, RERUN_DEPLOYMENT, rerun_parameters)
    tmp = tmp_path_factory.mktemp("production")
    result = run_scenario(tmp, url, plan, AS_OF)
    # Where the time went, for whoever reads a slow CI run (never asserted).
    (tmp / "timings.json").write_text(
        json.dumps({"wall": result.timings, "cpu_seconds": result.cpu_seconds}, indent=2)
    )
    return result


def test_the_kill_hit_the_flow_run_mid_issue(outcome):
    assert "prefect.engine" in outcome.killed_command
    awards, credentials = outcome.at_kill
    assert 0 < credentials < awards, "the run was not killed with issuing half done"
    # SIGKILL left no chance to record a failure: the ledger shows the batch unfinished.
    assert outcome.after_kill["status"] == "running"
    assert {"ingest", "evaluate"} <= set(outcome.after_kill["stages"])
    assert not {"issue", "publish", "notify"} & set(outcome.after_kill["stages"])


def test_the_rerun_completed_the_batch(outcome):
    batch = outcome.interrupted.batch
    assert batch["status"] == "succeeded"
    assert batch["flow_run_id"] not in (None, outcome.batch_id)  # a new run finished it
    assert set(batch["stages"]) == {"ingest", "evaluate", "issue", "publish", "notify"}
    assert outcome.reference.batch["status"] == "succeeded"


def test_the_same_credentials_one_per_award(outcome):
    got, want = outcome.interrupted, outcome.reference
    assert len(want.credentials) > 0
    assert got.credentials == want.credentials  # ids are uuid5 of the award key
    assert set(got.credentials_per_award.values()) == {1}
    assert set(want.credentials_per_award.values()) == {1}
    assert (
        got.site_credentials == want.site_credentials == {f"{cid}.json" for cid in want.credentials}
    )


def test_the_same_awards_completions_and_quarantine(outcome):
    got, want = outcome.interrupted, outcome.reference
    assert got.awards == want.awards
    assert got.completions == want.completions
    assert got.quarantined == want.quarantined  # no row recorded twice by the re-run
    summary = got.batch["summary"]
    assert summary["rows_read"] == (
        summary["rows_quarantined"] + summary["rows_awarded"] + summary["rows_not_yet_eligible"]
    )
    assert len(got.quarantined) == summary["rows_quarantined"] > 0


def test_one_award_email_per_credential_each_received_once(outcome):
    for kind in ("interrupted", "reference"):
        store = getattr(outcome, kind)
        awards = [row for row in store.outbox if row[1] == "award"]
        assert sorted(row[0] for row in awards) == sorted(store.credentials), kind
        assert {row[2] for row in awards} == {"sent"}, kind
        received = Counter(outcome.received[kind])
        assert [mid for mid, n in received.items() if n > 1] == [], f"{kind}: sent twice"
        assert set(received) == {row[3] for row in awards}, f"{kind}: missing or unknown"
    # Message-IDs derive from the credential page, so both stores sent the same emails.
    assert sorted(outcome.received["interrupted"]) == sorted(outcome.received["reference"])


def test_the_killed_run_alerts_ops_once_from_its_worker(outcome):
    # SIGKILL leaves the flow-run process no chance to run a hook: the worker notices the
    # exit, reports the run Crashed and runs the flow's on_crashed hook itself.
    assert outcome.alerts["interrupted"] == [
        f"[badgeflow] nightly-issuance crashed: nightly-issuance-manual, batch {outcome.batch_id}"
    ]
    assert outcome.alerts["reference"] == []


def test_batch_summaries_agree_where_they_must(outcome):
    got = outcome.interrupted.batch["summary"]
    want = outcome.reference.batch["summary"]
    assert {k: got[k] for k in SAME_COUNTS} == {k: want[k] for k in SAME_COUNTS}
    assert want["credentials_issued"] == len(outcome.reference.credentials) > 0


def test_every_process_stopped_and_database_dropped(outcome):
    assert outcome.pids, "the scenario recorded no process"
    assert outcome.leftover_processes == []
    assert outcome.leftover_databases == []
