"""Metrics at scale: rebuild (full, nothing changed, a few new hits) and export on N credentials.

Builds a SQLite store of N credentials over 26 issue weeks (the demo catalog's achievements,
N learners with cohorts, award emails, about 3 deduplicated hits per credential), then times
`rebuild_metrics` and `export_metrics`. Figures only; nothing is asserted.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from badgeflow.metrics.export import export_metrics
from badgeflow.metrics.rebuild import rebuild_metrics
from badgeflow.settings import Settings
from badgeflow.store import make_engine, migrate, session_factory
from badgeflow.store.schema import Award, Credential, EmailOutbox, EngagementHit, Learner

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2026, 6, 1, tzinfo=UTC)
ACHIEVEMENTS = ("data-foundations", "data-applied", "sql-essentials", "data-privacy-basics")
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _hit(
    credential: str, kind: str, at: datetime, audience: str, channel: str = ""
) -> dict[str, Any]:
    return {
        "kind": kind,
        "credential_id": credential,
        "channel": channel,
        "day": at.date(),
        "visitor": uuid.uuid4().hex,
        "audience": audience,
        "agent": "",
        "first_at": at,
        "last_at": at,
        "hits": 1,
        "source": "bench",
    }


def _populate(folder: Path, n: int) -> Settings:
    cohorts = folder / "cohorts.csv"
    cohorts.write_text(
        "learner_email,cohort\n" + "".join(f"l{i}@example.org,c{i % 7}\n" for i in range(n))
    )
    settings = Settings(
        database={"url": f"sqlite:///{folder / 'metrics.db'}"},
        catalog_dir=ROOT / "badge_catalog",
        facts={"cohorts_file": cohorts},
        var_dir=folder,
    )
    engine = make_engine(settings.database.url)
    migrate(engine)
    with engine.begin() as c:
        c.execute(insert(Learner), [{"id": i + 1, "email": f"l{i}@example.org"} for i in range(n)])
        issued = [START + timedelta(minutes=(i * 262_080) // n) for i in range(n)]
        c.execute(
            insert(Award),
            [
                {
                    "id": i + 1,
                    "award_key": f"k{i}",
                    "learner_id": i + 1,
                    "achievement_id": ACHIEVEMENTS[i % 4],
                    "awarded_at": issued[i],
                    "valid_from": issued[i],
                    "batch_id": "b",
                    "status": "active",
                    "evidence": [],
                }
                for i in range(n)
            ],
        )
        ids = [str(uuid.UUID(int=i + 1)) for i in range(n)]
        c.execute(
            insert(Credential),
            [
                {
                    "id": ids[i],
                    "award_id": i + 1,
                    "document": "{}",
                    "verification_method": "k",
                    "issued_at": issued[i],
                    "batch_id": "b",
                }
                for i in range(n)
            ],
        )
        c.execute(
            insert(EmailOutbox),
            [
                {
                    "credential_id": ids[i],
                    "kind": "award",
                    "to_address": "x",
                    "status": "sent",
                    "attempts": 1,
                    "permanent": False,
                }
                for i in range(n)
            ],
        )
        hits = []
        for i in range(n):
            if i % 3:
                hits.append(
                    _hit(ids[i], "accept_confirm", issued[i] + timedelta(hours=i % 97), "person")
                )
            if i % 5 == 0:
                hits.append(
                    _hit(
                        ids[i],
                        "share_click",
                        issued[i] + timedelta(days=1),
                        "person",
                        "linkedin-post",
                    )
                )
            hits.append(_hit(ids[i], "credential_view", issued[i] + timedelta(days=2), "bot"))
        c.execute(insert(EngagementHit), hits)
    engine.dispose()
    return settings


def run(n: int = 100_000, folder: Path | None = None) -> dict[str, Any]:
    """Build the store and time the metrics steps; returns the figures."""
    with tempfile.TemporaryDirectory() as scratch:
        where = folder or Path(scratch)
        started = time.perf_counter()
        settings = _populate(where, n)
        setup = time.perf_counter() - started
        engine = make_engine(settings.database.url)
        sessions = session_factory(engine)

        def timed(**kwargs: Any) -> tuple[float, int]:
            t = time.perf_counter()
            report = rebuild_metrics(settings, sessions, clock=lambda: NOW, **kwargs)
            return time.perf_counter() - t, report.credentials_recomputed

        full, _ = timed(full=True)
        unchanged, _ = timed()
        with engine.begin() as c:
            c.execute(
                insert(EngagementHit),
                [
                    _hit(str(uuid.UUID(int=i + 1)), "credential_view", NOW, "person")
                    for i in range(min(100, n))
                ],
            )
        touched, recomputed = timed()
        t = time.perf_counter()
        with engine.connect() as c:
            files = export_metrics(c, where / "exports")
        export = time.perf_counter() - t
        engine.dispose()
    return {
        "credentials": n,
        "setup_seconds": setup,
        "full_rebuild_seconds": full,
        "unchanged_rebuild_seconds": unchanged,
        "rebuild_after_100_hits_seconds": touched,
        "recomputed_after_100_hits": recomputed,
        "export_seconds": export,
        "export_files": len(files),
    }


def describe(figures: dict[str, Any]) -> str:
    """One line per figure, for `bench.run`."""
    return (
        f"metrics   {figures['credentials']} credentials: full rebuild "
        f"{figures['full_rebuild_seconds']:.1f} s, nothing changed "
        f"{figures['unchanged_rebuild_seconds']:.1f} s, 100 new hits "
        f"{figures['rebuild_after_100_hits_seconds']:.1f} s "
        f"({figures['recomputed_after_100_hits']} recomputed); export CSV + Parquet "
        f"{figures['export_seconds']:.1f} s ({figures['export_files']} files)"
    )


if __name__ == "__main__":
    print(describe(run()))
