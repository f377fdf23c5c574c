"""rebuild_metrics on a store with known figures: facts, roll-ups, funnel, incremental runs."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import update

from badgeflow.metrics.cursor import ConcurrentRun, load_position, save_position
from badgeflow.metrics.read import read_view
from badgeflow.metrics.rebuild import METRICS_CURSOR, rebuild_metrics
from badgeflow.metrics.rollups import nearest_rank
from badgeflow.store.schema import Award, Credential, EmailOutbox
from tests.badgeflow.metrics.known import ISSUED, KNOWN_OVERALL, NOW, C, hit

W1, W2 = date(2026, 11, 16), date(2026, 11, 23)


def _view(sessions, name, **filters):
    with sessions() as session:
        return read_view(session.connection(), name, filters=filters or None)


def _one(sessions, name, **filters):
    frame = _view(sessions, name, **filters)
    assert len(frame) == 1, frame
    return frame.iloc[0].to_dict()


def test_facts_of_each_credential(known, clock):
    settings, sessions = known
    report = rebuild_metrics(settings, sessions, clock=clock)
    assert report.as_dict() == {
        "credentials_recomputed": 5,
        "credentials_total": 5,
        "rollup_rows": report.rollup_rows,
        "funnel_rows": 3,
        "full": True,
    }
    facts = _view(sessions, "metrics_credentials").set_index("credential_id")
    c1, c2, c3, c4, c5 = (facts.loc[C[n]] for n in range(1, 6))
    assert (c1.course_id, c1.pathway, c1.source, c1.cohort) == (
        "DS101",
        "data-skills",
        "moodle-main",
        "2026-autumn",
    )
    assert c1.issued_week == W1 and c3.issued_week == W2
    assert c1.opened_at == ISSUED[1] + timedelta(hours=2)
    assert c1.hours_to_accept == 4.0
    assert (c1.linkedin_shares, c1.shares, c1.verification_views, c1.bot_hits) == (1, 2, 2, 2)
    assert c1.first_shared_at == ISSUED[1] + timedelta(hours=5)
    assert c1.email_status == "sent" and not c1.bounced
    # accepted without a recorded open: opened then too; the earlier bot "accept" is ignored
    assert c2.opened_at == c2.accepted_at == ISSUED[2] + timedelta(hours=10)
    assert (c2.source, c2.cohort, c2.bounced, c2.bot_hits) == (
        "canvas-main",
        "2026-spring",
        True,
        1,
    )
    assert (c3.status, c3.bounced, c3.source, c3.cohort) == ("revoked", True, "", "")
    assert c4.hours_to_accept == 0.0 and c4.downloads == 2 and c4.course_id == "DS201"
    assert c5.email_status == "" and pd.isna(c5.accepted_at) and pd.isna(c5.hours_to_accept)


def test_overall_and_weekly_figures(known, clock):
    settings, sessions = known
    rebuild_metrics(settings, sessions, clock=clock)
    overall = _one(sessions, "metrics_overall")
    assert overall == KNOWN_OVERALL
    weekly = _view(sessions, "metrics_overall_weekly").set_index("week_start")
    assert list(weekly.index) == [W1, W2]
    assert weekly.loc[
        W1, ["issued", "accepted", "median_hours_to_accept", "p90_hours_to_accept"]
    ].tolist() == [2, 2, 7.0, 10.0]
    assert weekly.loc[
        W2, ["issued", "accepted", "median_hours_to_accept", "p90_hours_to_accept"]
    ].tolist() == [3, 2, 15.0, 30.0]


DIMENSION_FIGURES = [
    ("metrics_by_achievement", {"achievement_id": "data-foundations"}, (3, 3, 10.0, 30.0, 2)),
    ("metrics_by_achievement", {"achievement_id": "data-applied"}, (2, 1, 0.0, 0.0, 0)),
    ("metrics_by_course", {"course_id": "DS101"}, (3, 3, 10.0, 30.0, 2)),
    ("metrics_by_course", {"course_id": "DS201"}, (2, 1, 0.0, 0.0, 0)),
    ("metrics_by_pathway", {"pathway": "data-skills"}, (5, 4, 7.0, 30.0, 2)),
    ("metrics_by_source", {"source": "moodle-main"}, (2, 2, 2.0, 4.0, 0)),
    ("metrics_by_source", {"source": "canvas-main"}, (1, 1, 10.0, 10.0, 1)),
    ("metrics_by_source", {"source": ""}, (2, 1, 30.0, 30.0, 1)),
    ("metrics_by_cohort", {"cohort": "2026-autumn"}, (2, 2, 2.0, 4.0, 0)),
    ("metrics_by_cohort", {"cohort": "2026-spring"}, (2, 1, 10.0, 10.0, 1)),
    ("metrics_by_cohort", {"cohort": ""}, (1, 1, 30.0, 30.0, 1)),
]


def test_each_dimension(known, clock):
    settings, sessions = known
    rebuild_metrics(settings, sessions, clock=clock)
    figures = ("issued", "accepted", "median_hours_to_accept", "p90_hours_to_accept", "bounced")
    for view, key, expected in DIMENSION_FIGURES:
        row = _one(sessions, view, **key)
        assert tuple(row[f] for f in figures) == expected, (view, key)
    keys = {v: len(_view(sessions, v)) for v, _, _ in DIMENSION_FIGURES}
    assert keys == {
        "metrics_by_achievement": 2,
        "metrics_by_course": 2,
        "metrics_by_pathway": 1,
        "metrics_by_source": 3,
        "metrics_by_cohort": 3,
    }


def test_weekly_dimension_rows(known, clock):
    settings, sessions = known
    rebuild_metrics(settings, sessions, clock=clock)
    rows = _view(sessions, "metrics_by_achievement_weekly")
    got = {(r.achievement_id, r.week_start): (r.issued, r.revoked) for r in rows.itertuples()}
    assert got == {
        ("data-foundations", W1): (2, 0),
        ("data-foundations", W2): (1, 1),
        ("data-applied", W2): (2, 0),
    }


def test_pathway_funnel(known, clock):
    settings, sessions = known
    rebuild_metrics(settings, sessions, clock=clock)
    funnel = _view(sessions, "metrics_pathway_funnel")
    assert funnel[["tier", "tier_name", "learners", "share_of_first_tier"]].values.tolist() == [
        [1, "Data Foundations", 2, 1.0],
        [2, "Applied Data Analysis", 2, 1.0],
        [3, "Certified Data Practitioner", 1, 0.5],
    ]
    assert set(funnel["pathway_name"]) == {"Data Skills"}


def test_second_rebuild_recomputes_only_what_changed(known, clock):
    settings, sessions = known
    rebuild_metrics(settings, sessions, clock=clock)
    assert rebuild_metrics(settings, sessions, clock=clock).credentials_recomputed == 0
    with sessions.begin() as s:
        s.add(hit(5, "credential_view", ISSUED[5] + timedelta(days=1)))
    again = rebuild_metrics(settings, sessions, clock=clock)
    assert (again.credentials_recomputed, again.full) == (1, False)
    assert _one(sessions, "metrics_credentials", credential_id=C[5])["verification_views"] == 1
    assert _one(sessions, "metrics_overall")["verification_views"] == 3
    with sessions.begin() as s:
        s.execute(
            update(EmailOutbox).where(EmailOutbox.credential_id == C[1]).values(status="bounced")
        )
        award_id = s.get(Credential, C[4]).award_id
        s.execute(update(Award).where(Award.id == award_id).values(status="revoked"))
    assert rebuild_metrics(settings, sessions, clock=clock).credentials_recomputed == 2
    overall = _one(sessions, "metrics_overall")
    assert (overall["bounced"], overall["revoked"]) == (3, 2)
    assert rebuild_metrics(settings, sessions, clock=clock, full=True).credentials_recomputed == 5


def test_a_changed_cohorts_file_recomputes_everything(known, clock):
    settings, sessions = known
    rebuild_metrics(settings, sessions, clock=clock)
    settings.facts.cohorts_file.write_text("learner_email,cohort\ncy@example.org,late\n")
    report = rebuild_metrics(settings, sessions, clock=clock)
    assert report.full and report.credentials_recomputed == 5
    assert _one(sessions, "metrics_by_cohort", cohort="late")["issued"] == 1


def test_an_overlapping_rebuild_cannot_commit(known, clock):
    settings, sessions = known
    rebuild_metrics(settings, sessions, clock=clock)
    with sessions() as s:
        stale = load_position(s, METRICS_CURSOR, "metrics")
    rebuild_metrics(settings, sessions, clock=clock)
    with pytest.raises(ConcurrentRun), sessions.begin() as s:
        save_position(s, stale, {}, at=NOW)


def test_nearest_rank():
    import numpy as np

    values = np.array([5.0, 1.0, 3.0, 2.0, 4.0, 10.0, 7.0, 8.0, 9.0, 6.0])
    assert nearest_rank(values, 90) == 9.0
    assert nearest_rank(np.array([3.0]), 90) == 3.0
    assert nearest_rank(np.array([]), 90) is None


def test_rollup_percentiles_agree_with_nearest_rank_on_random_groups():
    import numpy as np

    from badgeflow.metrics.rollups import compute_rollups

    rng = np.random.default_rng(7)
    n = 400
    hours = rng.exponential(30, n).round(1)
    accepted = rng.random(n) < 0.7
    facts = pd.DataFrame(
        {
            "credential_id": [f"c{i}" for i in range(n)],
            "achievement_id": rng.choice(["a", "b", "c"], n),
            "course_id": "",
            "pathway": "",
            "source": "",
            "cohort": "",
            "issued_week": rng.choice([W1, W2], n),
            "status": "active",
            "bounced": False,
            "opened_at": pd.NaT,
            "accepted_at": pd.Series(pd.Timestamp(NOW), index=range(n)).where(accepted),
            "hours_to_accept": np.where(accepted, hours, np.nan),
            "linkedin_shares": 0,
            "shares": 0,
            "verification_views": 0,
            "downloads": 0,
            "bot_hits": 0,
        }
    )
    rows = [r for r in compute_rollups(facts, now=NOW) if r["dimension"] == "achievement"]
    assert len(rows) == 9
    for row in rows:
        group = facts[facts["achievement_id"] == row["key"]]
        if row["week_start"] is not None:
            group = group[group["issued_week"] == row["week_start"]]
        values = group["hours_to_accept"].dropna().to_numpy()
        assert row["issued"] == len(group) and row["accepted"] == len(values)
        assert row["p90_hours_to_accept"] == nearest_rank(values, 90)
        assert row["median_hours_to_accept"] == pytest.approx(float(np.median(values)))


def test_an_empty_store_has_one_overall_row_of_zeros(tmp_path, clock):
    from badgeflow.store import make_engine, migrate, session_factory
    from tests.badgeflow.metrics.known import known_settings

    settings = known_settings(tmp_path, f"sqlite:///{tmp_path / 'empty.db'}")
    engine = make_engine(settings.database.url)
    migrate(engine)
    sessions = session_factory(engine)
    report = rebuild_metrics(settings, sessions, clock=clock)
    assert (report.credentials_total, report.rollup_rows, report.funnel_rows) == (0, 1, 3)
    overall = _one(sessions, "metrics_overall")
    assert overall["issued"] == overall["accepted"] == 0
    assert pd.isna(overall["acceptance_rate"]) and pd.isna(overall["p90_hours_to_accept"])
    assert _view(sessions, "metrics_pathway_funnel")["share_of_first_tier"].isna().all()
    engine.dispose()
