"""One learner across sources: a pathway whose tiers come from different LMSs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from badgeflow import store
from badgeflow.fakelms.canvas import CanvasDataset, FakeCanvas
from badgeflow.fakelms.lrs import FakeLRS, LrsDataset
from badgeflow.fakelms.moodle import FakeMoodle, MoodleDataset
from badgeflow.models import ACHIEVEMENT_ID, LEARNER_EMAIL
from badgeflow.pipeline import Runtime, evaluate_awards, ingest_source
from badgeflow.store.schema import Learner, QuarantinedRow
from tests.demo_env import REPO, initialise, settings_from

AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
DS201_IRI = "https://courses.example.com/xapi/ds201"
TIERS = {"data-foundations", "data-applied"}

MOODLE = {
    "courses": [
        {"id": 11, "idnumber": "DS101", "shortname": "DS101", "fullname": "Data Foundations",
         "activities": [{"cmid": 1101, "modname": "page", "name": "What is data?", "tracking": 2}],
         "grade_items": [{"id": 1100, "itemtype": "course", "grademax": 100.0}]},
    ],
    "users": [
        {"id": 101, "username": "zoe", "firstname": "Zoe", "lastname": "Park",
         "email": " Zoe.Park@Example.COM"},
        {"id": 102, "username": "yan", "firstname": "Yan", "lastname": "Li",
         "email": "yan.li@example.com"},
        {"id": 103, "username": "xu", "firstname": "Xu", "lastname": "Wen",
         "email": "xu.wen@example.com"},
    ],
    "enrolments": [
        {"userid": u, "courseid": 11,
         "completion": [{"type": 4, "title": "Activity completion", "timecompleted": 1757861220}],
         "activities": [{"cmid": 1101, "state": 1, "timecompleted": 1757861220}], "grades": {}}
        for u in (101, 102, 103)
    ],
}  # fmt: skip
CANVAS = {
    "courses": [{"id": 3201, "sis_course_id": "DS201", "name": "Applied Data Analysis",
                 "requirement_count": 2,
                 "assignments": [{"id": 7002, "name": "Final exam", "points_possible": 40}]}],
    "users": [{"id": 501, "name": "Zoe Park", "email": "zoe.park@example.com"},
              {"id": 502, "name": "Yan Li", "email": "Yan@Personal.example.net"}],
    "enrollments": [
        {"id": 80001, "user_id": 501, "course_id": 3201, "requirements_completed": 2,
         "completed_at": "2026-10-02T09:15:00Z", "final_score": 85.0, "submissions": {"7002": 34}},
        {"id": 80002, "user_id": 502, "course_id": 3201, "requirements_completed": 2,
         "completed_at": "2026-10-03T09:15:00Z", "final_score": 90.0, "submissions": {"7002": 36}},
    ],
}  # fmt: skip


def _passed(n: int, account: str, scaled: float) -> dict[str, object]:
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "actor": {"objectType": "Agent", "account": {"homePage": "https://lms.example.com",
                                                     "name": account}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"},
        "object": {"objectType": "Activity", "id": DS201_IRI},
        "result": {"score": {"scaled": scaled}, "success": True},
        "timestamp": "2026-10-04T10:00:00Z",
        "stored": "2026-10-04T10:00:01Z",
    }  # fmt: skip


LRS = {"statements": [_passed(1, "u-77", 0.8), _passed(2, "u-88", 0.9)]}
MAPPING = """source,learner,email
canvas-b,yan@personal.example.net,yan.li@example.com
lrs-c,https://lms.example.com::u-77,Xu.Wen@example.com
lrs-c,https://lms.example.com::u-88,a.person@example.com
lrs-c,https://lms.example.com::u-88,another.person@example.com
"""


def _config(root: Path, moodle: str, canvas: str, lrs: str, mapping: bool) -> Path:
    identity = f'\n[identity]\nmapping_file = "{root / "identity.csv"}"\n' if mapping else ""
    (root / "identity.csv").write_text(MAPPING, encoding="utf-8")
    config = root / "badgeflow.toml"
    config.write_text(
        f"""
