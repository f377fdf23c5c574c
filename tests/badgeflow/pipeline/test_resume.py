"""The pipeline's stages without Prefect: counts add up, and a crash never duplicates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from badgeflow.demo import demo_dataset_path
from badgeflow.fakelms.moodle import FakeMoodle, MoodleDataset
from badgeflow.pipeline import (
    Runtime,
    enqueue_emails,
    evaluate_awards,
    ingest_source,
    issue_credentials,
    pending_award_ids,
    pending_email_ids,
    send_emails,
)
from badgeflow.store.schema import Award, Credential, EmailOutbox
from tests.demo_env import initialise, reset_database, settings_from, write_config

AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


class ExplodingSigner:
    """Signs like the real signer until `budget` signatures are spent, then fails."""

    def __init__(self, inner, budget: int) -> None:
        self.inner = inner
        self.budget = budget
        self.verification_method = inner.verification_method
        self.public_key = inner.public_key

    def sign(self, data: bytes) -> bytes:
        if self.budget <= 0:
            raise RuntimeError("simulated crash while signing")
        self.budget -= 1
        return self.inner.sign(data)


@pytest.fixture
def runtime(tmp_path, db_url):
    with FakeMoodle(MoodleDataset.load(demo_dataset_path()), token="demo-token") as moodle:
        settings = settings_from(write_config(tmp_path, moodle.base_url))
        settings = settings.model_copy(
            update={"database": settings.database.model_copy(update={"url": db_url})}
        )
        if not db_url.startswith("sqlite"):
            reset_database(db_url)
        initialise(settings)
        runtime = Runtime(settings)
        yield runtime
        runtime.engine.dispose()


def _ingest_and_evaluate(runtime: Runtime, batch_id: str):
    from badgeflow import store

    with runtime.sessions.begin() as session:
        store.start_batch(session, batch_id=batch_id, as_of=AS_OF, started_at=AS_OF)
    results = [
        ingest_source(runtime, s.name, batch_id=batch_id, as_of=AS_OF, full_resync=False)
        for s in runtime.settings.sources
    ]
    return results, evaluate_awards(runtime, batch_id=batch_id, as_of=AS_OF)


def _count(runtime: Runtime, model) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_every_row_is_accounted_for(runtime):
    results, evaluated = _ingest_and_evaluate(runtime, "batch-1")
    rows_read = sum(r.rows_read for r in results)
    quarantined = sum(r.quarantined for r in results)
    assert rows_read > 0 and quarantined > 0
    assert all(r.rows_read == r.accepted + r.quarantined for r in results)
    assert evaluated.rows_evaluated == rows_read - quarantined
    assert evaluated.rows_awarded + evaluated.rows_not_yet_eligible == evaluated.rows_evaluated
    assert evaluated.rows_awarded > 0 and evaluated.rows_not_yet_eligible > 0
    assert evaluated.new_awards == _count(runtime, Award)


def test_crash_mid_chunk_then_rerun_issues_each_award_once(runtime):
    _ingest_and_evaluate(runtime, "batch-1")
    awards = pending_award_ids(runtime)
    assert len(awards) >= 6

    # First chunk commits; the second dies half-way through signing and rolls back.
    issue_credentials(runtime, awards[:3], batch_id="batch-1", issued_at=AS_OF)
    real = runtime.signer
    runtime.__dict__["signer"] = ExplodingSigner(real, budget=1)
    with pytest.raises(RuntimeError, match="simulated crash"):
        issue_credentials(runtime, awards[3:6], batch_id="batch-1", issued_at=AS_OF)
    assert _count(runtime, Credential) == 3

    # The re-run: same data, a fresh batch, the real signer.
    runtime.__dict__["signer"] = real
    _, evaluated = _ingest_and_evaluate(runtime, "batch-2")
    assert evaluated.new_awards == 0
    remaining = pending_award_ids(runtime)
    assert set(remaining) == set(awards[3:])
    issue_credentials(runtime, remaining, batch_id="batch-2", issued_at=AS_OF)
    # Issuing the same chunk again (a retried task) stores nothing.
    assert issue_credentials(runtime, awards, batch_id="batch-2", issued_at=AS_OF) == 0
    assert _count(runtime, Credential) == len(awards) == _count(runtime, Award)


def test_emails_are_sent_once(runtime):
    _ingest_and_evaluate(runtime, "batch-1")
    issue_credentials(runtime, pending_award_ids(runtime), batch_id="batch-1", issued_at=AS_OF)
    queued = enqueue_emails(runtime)
    assert queued == _count(runtime, Credential)
    assert enqueue_emails(runtime) == 0
    ids = pending_email_ids(runtime)
    result = send_emails(runtime, ids, now=AS_OF)
    assert (result.sent, result.failed) == (queued, 0)
    assert pending_email_ids(runtime) == []
    assert len(list(runtime.settings.mail.outbox_dir.glob("*.eml"))) == queued
    assert _count(runtime, EmailOutbox) == queued
