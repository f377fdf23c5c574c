"""The award stage applies the rules' suspensions and reinstatements with the new awards."""

from __future__ import annotations

import shutil
from datetime import timedelta

import yaml

from badgeflow import store
from badgeflow.models import COMPLETED_AT, COURSE_ID, SCORE
from badgeflow.pipeline import Runtime, evaluate_awards
from tests.badgeflow.store.factories import AS_OF, completion, completions_frame
from tests.demo_env import REPO, initialise, settings_from, write_config

START = AS_OF - timedelta(days=100)


def suspending_catalog(root):
    catalog = root / "catalog"
    shutil.copytree(REPO / "badge_catalog", catalog)
    foundations = catalog / "achievements" / "data-foundations.yaml"
    # A 30-day validity; the written narrative (which states no period) makes way for the
    # generated one, which does.
    spec = yaml.safe_load(foundations.read_text())
    del spec["criteria"]
    foundations.write_text(yaml.safe_dump({**spec, "valid_for_days": 30}))
    pathway = catalog / "pathways" / "data-skills.yaml"
    pathway.write_text(pathway.read_text() + "\non_prerequisite_expiry: suspend\n")
    return catalog


def night(runtime, batch_id, as_of, *rows):
    with runtime.sessions.begin() as session:
        store.start_batch(session, batch_id=batch_id, as_of=as_of, started_at=as_of)
        store.upsert_completions(session, completions_frame(*rows), batch_id=batch_id)
    result = evaluate_awards(runtime, batch_id=batch_id, as_of=as_of)
    with runtime.sessions() as session:
        awards = store.load_awards(session)
    return result, dict(zip(awards["achievement_id"], awards["status"], strict=True))


def test_a_tier_is_suspended_when_its_prerequisite_expires_and_back_when_renewed(tmp_path):
    config = write_config(tmp_path, "http://127.0.0.1:9")
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace(str(REPO / "badge_catalog"), str(suspending_catalog(tmp_path))),
        encoding="utf-8",
    )
    settings = settings_from(config)
    initialise(settings)
    runtime = Runtime(settings)
    ds101 = completion("1:1", **{COURSE_ID: "DS101", COMPLETED_AT: START})
    ds201 = completion("1:2", **{COURSE_ID: "DS201", COMPLETED_AT: START + timedelta(days=1)})
    first, statuses = night(runtime, "n1", START + timedelta(days=2), ds101, ds201)
    assert first.new_awards == 2 and first.status_changes == 0
    assert statuses == {"data-foundations": "active", "data-applied": "active"}
    # 40 days on, data-foundations has expired: the tier above it is suspended
    later = START + timedelta(days=40)
    other = completion(
        "1:3", **{COURSE_ID: "SQL110", COMPLETED_AT: later - timedelta(days=1), SCORE: 50.0}
    )
    second, statuses = night(runtime, "n2", later, other)
    assert second.status_changes == 1 and second.new_awards == 0
    assert statuses == {"data-foundations": "active", "data-applied": "suspended"}
    # DS101 again: data-foundations is renewed and data-applied comes back
    retake = completion("1:4", **{COURSE_ID: "DS101", COMPLETED_AT: later + timedelta(days=1)})
    third, _ = night(runtime, "n3", later + timedelta(days=2), retake)
    assert third.new_awards == 1 and third.status_changes == 1
    with runtime.sessions() as session:
        awards = store.load_awards(session)
    assert sorted(zip(awards["achievement_id"], awards["status"], strict=True)) == [
        ("data-applied", "active"),
        ("data-foundations", "active"),
        ("data-foundations", "active"),
    ]
    runtime.engine.dispose()
