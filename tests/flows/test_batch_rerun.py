"""Every way the UI runs a batch again is safe: a crash in any stage, then a re-run, gives
exactly the uninterrupted result (same credentials, one email each, same summary, watermarks).

The crashes are made by replacing a task's underlying core function with one that raises
(after some chunks, for the chunked stages); the runs share the session's Prefect harness,
the demo Moodle and CSV export, and a small chunk size so the chunked stages have several.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from badgeflow import store
from badgeflow.demo import demo_dataset_path
from badgeflow.errors import UnknownBatch
from badgeflow.fakelms.moodle import FakeMoodle, MoodleDataset
from badgeflow.store.schema import Award, Batch, Credential, EmailOutbox, Source
from tests.demo_env import initialise, settings_from, write_config

pytestmark = pytest.mark.slow

AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
CHUNK = "4"
# Paths differ per test folder; everything else in the summary must be equal.
PATHS = ("batch_id", "site_dir", "reports_dir")


class Crash(RuntimeError):
    """The planted failure."""


def crash_after(real: Any, calls: int) -> Any:
    """`real`, raising `Crash` from its call number ``calls + 1`` on (retries too)."""
    seen = {"n": 0}

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        seen["n"] += 1
        if seen["n"] > calls:
            raise Crash(f"planted crash after {calls} calls")
        return real(*args, **kwargs)

    return wrapper


@pytest.fixture(scope="module")
def moodle():
    with FakeMoodle(MoodleDataset.load(demo_dataset_path()), token="demo-token") as server:
        yield server


class Env:
    """A fresh badgeflow folder, with the flow's settings pointed at it."""

    def __init__(self, root, moodle_url: str) -> None:
        self.config = write_config(root, moodle_url)
        self.settings = settings_from(self.config)
        initialise(self.settings)

    def run(self, flow: Any = None, **kwargs: Any) -> dict[str, Any]:
        from flows.nightly_issuance import nightly_issuance
        from tasks._settings import get_settings

        os.environ["BADGEFLOW_CONFIG"] = str(self.config)
        os.environ["BADGEFLOW_ISSUANCE__CHUNK_SIZE"] = CHUNK
        get_settings.cache_clear()
        try:
            return (flow or nightly_issuance)(**kwargs)
        finally:
            del os.environ["BADGEFLOW_CONFIG"], os.environ["BADGEFLOW_ISSUANCE__CHUNK_SIZE"]
            get_settings.cache_clear()

    def outcome(self) -> dict[str, Any]:
        engine = store.make_engine(self.settings.database.url)
        with store.session_factory(engine)() as session:
            credentials = session.execute(select(Credential.id, Credential.award_id)).all()
            emails = session.execute(select(EmailOutbox.credential_id, EmailOutbox.kind)).all()
            found = {
                "credentials": sorted(c for c, _ in credentials),
                "per_award": Counter(Counter(a for _, a in credentials).values()),
                "awards": session.scalar(select(func.count()).select_from(Award)),
                "outbox": Counter(Counter(emails).values()),
                "sent": session.scalar(select(func.count()).where(EmailOutbox.status == "sent")),
                "watermarks": dict(session.execute(select(Source.name, Source.watermark)).all()),
                "batches": dict(session.execute(select(Batch.id, Batch.status)).all()),
            }
        engine.dispose()
        found["eml"] = len(list(self.settings.mail.outbox_dir.glob("*.eml")))
        return found


def _summary(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if k not in PATHS}


@pytest.fixture(scope="module")
def reference(prefect_harness, moodle, tmp_path_factory):
    """The uninterrupted batch."""
    env = Env(tmp_path_factory.mktemp("reference"), moodle.base_url)
    state = env.run(as_of=AS_OF, batch_id="nightly-1", return_state=True)
    return state.result(), env.outcome(), state.state_details.flow_run_id


