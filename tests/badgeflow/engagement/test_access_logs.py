"""Polling access logs into engagement_hits: exact counts, dedupe, rotation, conflicts, privacy."""

from __future__ import annotations

import gzip
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import String, Text, select

from badgeflow.engagement.access_logs import poll_access_logs
from badgeflow.settings import Settings
from badgeflow.store.schema import Base, EngagementCursor, EngagementHit, EngagementSalt
from tests.badgeflow.engagement.conftest import C1, C2

FIXTURES = Path(__file__).parents[2] / "fixtures" / "access_logs"
BASE = "https://badges.example.org/badges"
NOW = datetime(2026, 10, 11, 12, 0, tzinfo=UTC)
FF = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CH = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"


def _settings(path, fmt="combined", **engagement) -> Settings:
    return Settings(
        site={"base_url": BASE},
        engagement={
            "access_logs": [{"name": "web", "path": str(path), "format": fmt}],
            "exclude_networks": ["10.0.0.0/8", "2001:db8:ffff::/48"],
            "exclude_user_agents": ["badgeflow-uptime"],
            **engagement,
        },
    )


def _poll(sessions, path, *, now=NOW, **kwargs):
    (report,) = poll_access_logs(_settings(path), sessions, clock=lambda: now, **kwargs)
    return report


def _rows(sessions):
    with sessions() as session:
        hits = session.scalars(select(EngagementHit)).all()
    return sorted(
        (h.kind, h.credential_id, h.channel, h.day, h.audience, h.agent, h.hits) for h in hits
    )


def _line(ip, when: datetime, target, agent=FF, status=200):
    stamp = when.strftime("%d/%b/%Y:%H:%M:%S +0000")
    return f'{ip} - - [{stamp}] "GET {target} HTTP/1.1" {status} 512 "-" "{agent}"\n'


def test_the_fixture_log_is_counted_exactly(credentials, tmp_path):
    report = _poll(credentials, FIXTURES / "simple.log")
    assert report.as_dict() == {
        "source": "web",
        "files": 1,
        "lines": 25,
        "people": 7,
        "bots": 3,
        "excluded": 3,
        "unattributed": 2,
        "ignored": 7,
        "malformed": 3,
        "hits_new": 9,
        "commits": 1,
        "conflict": False,
    }
    day, next_day = date(2026, 10, 10), date(2026, 10, 11)
    assert _rows(credentials) == sorted(
        [
            ("accept_open", C1, "", day, "person", "", 1),
            ("accept_confirm", C1, "", day, "person", "", 1),
            ("credential_view", C1, "", day, "person", "", 2),  # a page and its index.html
            ("credential_download", C1, "json", day, "bot", "curl", 1),
            ("share_page", C1, "", day, "person", "", 1),
            ("share_click", C1, "linkedin-profile", day, "person", "", 1),
            ("credential_view", C1, "", day, "bot", "LinkedInBot", 1),
            ("verify_page", "", "", day, "person", "", 1),
            ("credential_view", C2, "", next_day, "bot", "unknown", 1),  # 23:59:59 -0100
        ]
    )
    with credentials() as session:
        opened = session.scalars(select(EngagementHit).where(EngagementHit.kind == "accept_open"))
        (hit,) = opened.all()
    assert hit.first_at == hit.last_at == datetime(2026, 10, 10, 11, 55, 36, tzinfo=UTC)
    assert hit.source == "web" and len(hit.visitor) == 32
    # Polled again: nothing new, nothing counted twice.
    again = _poll(credentials, FIXTURES / "simple.log")
    assert (again.lines, again.hits_new, again.files) == (0, 0, 1)
    assert sum(row[-1] for row in _rows(credentials)) == 10


def test_the_cloudfront_fixture_is_counted_exactly(credentials):
    settings = _settings(FIXTURES / "simple-cloudfront.log", "cloudfront")
    (report,) = poll_access_logs(settings, credentials, clock=lambda: NOW)
    assert (report.lines, report.people, report.bots, report.ignored, report.malformed) == (
        6,
        3,
        1,
        1,
        1,
    )
    assert _rows(credentials) == sorted(
        [
            ("credential_view", C1, "", date(2026, 10, 10), "person", "", 2),
            ("credential_download", C1, "png", date(2026, 10, 10), "bot", "Slackbot", 1),
            ("credential_view", C1, "", date(2026, 10, 11), "person", "", 1),
        ]
    )


def test_repeats_are_deduplicated_per_visitor_and_day(credentials, tmp_path):
    log = tmp_path / "access.log"
    t = datetime(2026, 10, 10, 9, 0, tzinfo=UTC)
    page = f"/badges/credentials/{C1}/"
    log.write_text(
        _line("198.51.100.1", t, page)
        + _line("198.51.100.1", t + timedelta(hours=1), page)  # same person again
        + _line("198.51.100.2", t, page)  # another person
        + _line("198.51.100.1", t, page, agent=CH)  # same address, other browser
        + _line("198.51.100.1", t + timedelta(days=1), page)  # the next day
    )
    assert _poll(credentials, log).hits_new == 4
    day = date(2026, 10, 10)
    assert [r[3:] for r in _rows(credentials)] == [
        (day, "person", "", 1),
        (day, "person", "", 1),
        (day, "person", "", 2),
        (day + timedelta(days=1), "person", "", 1),
    ]
    # Later the same day, in a later poll: the same row grows (and its last time moves).
    with log.open("a") as out:
        out.write(_line("198.51.100.1", t + timedelta(hours=3), page))
        out.write(_line("198.51.100.1", t - timedelta(hours=3), page))  # late, out of order
    assert _poll(credentials, log).hits_new == 0
    with credentials() as session:
        first = session.scalars(select(EngagementHit).order_by(EngagementHit.hits.desc())).first()
    assert first.hits == 4
    assert first.first_at == t - timedelta(hours=3)
    assert first.last_at == t + timedelta(hours=3)


