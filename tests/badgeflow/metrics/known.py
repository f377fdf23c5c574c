"""A store with known awards, credentials, outbox rows, hits and mail events, and its figures.

Five credentials of three learners over two issue weeks (Mondays 2026-11-16 and 11-23):

    C1 ada  data-foundations  Mon 11-16 10:00  sent     open +2h, accept +4h, 2 shares (1 LinkedIn),
                                                         2 views by people, 2 bot rows
    C2 bob  data-foundations  Wed 11-18 10:00  bounced  accept +10h without an open; a bot
                                                         "accepted" earlier (not counted)
    C3 cy   data-foundations  Tue 11-24 10:00  sent     provider "dropped" event; accept +30h;
                                                         revoked
    C4 ada  data-applied      Wed 11-25 10:00  sent     accept 1h BEFORE issue (clock skew: 0h),
                                                         2 downloads
    C5 bob  data-applied      Wed 11-25 12:00  (none)   nothing

ada also holds an award (no credential) of certified-data-practitioner: the data-skills
funnel is 2, 2, 1. Accepted hours overall: 0, 4, 10, 30 -> median 7, p90 (nearest rank,
ceil(0.9 * 4) = 4th) 30.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from badgeflow.settings import Settings
from badgeflow.store import make_engine, migrate, session_factory
from badgeflow.store.schema import (
    Award,
    Completion,
    Credential,
    EmailOutbox,
    EngagementHit,
    Learner,
    MailEvent,
)
from tests.db_schema import drop_schema

CATALOG = Path(__file__).resolve().parents[3] / "badge_catalog"
NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
C = {n: f"00000000-0000-4000-8000-00000000000{n}" for n in range(1, 6)}
ISSUED = {
    1: datetime(2026, 11, 16, 10, tzinfo=UTC),
    2: datetime(2026, 11, 18, 10, tzinfo=UTC),
    3: datetime(2026, 11, 24, 10, tzinfo=UTC),
    4: datetime(2026, 11, 25, 10, tzinfo=UTC),
    5: datetime(2026, 11, 25, 12, tzinfo=UTC),
}

# The overall figures of this store (metrics_overall), worked out by hand from the table above.
KNOWN_OVERALL = {
    "issued": 5,
    "accepted": 4,
    "acceptance_rate": 0.8,
    "median_hours_to_accept": 7.0,
    "p90_hours_to_accept": 30.0,
    "opened": 4,
    "linkedin_shared": 1,
    "linkedin_share_rate": 0.2,
    "shares": 2,
    "verification_views": 2,
    "downloads": 2,
    "bounced": 2,
    "bounce_rate": 0.4,
    "revoked": 1,
    "bot_hits": 3,
    "computed_at": NOW,
}


def known_settings(tmp_path: Path, db_url: str, **overrides) -> Settings:
    cohorts = tmp_path / "cohorts.csv"
    cohorts.write_text(
        "learner_email,cohort,joined_at\n"
        "ada@example.org,2026-autumn,2026-09-01\n"
        "ada@example.org,2025-spring,2025-03-01\n"
        "bob@example.org,2026-spring,\n",
        encoding="utf-8",
    )
    return Settings(
        database={"url": db_url},
        catalog_dir=CATALOG,
        facts={"cohorts_file": cohorts},
        var_dir=tmp_path / "var",
        **overrides,
    )


def hit(n: int, kind: str, at: datetime, *, audience="person", channel="", visitor="v1"):
    return EngagementHit(
        kind=kind,
        credential_id=C[n] if n else "",
        channel=channel,
        day=at.date(),
        visitor=visitor,
        audience=audience,
        agent="" if audience == "person" else "LinkedInBot",
        first_at=at,
        last_at=at,
        hits=1,
        source="nginx",
    )


def build_known_store(settings: Settings, *, engagement: bool = True):
    """The store above; ``engagement=False`` leaves out its hits and mail events (for a test
    that derives them from log lines), and gives credential n the accept token ``n`` * 32."""
    engine = make_engine(settings.database.url)
    if engine.dialect.name != "sqlite":  # a shared test database: start from nothing
        drop_schema(engine)
    migrate(engine)
    sessions = session_factory(engine)
    with sessions.begin() as s:
        ada, bob, cy = (Learner(email=f"{n}@example.org") for n in ("ada", "bob", "cy"))
        s.add_all([ada, bob, cy])
        s.flush()
        for i, (learner, course, source, day) in enumerate(
            [
                (ada, "DS101", "moodle-main", 1),
                (ada, "DS101", "canvas-main", 5),  # later: not the source
                (bob, "DS101", "canvas-main", 3),
                (ada, "DS201", "moodle-main", 10),
            ]
        ):
            s.add(
                Completion(
                    source=source,
                    source_record_id=f"r{i}",
                    learner_id=learner.id,
                    source_system="moodle",
                    course_id=course,
                    completed=True,
                    completed_at=datetime(2026, 11, day, tzinfo=UTC),
                    fetched_at=NOW,
                    first_batch_id="b",
                    last_batch_id="b",
                )
            )
        owners = {
            1: (ada, "data-foundations"),
            2: (bob, "data-foundations"),
            3: (cy, "data-foundations"),
            4: (ada, "data-applied"),
            5: (bob, "data-applied"),
        }
        for n, (learner, achievement) in owners.items():
            award = _award(learner, achievement, ISSUED[n], "revoked" if n == 3 else "active")
            s.add(award)
            s.flush()
            s.add(
                Credential(
                    id=C[n],
                    award_id=award.id,
                    document="{}",
                    verification_method="did:x#k",
                    issued_at=ISSUED[n],
                    batch_id="b",
                    accept_token=str(n) * 32,
                )
            )
        s.add(_award(ada, "certified-data-practitioner", ISSUED[5], "active"))
        s.flush()
        for n, status in ((1, "sent"), (2, "bounced"), (3, "sent"), (4, "sent")):
            s.add(
                EmailOutbox(
                    credential_id=C[n],
                    kind="award",
                    to_address="x@example.org",
                    status=status,
                    message_id=f"<award.{n}@badges.example.org>",
                )
            )
        if not engagement:
            return engine, sessions
        h = timedelta(hours=1)
        s.add_all(
            [
                hit(1, "accept_open", ISSUED[1] + 2 * h),
                hit(1, "accept_confirm", ISSUED[1] + 4 * h),
                hit(1, "share_click", ISSUED[1] + 5 * h, channel="linkedin-profile"),
                hit(1, "share_click", ISSUED[1] + 6 * h, channel="email"),
                hit(1, "credential_view", ISSUED[1] + 7 * h, visitor="v1"),
                hit(1, "credential_view", ISSUED[1] + 8 * h, visitor="v2"),
                hit(1, "credential_view", ISSUED[1] + 5 * h, audience="bot", visitor="b1"),
                hit(1, "share_page", ISSUED[1] + 5 * h, audience="bot", visitor="b1"),
                hit(2, "accept_confirm", ISSUED[2] + 1 * h, audience="bot", visitor="b2"),
                hit(2, "accept_confirm", ISSUED[2] + 10 * h),
                hit(3, "accept_confirm", ISSUED[3] + 30 * h),
                hit(4, "accept_confirm", ISSUED[4] - 1 * h),
                hit(4, "credential_download", ISSUED[4] + h, channel="json"),
                hit(4, "credential_download", ISSUED[4] + h, channel="png"),
                hit(0, "verify_page", ISSUED[4] + h),
            ]
        )
        s.add(
            MailEvent(
                source="older-export",
                provider="sendgrid",
                event_id="ev-drop",
                kind="dropped",
                occurred_at=ISSUED[3],
                message_id="<award.3@badges.example.org>",
                credential_id=C[3],
                detail="Bounced Address",
            )
        )
    return engine, sessions


def _award(learner, achievement, at, status):
    return Award(
        award_key=f"{learner.email}|{achievement}",
        learner_id=learner.id,
        achievement_id=achievement,
        awarded_at=at,
        valid_from=at,
        batch_id="b",
        status=status,
    )