def test_the_reference_batch_accounts_for_every_row(reference):
    summary, outcome, _ = reference
    assert summary["balanced"] and summary["rows_quarantined"] > 0
    assert summary["rows_read"] == (
        summary["rows_quarantined"] + summary["rows_awarded"] + summary["rows_not_yet_eligible"]
    )
    assert summary["credentials_issued"] == summary["new_awards"] > 2 * int(CHUNK)
    assert summary["emails_sent"] == summary["credentials_issued"] == outcome["eml"]
    assert outcome["per_award"] == {1: summary["credentials_issued"]}
    assert outcome["outbox"] == {1: summary["credentials_issued"]}
    assert set(outcome["watermarks"]) == {"moodle-demo", "partner-lms-export"}
    assert outcome["batches"] == {"nightly-1": "succeeded"}


# stage, module whose core function crashes, its name, calls that succeed first
CRASHES = [
    ("ingest", "tasks.lms", "ingest_source", 1),  # the second source
    ("evaluate", "tasks.awards", "evaluate_awards", 0),
    ("issue", "tasks.credentials", "issue_credentials", 2),  # mid-way: 2 chunks done
    ("publish", "tasks.site", "publish_site", 0),
    ("notify", "tasks.notify", "send_emails", 1),  # mid-way: 1 chunk sent
]


@pytest.mark.parametrize(("stage", "module", "name", "calls"), CRASHES, ids=[c[0] for c in CRASHES])
def test_a_crashed_batch_run_again_gives_the_uninterrupted_result(
    reference, moodle, tmp_path, monkeypatch, stage, module, name, calls
):
    import importlib

    ref_summary, ref_outcome, _ = reference
    env = Env(tmp_path, moodle.base_url)
    target = importlib.import_module(module)
    with monkeypatch.context() as patch:
        patch.setattr(target, name, crash_after(getattr(target, name), calls))
        with pytest.raises(Crash):
            env.run(as_of=AS_OF, batch_id="nightly-1")
    crashed = env.outcome()
    assert crashed["batches"] == {"nightly-1": "failed"}
    assert crashed["watermarks"] == {}  # not committed by a failed batch

    # "Retry" / "Copy to new run" / a new run with the batch id: a later clock is ignored.
    summary = env.run(as_of=datetime(2027, 1, 1, tzinfo=UTC), batch_id="nightly-1")

    assert _summary(summary) == _summary(ref_summary)
    assert env.outcome() == ref_outcome
    batch = _ledger(env, "nightly-1")
    assert all(batch["stages"][s]["status"] == "succeeded" for s in CRASHES_STAGES)


CRASHES_STAGES = [c[0] for c in CRASHES]


def _ledger(env: Env, batch_id: str) -> dict[str, Any]:
    engine = store.make_engine(env.settings.database.url)
    with store.session_factory(engine)() as session:
        batch = store.get_batch(session, batch_id)
    engine.dispose()
    return batch


def test_a_new_batch_after_a_failed_one_issues_nothing_twice(reference, moodle, tmp_path):
    import tasks.notify

    _, ref_outcome, _ = reference
    env = Env(tmp_path, moodle.base_url)
    real = tasks.notify.send_emails
    tasks.notify.send_emails = crash_after(real, 1)
    try:
        with pytest.raises(Crash):
            env.run(as_of=AS_OF, batch_id="failed-1")
    finally:
        tasks.notify.send_emails = real
    summary = env.run(as_of=AS_OF, batch_id="nightly-2")
    outcome = env.outcome()

    assert outcome["batches"] == {"failed-1": "failed", "nightly-2": "succeeded"}
    assert outcome["credentials"] == ref_outcome["credentials"]
    assert outcome["per_award"] == ref_outcome["per_award"]
    assert outcome["outbox"] == ref_outcome["outbox"] and outcome["eml"] == ref_outcome["eml"]
    assert outcome["watermarks"] == ref_outcome["watermarks"]
    assert summary["balanced"] and summary["new_awards"] == 0  # the failed batch's awards
    assert summary["credentials_issued"] == 0  # all issued by the failed batch before notify
    assert summary["emails_sent"] == ref_outcome["eml"] - int(CHUNK)