def test_rotation_with_gzip_gives_exact_totals(credentials, tmp_path):
    log = tmp_path / "access.log"
    t = datetime(2026, 10, 10, 9, 0, tzinfo=UTC)
    page = f"/badges/credentials/{C2}/"
    log.write_text("".join(_line(f"198.51.100.{n}", t, page) for n in range(1, 4)))
    assert _poll(credentials, log.parent / "access.log*").people == 3
    with log.open("a") as out:  # written after the poll, before the rotation
        out.write(_line("198.51.100.4", t, page))
    with log.open("rb") as src, gzip.open(tmp_path / "access.log.1.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    log.unlink()
    log.write_text(_line("198.51.100.5", t, page) + _line("198.51.100.1", t, page))
    report = _poll(credentials, tmp_path / "access.log*")
    assert (report.files, report.lines, report.people, report.hits_new) == (2, 3, 3, 2)
    assert _poll(credentials, tmp_path / "access.log*").lines == 0
    assert sorted(row[-1] for row in _rows(credentials)) == [1, 1, 1, 1, 2]


def test_chunked_commits_count_the_same(credentials, tmp_path):
    log = tmp_path / "access.log"
    shutil.copy(FIXTURES / "simple.log", log)
    report = _poll(credentials, log, chunk_lines=1)
    # One chunk per block (the file is one block) plus the final save of the position.
    assert (report.commits, report.lines, report.hits_new) == (2, 25, 9)


def _overlapping_polls(sessions, log):
    inner = []

    def overlap(_message):
        # The first poll has read its position; a second poll runs to its end meanwhile.
        if not inner:
            inner.append(_poll(sessions, log))

    outer = _poll(sessions, log, progress=overlap)
    return outer, inner[0]


def test_of_two_overlapping_polls_only_one_counts(credentials, tmp_path):
    log = tmp_path / "access.log"
    lines = (FIXTURES / "simple.log").read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:10]))
    # The first save of the position (an insert) ...
    outer, inner = _overlapping_polls(credentials, log)
    assert (inner.conflict, inner.lines, inner.people + inner.bots) == (False, 10, 9)
    assert outer.conflict is True
    assert (outer.lines, outer.hits_new, outer.commits) == (0, 0, 0)
    assert sum(row[-1] for row in _rows(credentials)) == 9
    # ... and a later one (compare-and-set on the version).
    log.write_text("".join(lines))
    outer, inner = _overlapping_polls(credentials, log)
    assert (inner.conflict, inner.lines, inner.people + inner.bots) == (False, 15, 1)
    assert (outer.conflict, outer.lines, outer.hits_new) == (True, 0, 0)
    assert sum(row[-1] for row in _rows(credentials)) == 10
    with credentials() as session:
        cursor = session.get(EngagementCursor, "web")
    assert (cursor.kind, cursor.version) == ("access_log", 2)
    assert _poll(credentials, log).lines == 0


def test_salts_are_created_per_day_and_destroyed_after_salt_days(credentials, tmp_path):
    with credentials.begin() as session:
        for day in (date(2026, 10, 1), date(2026, 10, 8), date(2026, 10, 9)):
            session.add(EngagementSalt(day=day, salt="00" * 32))
    log = tmp_path / "access.log"
    page = f"/badges/credentials/{C1}/"
    log.write_text(
        _line("198.51.100.1", datetime(2026, 10, 10, 9, 0, tzinfo=UTC), page)
        + _line("198.51.100.1", datetime(2026, 10, 2, 9, 0, tzinfo=UTC), page)  # a late log
    )
    report = _poll(credentials, log)  # salt_days 2 at NOW (Oct 11): Oct 9 and later are kept
    assert report.people == 2
    with credentials() as session:
        days = sorted(session.scalars(select(EngagementSalt.day)))
    assert days == [date(2026, 10, 9), date(2026, 10, 10)]  # Oct 2's one-off salt not stored
    assert {row[3] for row in _rows(credentials)} == {date(2026, 10, 2), date(2026, 10, 10)}


def test_future_timestamps_are_kept(credentials, tmp_path):
    log = tmp_path / "access.log"
    future = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
    log.write_text(_line("198.51.100.1", future, f"/badges/accept/{'b' * 32}/"))
    assert _poll(credentials, log).people == 1
    assert _rows(credentials) == [("accept_open", C2, "", future.date(), "person", "", 1)]


def test_no_address_or_user_agent_is_stored_anywhere(credentials, tmp_path):
    _poll(credentials, FIXTURES / "simple.log")
    (cloudfront,) = poll_access_logs(
        _settings(FIXTURES / "simple-cloudfront.log", "cloudfront"), credentials, clock=lambda: NOW
    )
    assert cloudfront.people == 3
    secrets = ("203.0.113.5", "2001:db8::5", "198.51.100.", "108.174.2.200", "Firefox", "curl/")
    with credentials() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            if not columns:
                continue
            for row in session.execute(select(*columns)):
                text = " ".join(str(value) for value in row)
                assert not any(secret in text for secret in secrets), (table.name, text)