var_dir = "{root / "var"}"
catalog_dir = "{REPO / "badge_catalog"}"
contracts_dir = "{REPO / "data_contracts"}"

[database]
url = "sqlite:///{root / "var" / "badgeflow.db"}"

[signing]
keys_dir = "{root / "var" / "keys"}"

[site]
output_dir = "{root / "var" / "site"}"

[mail]
outbox_dir = "{root / "var" / "outbox"}"
{identity}
[[sources]]
name = "moodle-a"
kind = "moodle"
base_url = "{moodle}"
token = "moodle-token"

[[sources]]
name = "canvas-b"
kind = "canvas"
base_url = "{canvas}"
token = "canvas-token"
final_assessment = "Final exam"

[[sources]]
name = "lrs-c"
kind = "xapi"
base_url = "{lrs}"
key = "reader"
secret = "lrs-secret"
activities = {{ "{DS201_IRI}" = "DS201" }}
""",
        encoding="utf-8",
    )
    return config


@pytest.fixture
def run(tmp_path):
    moodle = FakeMoodle(MoodleDataset.model_validate(MOODLE), token="moodle-token")
    canvas = FakeCanvas(CanvasDataset.model_validate(CANVAS), "canvas-token")
    lrs = FakeLRS(LrsDataset.model_validate(LRS), key="reader", secret="lrs-secret")
    with moodle, canvas, lrs:

        def batch(*, mapping: bool):
            config = _config(tmp_path, moodle.base_url, canvas.base_url, lrs.endpoint, mapping)
            settings = settings_from(config)
            initialise(settings)
            runtime = Runtime(settings)
            with runtime.sessions.begin() as session:
                store.start_batch(session, batch_id="b1", as_of=AS_OF, started_at=AS_OF)
            ingested = {
                s.name: ingest_source(
                    runtime, s.name, batch_id="b1", as_of=AS_OF, full_resync=False
                )
                for s in settings.sources
            }
            evaluate_awards(runtime, batch_id="b1", as_of=AS_OF)
            with runtime.sessions() as session:
                awards = store.load_awards(session)
                learners = sorted(session.scalars(select(Learner.email)))
                quarantined = list(session.scalars(select(QuarantinedRow.reason)))
            runtime.engine.dispose()
            held: dict[str, set[str]] = {}
            for email, achievement in zip(
                awards[LEARNER_EMAIL], awards[ACHIEVEMENT_ID], strict=True
            ):
                held.setdefault(email, set()).add(achievement)
            return ingested, held, learners, quarantined

        yield batch


def test_a_pathway_combines_a_moodle_course_with_a_canvas_course_by_email(run):
    _, held, learners, _ = run(mapping=False)

    # DS101 from Moodle (" Zoe.Park@Example.COM") and DS201 from Canvas
    # ("zoe.park@example.com") are one learner, so tier 2's prerequisite is met
    assert held["zoe.park@example.com"] == TIERS
    assert learners.count("zoe.park@example.com") == 1
    # without the mapping file, a different address is a different learner: Yan's Canvas
    # completion is stored under the personal address, which holds no tier 1
    assert held["yan.li@example.com"] == {"data-foundations"}
    assert "yan@personal.example.net" in learners
    assert "yan@personal.example.net" not in held


def test_the_mapping_file_joins_other_addresses_and_xapi_accounts(run):
    ingested, held, learners, quarantined = run(mapping=True)

    assert held["zoe.park@example.com"] == TIERS
    assert held["yan.li@example.com"] == TIERS  # Canvas's personal address, mapped
    assert held["xu.wen@example.com"] == TIERS  # an xAPI account actor, mapped
    assert "yan@personal.example.net" not in learners
    # u-88 is mapped to two people: quarantined, never merged into either
    lrs = ingested["lrs-c"]
    assert (lrs.accepted, lrs.quarantined) == (1, 1)
    assert lrs.watermark == datetime(2026, 10, 4, 10, 0, tzinfo=UTC)  # u-77's timestamp
    [reason] = quarantined
    assert "a.person@example.com, another.person@example.com; not merged" in reason
    assert not {"a.person@example.com", "another.person@example.com"} & set(learners)