def test_a_succeeded_batch_run_again_does_nothing_and_rerun_batch_reads_the_ledger(
    reference, moodle, tmp_path
):
    from flows.rerun_batch import rerun_batch

    ref_summary, _, _ = reference
    env = Env(tmp_path, moodle.base_url)
    first = env.run(as_of=AS_OF, batch_id="nightly-1")
    before = env.outcome()
    again = env.run(as_of=datetime(2027, 1, 1, tzinfo=UTC), batch_id="nightly-1")
    rerun = env.run(rerun_batch, batch_id="nightly-1")

    assert again == first == rerun  # the stored summary, nothing new
    assert env.outcome() == before
    assert _summary(first) == _summary(ref_summary)
    report = _artifact("batch-nightly-1")
    assert report is not None and "already succeeded" in report
    with pytest.raises(UnknownBatch, match="no batch 'nope' in the ledger"):
        env.run(rerun_batch, batch_id="nope")


def _artifact(key: str) -> str | None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
        )
    return str(found[0].data) if found else None


def _learner_emails() -> list[str]:
    import csv

    from badgeflow.demo import demo_csv_path

    emails = {user.email for user in MoodleDataset.load(demo_dataset_path()).users}
    with demo_csv_path().open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            emails |= {v for k, v in row.items() if k and "email" in k.lower() and v}
    return sorted(e.strip().lower() for e in emails if "@" in e)


def _leaks(lines: list[str], needles: list[str]) -> list[str]:
    text = "\n".join(lines).lower()
    return [needle for needle in needles if needle.lower() in text]


def _run_logs(flow_run_id) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    lines: list[str] = []
    with get_client(sync_client=True) as client:
        while True:
            page = client.read_logs(
                log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])),
                limit=200,
                offset=len(lines),
            )
            lines += [log.message for log in page]
            if len(page) < 200:
                return lines


def test_the_run_is_named_for_its_batch_and_logs_no_learner_email_or_secret(reference):
    from prefect.client.orchestration import get_client

    _, _, flow_run_id = reference
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(flow_run_id).name == "batch nightly-1 (all sources)"
    lines = _run_logs(flow_run_id)
    needles = [*_learner_emails(), "demo-token", "test-passphrase"]
    assert len(needles) > 10 and len(lines) > 20
    assert any("issued" in line for line in lines)  # task runs' logs are read too
    assert _leaks(lines, needles) == []
    assert _leaks([*lines, f"planted {needles[3].upper()}"], needles) == [needles[3]]


def test_the_batch_report_shows_stages_quarantine_credentials_and_emails(reference):
    summary, _, _ = reference
    report = _artifact("batch-nightly-1")
    assert report is not None
    assert report.startswith("# Batch `nightly-1`: succeeded")
    for stage in CRASHES_STAGES:
        assert f"| {stage} | succeeded |" in report
    assert f"## Quarantined rows: {summary['rows_quarantined']} of {summary['rows_read']}" in report
    assert "Validation report: `" in report and "validation.html`" in report
    for achievement, n in summary["awards_by_achievement"].items():
        assert f"| {achievement} | {n} |" in report
    assert f"| Sent | {summary['emails_sent']} |" in report
    assert _leaks([report], _learner_emails()) == []


def test_a_batch_owned_by_a_running_flow_run_is_refused_until_that_run_crashed(
    prefect_harness, moodle, tmp_path
):
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.states import Crashed, Running

    from badgeflow.errors import BatchInProgress
    from tasks.batches import flow_run_is_live

    @flow(name="other-nightly-run")
    def other() -> None:  # pragma: no cover - never run, only registered
        pass

    env = Env(tmp_path, moodle.base_url)
    with get_client(sync_client=True) as client:
        owner = client.create_flow_run(other, state=Running())
    engine = store.make_engine(env.settings.database.url)
    with store.session_factory(engine).begin() as session:
        store.start_batch(
            session, batch_id="busy-1", as_of=AS_OF, started_at=AS_OF, flow_run_id=str(owner.id)
        )
    engine.dispose()

    assert flow_run_is_live(str(owner.id)) is True
    with pytest.raises(BatchInProgress, match=f"flow run {owner.id}, which is still running"):
        env.run(as_of=AS_OF, batch_id="busy-1")
    assert env.outcome()["credentials"] == []

    with get_client(sync_client=True) as client:
        client.set_flow_run_state(owner.id, Crashed(), force=True)
    assert flow_run_is_live(str(owner.id)) is False
    assert flow_run_is_live("not-a-uuid") is False
    assert flow_run_is_live("00000000-0000-4000-8000-000000000000") is False  # unknown
