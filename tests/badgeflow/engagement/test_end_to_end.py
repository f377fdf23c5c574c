"""Known log lines and mail events in, exactly the known metrics out.

The store is tests/badgeflow/metrics/known.py's (five credentials, figures worked out by hand
there), but its hits and mail events are not inserted: they come from nginx log lines (people,
bots, same-day repeats, the issuer's own checks, noise) written across two rotations, the older
file gzipped, a line half-written at one poll, and from a SendGrid export read twice. The
metrics must equal those of the hand-built store, figure for figure.
"""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import datetime, timedelta

import pandas as pd
import pytest

from badgeflow.engagement.access_logs import poll_access_logs
from badgeflow.engagement.mail_events import poll_mail_events
from badgeflow.metrics.read import read_view
from badgeflow.metrics.rebuild import rebuild_metrics
from badgeflow.metrics.views import VIEWS
from tests.badgeflow.metrics.known import (
    ISSUED,
    KNOWN_OVERALL,
    NOW,
    C,
    build_known_store,
    known_settings,
)

H = timedelta(hours=1)
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"  # noqa: E501
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
LINKEDIN = "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)"
SLACK = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
ADA, RECRUITER, BOB, CY = "203.0.113.7", "198.51.100.20", "2001:db8::b0b", "203.0.113.99"
OFFICE = "192.0.2.10"  # engagement.exclude_networks
UNKNOWN = "99999999-9999-4999-8999-999999999999"


def line(ip: str, at: datetime, path: str, ua: str = CHROME, status: int = 200, method="GET"):
    stamp = at.strftime("%d/%b/%Y:%H:%M:%S +0000")
    return f'{ip} - - [{stamp}] "{method} {path} HTTP/1.1" {status} 5120 "-" "{ua}"\n'


def token(n: int) -> str:
    return str(n) * 32


# Part A: C1's whole story and C2's, up to a line half-written when the first poll runs.
PART_A = [
    line(ADA, ISSUED[1] + 2 * H, f"/accept/{token(1)}/"),
    line(ADA, ISSUED[1] + 2 * H, "/static/site.css"),  # an asset: not counted
    line(ADA, ISSUED[1] + 2 * H + timedelta(minutes=5), f"/accept/{token(1)}/"),  # repeat
    line(ADA, ISSUED[1] + 4 * H, f"/accept/{token(1)}/accepted/"),
    line(ADA, ISSUED[1] + 5 * H, f"/credentials/{C[1]}/share/linkedin-profile/"),
    line(LINKEDIN_IP := "198.51.100.77", ISSUED[1] + 5 * H, f"/credentials/{C[1]}/", LINKEDIN),
    line(LINKEDIN_IP, ISSUED[1] + 5 * H, f"/credentials/{C[1]}/share/", LINKEDIN),
    line(ADA, ISSUED[1] + 6 * H, f"/credentials/{C[1]}/share/email/"),
    line(ADA, ISSUED[1] + 7 * H, f"/credentials/{C[1]}/"),
    line(ADA, ISSUED[1] + 7 * H, f"/credentials/{C[1]}.json?check"),  # the page's own check
    line(ADA, ISSUED[1] + 7 * H + timedelta(minutes=30), f"/credentials/{C[1]}/"),  # repeat
    line(OFFICE, ISSUED[1] + 7 * H, f"/credentials/{C[1]}/"),  # the issuer's own check
    line(RECRUITER, ISSUED[1] + 8 * H, f"/credentials/{C[1]}/", FIREFOX),
    line(RECRUITER, ISSUED[1] + 8 * H, f"/credentials/{C[1]}/", method="HEAD"),
    line(RECRUITER, ISSUED[1] + 8 * H, f"/credentials/{UNKNOWN}/", FIREFOX),  # no such badge
    line(RECRUITER, ISSUED[1] + 8 * H, f"/accept/{'f' * 32}/", FIREFOX, status=404),
    "this is not an access log line\n",
    line(BOB, ISSUED[2] + 1 * H, f"/accept/{token(2)}/accepted/", SLACK),  # a preview bot
]
HALF_WRITTEN = line(BOB, ISSUED[2] + 10 * H, f"/accept/{token(2)}/accepted/")
# Part B, after the first rotation: C3, C4 (accepted an hour before its issue time: clock
# skew), C4's downloads and the verify page.
PART_B = [
    line(ADA, ISSUED[4] - 1 * H, f"/accept/{token(4)}/accepted/"),
    line(ADA, ISSUED[4] + 1 * H, f"/credentials/{C[4]}.json"),
    line(ADA, ISSUED[4] + 1 * H, f"/credentials/{C[4]}.png"),
    line(ADA, ISSUED[4] + 1 * H, "/verify/"),
    line(CY, ISSUED[3] + 30 * H, f"/accept/{token(3)}/accepted/"),
]
# Part C, after the second rotation: same-day repeats only (nothing new to count).
PART_C = [
    line(ADA, ISSUED[4] + 2 * H, f"/credentials/{C[4]}.json"),
    line(CY, ISSUED[3] + 31 * H, f"/accept/{token(3)}/accepted/"),
]


