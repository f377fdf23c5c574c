from __future__ import annotations

from datetime import timedelta

import pytest

from badgeflow.models import ACHIEVEMENT_ID, AWARD_STATUS, LEARNER_EMAIL, VALID_UNTIL
from badgeflow.pipeline.progress import (
    pathway_progress,
    progress_line,
    record_progress,
    tier_report,
    tier_report_lines,
)
from badgeflow.pipeline.summary import BatchSummary
from badgeflow.store import insert_awards, make_engine, migrate, session_factory
from badgeflow.store.progress import ProgressRecord, load_pathway_progress
from tests.badgeflow.store.factories import AS_OF, award, awards_frame
from tests.badgeflow.test_rules import real_catalog


@pytest.fixture
def sessions(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


TIERS = ("data-foundations", "data-applied", "certified-data-practitioner")


def frame():
    return awards_frame(
        award("a1"),
        award("a2", **{ACHIEVEMENT_ID: "data-applied"}),
        award("b1", **{LEARNER_EMAIL: "bob@example.org"}),
        award(
            "b2",
            **{
                LEARNER_EMAIL: "bob@example.org",
                ACHIEVEMENT_ID: "data-applied",
                VALID_UNTIL: AS_OF - timedelta(days=1),
            },
        ),
        award("c3", **{LEARNER_EMAIL: "cy@example.org", ACHIEVEMENT_ID: TIERS[2]}),
    )


def test_progress_counts_current_active_tiers_and_names_the_first_missing():
    catalog = real_catalog()
    awards = frame()
    awards[AWARD_STATUS] = ["active", "active", "active", "active", "active"]
    records = pathway_progress(
        catalog,
        awards,
        ["bob@example.org", "ADA@example.org", "cy@example.org", "new@x.org"],
        as_of=AS_OF,
    )
    got = {r.learner_email: (r.tiers_held, r.tiers_total, r.next_tier) for r in records}
    assert got == {
        "ada@example.org": (2, 3, TIERS[2]),
        "bob@example.org": (1, 3, "data-applied"),  # its data-applied award expired
        "cy@example.org": (1, 3, "data-foundations"),
        "new@x.org": (0, 3, "data-foundations"),
    }
    assert {r.pathway for r in records} == {"data-skills"} and records[0].updated_at == AS_OF
    assert progress_line(records[0], catalog) == f"Data Skills: 2 of 3, next: {TIERS[2]}"
    done = ProgressRecord("z@x.org", "data-skills", 3, 3, None, AS_OF)
    assert progress_line(done, catalog) == "Data Skills: 3 of 3, complete"


def test_a_suspended_tier_does_not_count():
    awards = frame()
    awards[AWARD_STATUS] = ["active", "suspended", "active", "active", "active"]
    (ada,) = pathway_progress(real_catalog(), awards, ["ada@example.org"], as_of=AS_OF)
    assert (ada.tiers_held, ada.next_tier) == (1, "data-applied")


def test_record_progress_stores_touched_learners_and_reports_every_tier(sessions):
    catalog = real_catalog()
    with sessions.begin() as session:
        insert_awards(session, frame(), batch_id="b1")
        report = record_progress(session, catalog, ["ada@example.org"], as_of=AS_OF)
    assert report == {"data-skills": {TIERS[0]: 2, TIERS[1]: 1, TIERS[2]: 1}}
    with sessions() as session:
        stored = load_pathway_progress(session)
        assert tier_report(session, catalog, as_of=AS_OF) == report
    assert [(r.learner_email, r.tiers_held) for r in stored] == [("ada@example.org", 2)]
    lines = tier_report_lines(report, catalog)
    assert (
        lines[0] == "Data Skills (data-skills)"
        and "tier 3  certified-data-practitioner" in lines[3]
    )


def test_the_batch_summary_shows_the_tiers():
    summary = BatchSummary(
        batch_id="b", as_of="now", pathway_tiers={"data-skills": {"t1": 4, "t2": 1}}
    )
    assert "  pathway data-skills: t1 4, t2 1" in summary.lines()
    assert "| data-skills | 2 | t2 | 1 |" in summary.markdown()
    assert "Pathway tiers" not in BatchSummary(batch_id="b", as_of="now").markdown()


def test_the_batch_summary_shows_suspended_or_reinstated_tiers_only_when_some_changed():
    changed = BatchSummary(batch_id="b", as_of="now", status_changes=3)
    assert "  tiers suspended or reinstated       3" in changed.lines()
    assert "| Tiers suspended or reinstated | 3 |" in changed.markdown()
    quiet = BatchSummary(batch_id="b", as_of="now").lines()
    assert not any("suspended" in line for line in quiet)
