"""The dry run evaluates like a batch and writes nothing."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pandas as pd
import pytest
from sqlalchemy import func, inspect, select, table

from badgeflow import store
from badgeflow.demo import demo_dataset_path
from badgeflow.fakelms.moodle import FakeMoodle, MoodleDataset
from badgeflow.models import (
    ACHIEVEMENT_ID,
    AWARD_KEY,
    AWARD_STATUS,
    LEARNER_EMAIL,
    REASON,
    REVOCATION_COLUMNS,
)
from badgeflow.pipeline import Runtime, evaluate_awards, ingest_source
from badgeflow.pipeline.preview import _awards, _changes, preview_run
from badgeflow.store.progress import load_pathway_progress
from tests.badgeflow.store.factories import award, awards_frame
from tests.demo_env import initialise, settings_from, write_config

AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture
def runtime(tmp_path):
    with FakeMoodle(MoodleDataset.load(demo_dataset_path()), token="demo-token") as moodle:
        settings = settings_from(write_config(tmp_path, moodle.base_url))
        initialise(settings)
        runtime = Runtime(settings)
        yield runtime
        runtime.engine.dispose()


def snapshot(runtime: Runtime) -> tuple[dict[str, int], str]:
    names = inspect(runtime.engine).get_table_names()
    with runtime.engine.connect() as connection:
        counts = {n: connection.scalar(select(func.count()).select_from(table(n))) for n in names}
    db = runtime.settings.database.url.removeprefix("sqlite:///")
    with open(db, "rb") as fh:
        return counts, hashlib.sha256(fh.read()).hexdigest()


def run_batch(runtime: Runtime, batch_id: str):
    with runtime.sessions.begin() as session:
        store.start_batch(session, batch_id=batch_id, as_of=AS_OF, started_at=AS_OF)
    for source in runtime.settings.sources:
        ingest_source(runtime, source.name, batch_id=batch_id, as_of=AS_OF, full_resync=False)
    return evaluate_awards(runtime, batch_id=batch_id, as_of=AS_OF)


def test_a_dry_run_writes_nothing(runtime):
    before = snapshot(runtime)
    preview = preview_run(runtime, as_of=AS_OF)
    assert snapshot(runtime) == before
    assert not runtime.settings.site.output_dir.exists()
    assert not runtime.settings.mail.outbox_dir.exists()

    totals = preview.totals()
    assert totals["issue"] > 0 and totals["renew"] == 0 and totals["status_changes"] == 0
    assert totals["rows_quarantined"] > 0  # the demo CSV carries bad rows
    assert [s.source for s in preview.sources] == ["moodle-demo", "partner-lms-export"]
    csv = preview.sources[1]
    assert csv.rows_read == csv.accepted + csv.quarantined and csv.quarantine_reasons
    assert preview.as_dict()["totals"] == totals


def test_a_dry_run_predicts_the_batch_and_then_finds_nothing_new(runtime):
    preview = preview_run(runtime, as_of=AS_OF)
    result = run_batch(runtime, "batch-1")
    with runtime.sessions() as session:
        made = store.load_awards(session)
    assert set(made[AWARD_KEY]) == {a.award_key for a in preview.awards}
    assert result.new_awards == preview.totals()["issue"]

    again = preview_run(runtime, as_of=AS_OF)
    assert again.awards == () and again.totals()["rows_read"] == preview.totals()["rows_read"]


def test_the_award_stage_stores_pathway_progress_and_reports_tiers(runtime):
    result = run_batch(runtime, "batch-1")
    tiers = result.pathway_tiers["data-skills"]
    assert list(tiers) == ["data-foundations", "data-applied", "certified-data-practitioner"]
    with runtime.sessions() as session:
        progress = load_pathway_progress(session)
        held = store.load_awards(session)
    assert progress and all(p.tiers_total == 3 for p in progress)
    foundations = held[held[ACHIEVEMENT_ID] == "data-foundations"][LEARNER_EMAIL].nunique()
    assert tiers["data-foundations"] == foundations > 0
    by_learner = {p.learner_email: p for p in progress}
    for email in held[held[ACHIEVEMENT_ID] == "data-foundations"][LEARNER_EMAIL]:
        assert by_learner[email].tiers_held >= 1


def test_an_award_of_an_achievement_held_before_is_a_renewal():
    existing = awards_frame(award("old", **{LEARNER_EMAIL: "ada@example.org"}))
    new = awards_frame(
        award("new-ada", **{LEARNER_EMAIL: "ada@example.org"}),
        award("new-bob", **{LEARNER_EMAIL: "bob@example.org"}),
    )
    actions = {a.award_key: a.action for a in _awards(new, existing)}
    assert actions == {"new-ada": "renew", "new-bob": "issue"}
    assert {a.action for a in _awards(new, existing.iloc[0:0])} == {"issue"}


def test_status_changes_come_from_the_revocations_frame_when_the_evaluator_has_one():
    assert _changes(None) == ()
    frame = pd.DataFrame(
        [["k1", "ada@example.org", "data-applied", "suspended", "data-foundations expired"]],
        columns=list(REVOCATION_COLUMNS),
    )
    (change,) = _changes(frame)
    assert (change.award_key, change.status, change.reason) == (
        "k1",
        "suspended",
        "data-foundations expired",
    )
    assert _changes(frame.iloc[0:0]) == ()
    assert {AWARD_STATUS, REASON} <= set(REVOCATION_COLUMNS)