def sendgrid(event_id: str, event: str, n: int, at: datetime, **extra) -> dict:
    return {
        "email": "learner@example.org",
        "timestamp": int(at.timestamp()),
        "event": event,
        "sg_event_id": event_id,
        "sg_message_id": f"msg{n}.filter0001",
        "smtp-id": f"<award.{n}@badges.example.org>",
        **extra,
    }


MAIL = [
    sendgrid("ev-1", "delivered", 1, ISSUED[1]),
    sendgrid("ev-drop", "dropped", 3, ISSUED[3], reason="Bounced Address"),
    sendgrid("ev-other", "delivered", 9, ISSUED[3]),  # mail badgeflow did not send
]


@pytest.fixture
def derived(tmp_path, db_url):
    """The known store with hits and mail events derived from logs and an export."""
    logs, mail = tmp_path / "logs", tmp_path / "mail"
    logs.mkdir()
    mail.mkdir()
    settings = known_settings(
        tmp_path,
        db_url,
        site={"base_url": "https://badges.example.org/"},
        engagement={
            "access_logs": [{"name": "site", "path": str(logs / "access.log*")}],
            "mail_events": [{"name": "sendgrid", "path": str(mail / "*.json")}],
            "exclude_networks": ["192.0.2.0/24"],
        },
    )
    engine, sessions = build_known_store(settings, engagement=False)
    clock = lambda: NOW  # noqa: E731
    # Each poll runs soon after its lines were written, as the hourly flow does: a day's salt
    # (engagement.salt_days) still exists when the day's later lines arrive.
    after_a, after_b = ISSUED[2] + 10 * H, ISSUED[3] + 31 * H
    current = logs / "access.log"
    current.write_text("".join(PART_A) + HALF_WRITTEN[:40], encoding="utf-8")
    reports = poll_access_logs(settings, sessions, clock=lambda: after_a)
    with current.open("a", encoding="utf-8") as fh:
        fh.write(HALF_WRITTEN[40:])
    current.rename(logs / "access.log.1")
    current.write_text("".join(PART_B), encoding="utf-8")
    reports += poll_access_logs(settings, sessions, clock=lambda: after_b)
    with (logs / "access.log.1").open("rb") as src, gzip.open(logs / "access.log.2.gz", "wb") as gz:
        shutil.copyfileobj(src, gz)
    (logs / "access.log.1").unlink()
    current.rename(logs / "access.log.1")
    current.write_text("".join(PART_C), encoding="utf-8")
    reports += poll_access_logs(settings, sessions, clock=lambda: after_b + H)
    (mail / "export-1.json").write_text(json.dumps(MAIL), encoding="utf-8")
    mail_reports = poll_mail_events(settings, sessions, clock=clock)
    (mail / "export-1-copy.json").write_text(json.dumps(MAIL), encoding="utf-8")
    mail_reports += poll_mail_events(settings, sessions, clock=clock)
    rebuild_metrics(settings, sessions, clock=clock)
    yield engine, [r.as_dict() for r in reports], [r.as_dict() for r in mail_reports]
    engine.dispose()


@pytest.fixture
def hand_built(tmp_path):
    """The same store with its hits and mail events inserted by hand (SQLite)."""
    (tmp_path / "hand").mkdir()
    settings = known_settings(tmp_path / "hand", f"sqlite:///{tmp_path / 'hand.db'}")
    engine, sessions = build_known_store(settings)
    rebuild_metrics(settings, sessions, clock=lambda: NOW)
    yield engine
    engine.dispose()


def test_every_line_is_accounted_for_once(derived):
    _, reports, mail = derived
    totals = pd.DataFrame(reports).drop(columns=["source", "conflict"]).sum()
    assert totals["lines"] == len(PART_A) + 1 + len(PART_B) + len(PART_C)
    assert (
        totals["lines"]
        == totals[["people", "bots", "excluded", "unattributed", "ignored", "malformed"]].sum()
    )
    # people: 8 lines of part A on counted pages, the half-written one, 5 of B, 2 of C;
    # bots: LinkedInBot twice, Slackbot once; excluded: the office
    assert (totals["people"], totals["bots"], totals["excluded"]) == (16, 3, 1)
    assert totals["unattributed"] == 1
    assert [r["lines"] for r in reports] == [len(PART_A), 1 + len(PART_B), len(PART_C)]
    assert [m["stored"] for m in mail] == [2, 0]
    assert mail[0]["unmatched"] == 1


def test_metrics_from_logs_equal_the_hand_worked_figures(derived):
    engine, _, _ = derived
    with engine.connect() as connection:
        overall = read_view(connection, "metrics_overall").iloc[0].to_dict()
    assert overall == KNOWN_OVERALL


def test_every_view_equals_the_hand_built_stores(derived, hand_built):
    engine, _, _ = derived
    with engine.connect() as a, hand_built.connect() as b:
        for view in VIEWS:
            stamps = [c for c in ("computed_at", "updated_at") if c in view.columns]
            ours = read_view(a, view.name).drop(columns=stamps)
            theirs = read_view(b, view.name).drop(columns=stamps)
            assert len(ours) == len(theirs) > 0, view.name
            pd.testing.assert_frame_equal(ours, theirs, check_dtype=False, obj=view.name)
