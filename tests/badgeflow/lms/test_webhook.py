"""The webhook source: stored events → canonical rows → consumed only after the batch commits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from badgeflow import store
from badgeflow.demo import demo_canvas_path
from badgeflow.fakelms.canvas import CanvasDataset, FakeCanvas
from badgeflow.fakelms.webhooks import completion_event
from badgeflow.intake import split_delivery
from badgeflow.lms import CanvasSource, WebhookSource, build_source
from badgeflow.lms._frame import FRAME_COLUMNS
from badgeflow.pipeline import Runtime, commit_watermarks, ingest_source
from badgeflow.settings import Settings
from badgeflow.store import NewWebhookEvent
from badgeflow.store.schema import Completion, WebhookEvent
from tests.badgeflow.intake.conftest import migrated_copy, migrated_db  # noqa: F401

REPO = Path(__file__).resolve().parents[3]
AS_OF = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
DONE = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.fixture
def db(migrated_db, tmp_path):  # noqa: F811
    url = migrated_copy(migrated_db, tmp_path)
    engine = store.make_engine(url)
    yield url, store.session_factory(engine)
    engine.dispose()


def put(sessions, source: str, vendor: str, *payloads, keys=None):
    """Store the payloads as the intake does (split per vendor), under the given keys."""
    events = [
        NewWebhookEvent(keys[n] if keys else f"e{n}-{i}", e.payload)
        for n, p in enumerate(payloads)
        for i, e in enumerate(split_delivery(vendor, p, {"webhook-id": "m"}))
    ]
    with sessions.begin() as session:
        return store.store_webhook_events(session, source, vendor, events, received_at=AS_OF)


def ev(vendor, user="501", course="3101", email="Ada@Example.org", score=None, at=DONE):
    return completion_event(
        vendor,
        event_id="77",
        user_id=user,
        email=email,
        course_id=course,
        completed_at=at,
        score=score,
    )


def test_generic_events_become_canonical_rows_with_their_score(db):
    url, sessions = db
    put(
        sessions,
        "bridge",
        "generic",
        ev("generic", score=91.5),
        ev("generic", user="502", email="bob@example.org", score=None),
    )

    frame = WebhookSource("bridge", "generic", url).fetch_completions(None, fetched_at=AS_OF)

    assert list(frame.columns) == list(FRAME_COLUMNS)
    first, second = frame.to_dict("records")
    assert first["source"] == "bridge" and first["source_record_id"] == "501:3101"
    assert first["learner_email"] == "ada@example.org" and first["completed"]
    assert first["completed_at"] == pd.Timestamp(DONE)
    assert (first["score"], first["score_kind"]) == (91.5, "course_total")
    assert pd.isna(second["score"]) and second["score_kind"] == "none"
    assert first["parse_errors"] == () and first["raw"]["payload"]["event_id"] == "77"


@pytest.mark.parametrize(
    ("vendor", "learner", "course", "email"),
    [
        ("canvas", "501", "3101", "ada@example.org"),  # global ids → local
        ("docebo", "501", "3101", "ada@example.org"),  # username is the email
        ("litmos", "501", "3101", "ada@example.org"),
        ("360learning", "501", "3101", None),
        ("cornerstone", "501", "3101", "ada@example.org"),
        ("moodle", "501", "3101", None),
    ],
)
def test_vendor_events_map_to_canonical_rows_not_scored(db, vendor, learner, course, email):
    url, sessions = db
    put(sessions, "hooks", vendor, ev(vendor))

    (row,) = (
        WebhookSource("hooks", vendor, url)
        .fetch_completions(None, fetched_at=AS_OF)
        .to_dict("records")
    )

    assert (row["learner_id"], row["course_id"]) == (learner, course)
    assert (row["learner_email"] if email else None) == email
    assert row["completed_at"] == pd.Timestamp(DONE)
    assert pd.isna(row["score"]) and row["score_kind"] == "none"
    assert row["source_system"] == vendor and row["parse_errors"] == ()


def test_an_unparseable_time_is_a_parse_error_not_a_dropped_event(db):
    url, sessions = db
    payload = ev("docebo")
    payload["payload"]["completion_date"] = "31/12/2026"
    put(sessions, "hooks", "docebo", payload)

    (row,) = (
        WebhookSource("hooks", "docebo", url)
        .fetch_completions(None, fetched_at=AS_OF)
        .to_dict("records")
    )

    assert pd.isna(row["completed_at"])
    assert "completion_date '31/12/2026' is not a date-time" in row["parse_errors"]


def test_two_events_for_one_learner_and_course_give_one_row_the_latest(db):
    url, sessions = db
    put(
        sessions,
        "bridge",
        "generic",
        ev("generic", score=60.0),
        ev("generic", score=80.0, at=DONE + timedelta(days=1)),
    )

    frame = WebhookSource("bridge", "generic", url).fetch_completions(None, fetched_at=AS_OF)

    assert frame["score"].tolist() == [80.0]


def test_the_score_is_fetched_through_the_vendors_connector(db):
    url, sessions = db
    # User 501 completed SQL Essentials (3101) at this time in the demo dataset.
    payload = ev("canvas", at=datetime(2026, 10, 2, 9, 15, tzinfo=UTC))
    payload["body"]["course"]["sis_source_id"] = "SQL110"
    put(sessions, "canvas-live", "canvas", payload)
    with FakeCanvas(CanvasDataset.load(demo_canvas_path()), token="t0k") as canvas:
        connector = CanvasSource(
            "canvas-main",
            canvas.base_url,
            "t0k",
            course_ids=["sis_course_id:SQL110"],
            final_assessment="Final exam",
        )
        source = WebhookSource("canvas-live", "canvas", url, score_source=connector)
        (row,) = source.fetch_completions(None, fetched_at=AS_OF).to_dict("records")

    assert (row["course_id"], row["score"], row["score_kind"]) == (
        "SQL110",
        87.5,
        "final_assessment",
    )
    assert row["learner_email"] == "ada@example.org"  # the event's own value is kept
    assert row["course_name"] == "Data Safety"


def test_settings_wire_the_score_source_and_the_database(tmp_path):
    settings = Settings(
        database={"url": "sqlite:///x.db"},
        sources=[
            {"name": "canvas-main", "kind": "canvas", "base_url": "http://c", "token": "t"},
            {
                "name": "canvas-live",
                "kind": "webhook",
                "vendor": "canvas",
                "secret": "s",
                "score_source": "canvas-main",
            },
        ],
    )

    source = build_source(settings.sources[1])

    assert isinstance(source, WebhookSource) and source.database_url == "sqlite:///x.db"
    assert isinstance(source.score_source, CanvasSource)
    with pytest.raises(ValueError, match="must name a configured LMS connector source"):
        Settings(sources=[{"name": "h", "kind": "webhook", "secret": "s", "score_source": "nope"}])
    with pytest.raises(ValueError, match="docebo does not sign its webhooks"):
        Settings(
            sources=[
                {"name": "h", "kind": "webhook", "vendor": "docebo", "auth": "hmac", "secret": "s"}
            ]
        )


@pytest.fixture
def runtime(db, tmp_path):
    url, _ = db
    settings = Settings(
        var_dir=tmp_path / "var",
        catalog_dir=REPO / "badge_catalog",
        contracts_dir=REPO / "data_contracts",
        database={"url": url},
        sources=[{"name": "bridge", "kind": "webhook", "secret": "s"}],
    )
    runtime = Runtime(settings)
    yield runtime
    runtime.engine.dispose()


def events(runtime):
    with runtime.sessions() as session:
        return {
            e.event_key: (e.read_at is not None, e.consumed_at is not None)
            for e in session.scalars(select(WebhookEvent))
        }


def completions(runtime):
    with runtime.sessions() as session:
        return sorted(session.scalars(select(Completion.source_record_id)))


def test_events_are_consumed_only_when_the_batch_commits(runtime):
    sessions = runtime.sessions
    put(sessions, "bridge", "generic", ev("generic", score=90.0), keys=["a"])

    first = ingest_source(runtime, "bridge", batch_id="b1", as_of=AS_OF, full_resync=False)
    # ... the batch fails after ingest: no commit_watermarks.
    assert events(runtime) == {"a": (True, False)}

    put(
        sessions,
        "bridge",
        "generic",
        ev("generic", user="502", email="bob@example.org"),
        keys=["b"],
    )
    second = ingest_source(runtime, "bridge", batch_id="b2", as_of=AS_OF, full_resync=False)
    put(
        sessions, "bridge", "generic", ev("generic", user="503", email="cy@example.org"), keys=["c"]
    )  # arrives after the read: must survive the commit
    commit_watermarks(runtime, [second])

    assert (first.rows_read, first.inserted) == (1, 1)
    assert (second.rows_read, second.inserted, second.updated) == (2, 1, 0)
    assert events(runtime) == {"a": (True, True), "b": (True, True), "c": (False, False)}
    assert completions(runtime) == ["501:3101", "502:3101"]
