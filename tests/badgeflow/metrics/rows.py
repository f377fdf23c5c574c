"""Known rows in the three metrics tables, inserted directly (the metrics computation is not
under test here), on a migrated SQLite file made once per test module."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from badgeflow import store
from badgeflow.store.schema import CredentialEngagement, MetricRollup, PathwayFunnelTier

COMPUTED = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
GENERATED = datetime(2026, 11, 30, 7, 15, tzinfo=UTC)
HOSTILE_COURSE = "<script>alert('c')</script>\"x"
HOSTILE_ACHIEVEMENT = "<img src=x onerror=alert(1)>'\""

# (issued_at, hours to accept or None): weeks of 2 Nov (3), 9 Nov (2), none on 16 Nov, 23 Nov (1)
ISSUED = [
    (datetime(2026, 11, 2, 9, 0, tzinfo=UTC), 0.5),  # < 1 h, accepted week of 2 Nov
    (datetime(2026, 11, 3, 9, 0, tzinfo=UTC), 1.0),  # exactly 1 h: 1–6 h
    (datetime(2026, 11, 4, 9, 0, tzinfo=UTC), 23.9),  # 6–24 h
    (datetime(2026, 11, 9, 9, 0, tzinfo=UTC), 335.9),  # 1–2 w, accepted week of 23 Nov
    (datetime(2026, 11, 10, 9, 0, tzinfo=UTC), 336.0),  # exactly 2 w: > 2 w, week of 23 Nov
    (datetime(2026, 11, 23, 9, 0, tzinfo=UTC), None),  # not accepted
]


def credential_rows() -> list[CredentialEngagement]:
    rows = []
    for n, (issued_at, hours) in enumerate(ISSUED):
        rows.append(
            CredentialEngagement(
                credential_id=f"00000000-0000-4000-8000-{n:012d}",
                learner_id=1000 + n,
                achievement_id="sql-basics" if n < 4 else HOSTILE_ACHIEVEMENT,
                course_id="SQL110" if n < 4 else HOSTILE_COURSE,
                pathway="data",
                source="export",
                cohort="",
                issued_at=issued_at,
                issued_week=(issued_at - timedelta(days=issued_at.weekday())).date(),
                status="active",
                email_status="sent",
                bounced=n == 5,
                opened_at=None,
                accepted_at=None if hours is None else issued_at + timedelta(hours=hours),
                hours_to_accept=hours,
                linkedin_shares=0,
                shares=0,
                first_shared_at=None,
                verification_views=0,
                downloads=0,
                bot_hits=0,
                updated_at=COMPUTED,
            )
        )
    return rows


def rollup(dimension: str, key: str, **figures) -> MetricRollup:
    base = dict(
        week_start=None,
        issued=0,
        accepted=0,
        acceptance_rate=None,
        median_hours_to_accept=None,
        p90_hours_to_accept=None,
        opened=0,
        linkedin_shared=0,
        linkedin_share_rate=None,
        shares=0,
        verification_views=0,
        downloads=0,
        bounced=0,
        bounce_rate=None,
        revoked=0,
        bot_hits=0,
        computed_at=COMPUTED,
    )
    return MetricRollup(dimension=dimension, key=key, **(base | figures))


def rollup_rows() -> list[MetricRollup]:
    return [
        rollup(
            "overall",
            "",
            issued=6,
            accepted=5,
            acceptance_rate=5 / 6,
            median_hours_to_accept=23.9,
            p90_hours_to_accept=336.0,
            opened=5,
            linkedin_shared=2,
            linkedin_share_rate=2 / 6,
            shares=4,
            verification_views=1234,
            downloads=3,
            bounced=1,
            bounce_rate=1 / 6,
            bot_hits=7,
        ),
        rollup("overall", "", week_start=date(2026, 11, 2), issued=3, accepted=3),
        rollup("course", "SQL110", issued=4, accepted=4, shares=3, verification_views=9),
        rollup("course", HOSTILE_COURSE, issued=2, accepted=1, shares=1, verification_views=3),
        rollup(
            "achievement",
            "sql-basics",
            issued=4,
            accepted=4,
            acceptance_rate=1.0,
            median_hours_to_accept=12.45,
            p90_hours_to_accept=335.9,
            linkedin_share_rate=0.25,
            verification_views=9,
        ),
        rollup(
            "achievement",
            HOSTILE_ACHIEVEMENT,
            issued=2,
            accepted=1,
            acceptance_rate=0.5,
            median_hours_to_accept=336.0,
            p90_hours_to_accept=336.0,
            linkedin_share_rate=0.5,
            verification_views=3,
            bounced=1,
        ),
    ]


def funnel_rows() -> list[PathwayFunnelTier]:
    tiers = [(3, "Certified", 8), (1, "Foundations", 40), (2, "Applied", 22)]  # out of order
    return [
        PathwayFunnelTier(
            pathway="data",
            pathway_name="Data Analyst",
            tier=tier,
            achievement_ids=[name.lower()],
            tier_name=name,
            learners=learners,
            share_of_first_tier=learners / 40,
            computed_at=COMPUTED - timedelta(minutes=tier),
        )
        for tier, name, learners in tiers
    ]


def migrated(url: str) -> Engine:
    engine = store.make_engine(url)
    store.migrate(engine)
    return engine


def fill(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        session.add_all([*credential_rows(), *rollup_rows(), *funnel_rows()])
