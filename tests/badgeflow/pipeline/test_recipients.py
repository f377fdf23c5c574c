"""``issuance.recipient_identity = "did"``: the DID comes from the completion's learner_id."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from badgeflow import store
from badgeflow.pipeline import (
    Runtime,
    evaluate_awards,
    ingest_source,
    issue_credentials,
    pending_award_ids,
)
from badgeflow.settings import Settings
from badgeflow.store.schema import Credential
from tests.demo_env import initialise

REPO = Path(__file__).resolve().parents[3]
AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
HEADER = "learner_id,learner_email,learner_name,course_id,course_name,completed,completed_at,score,modules_completed,modules_total,source_record_id,score_kind\n"  # noqa: E501


def make_runtime(tmp_path: Path, recipient_identity: str) -> Runtime:
    export = tmp_path / "export.csv"
    export.write_text(
        HEADER
        + "did:example:ada,ada@example.org,Ada,DS101,Data,true,2026-10-02T14:30:00Z,,4,4,R-1,none\n"
        + "L-002,bob@example.org,Bob,DS101,Data,true,2026-10-03T14:30:00Z,,4,4,R-2,none\n",
        encoding="utf-8",
    )
    settings = Settings(
        var_dir=tmp_path / "var",
        catalog_dir=REPO / "badge_catalog",
        contracts_dir=REPO / "data_contracts",
        database={"url": f"sqlite:///{tmp_path / 'var' / 'db.sqlite'}"},
        signing={"keys_dir": tmp_path / "var" / "keys"},
        site={"output_dir": tmp_path / "var" / "site"},
        issuance={"recipient_identity": recipient_identity},
        sources=[{"name": "export", "kind": "csv", "path": export}],
    )
    initialise(settings)
    runtime = Runtime(settings)
    with runtime.sessions.begin() as session:
        store.start_batch(session, batch_id="b1", as_of=AS_OF, started_at=AS_OF)
    ingest_source(runtime, "export", batch_id="b1", as_of=AS_OF, full_resync=False)
    evaluate_awards(runtime, batch_id="b1", as_of=AS_OF)
    return runtime


def subjects(runtime: Runtime) -> list[dict]:
    with runtime.sessions() as session:
        documents = session.scalars(select(Credential.document)).all()
    return [json.loads(d)["credentialSubject"] for d in documents]


def test_did_mode_names_the_learner_by_did_and_holds_back_learners_without_one(tmp_path, caplog):
    runtime = make_runtime(tmp_path, "did")
    awards = pending_award_ids(runtime)
    assert len(awards) == 2
    assert issue_credentials(runtime, awards, batch_id="b1", issued_at=AS_OF) == 1
    [subject] = subjects(runtime)
    assert subject["id"] == "did:example:ada" and "identifier" not in subject
    assert "no completion that earned this award gives a DID" in caplog.text
    assert "bob@example.org" not in caplog.text
    # Bob's award stays pending: it is issued once his DID arrives, never twice.
    assert len(pending_award_ids(runtime)) == 1
    runtime.engine.dispose()


def test_hashed_email_is_the_default(tmp_path):
    runtime = make_runtime(tmp_path, "hashed_email")
    issue_credentials(runtime, pending_award_ids(runtime), batch_id="b1", issued_at=AS_OF)
    found = subjects(runtime)
    assert len(found) == 2
    assert all(s["identifier"][0]["hashed"] is True and "id" not in s for s in found)
    assert "ada@example.org" not in json.dumps(found)
    runtime.engine.dispose()
