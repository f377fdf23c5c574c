"""The demo traffic's behaviour model on many made-up credentials (no database), and its config."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from badgeflow.demo.traffic import (
    SimCredential,
    SimEmail,
    demo_engagement_toml,
    simulate_credentials,
)
from badgeflow.errors import ConfigurationError
from tests.badgeflow.demo.traffic_log import is_bot, parse, read_logs
from tests.demo_env import settings_from

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BASE_URL = "https://badges.example.org"


def made_up(count: int) -> list[SimCredential]:
    """Credentials issued over two days, each with a sent award email."""
    found = []
    for n in range(count):
        cid = str(uuid.UUID(int=n + 1))
        issued = NOW + timedelta(hours=24 * (n % 2))
        email = SimEmail(f"learner{n}@example.com", f"<award.{cid}@badges.example.org>", issued)
        found.append(
            SimCredential(
                credential_id=cid,
                accept_token=f"{n + 1:032x}",
                issued_at=issued,
                achievement=("data-foundations", "sql-essentials")[n % 2],
                status="active",
                contexts=("contexts/www.w3.org-ns-credentials-v2.json",),
                status_lists=("status/revocation/1",),
                did_document=".well-known/did.json",
                email=email,
            )
        )
    return found


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    out = tmp_path_factory.mktemp("many")
    credentials = made_up(200)
    report = simulate_credentials(credentials, base_url=BASE_URL, out_dir=out, now=NOW)
    return report, out


def test_every_bot_family_shows_up(many):
    report, _ = many
    families = set(report.bot_lines_by_family)
    assert families >= {
        "LinkedInBot",
        "Twitterbot",
        "facebookexternalhit",
        "Slackbot",
        "Googlebot",
        "bingbot",
        "UptimeRobot",
    }


def test_the_rates_look_like_a_real_programme(many):
    outcomes = many[0].outcomes
    assert outcomes["emails"] == 200
    assert 0 < outcomes["bounced"] < 20
    assert outcomes["delivered"] + outcomes["bounced"] == 200
    assert 0.6 < outcomes["opened"] / outcomes["delivered"] < 0.9
    assert 0.75 < outcomes["accepted"] / outcomes["opened"] <= 1
    assert 0.2 < outcomes["shared_linkedin"] / outcomes["accepted"] < 0.5
    assert outcomes["shared"] > outcomes["shared_linkedin"]


def test_time_to_open_has_a_median_of_hours_and_a_tail_of_days(many):
    report, out = many
    issued = {c.accept_token: c.issued_at for c in made_up(200)}
    opened: dict[str, datetime] = {}
    for part in read_logs(out):
        for line in map(parse, part):
            parts = line.path.split("/")  # /accept/<token>/
            if parts[1] == "accept" and len(parts) == 4 and not line.ip.startswith("192.0.2."):
                opened.setdefault(parts[2], line.at)
    assert len(opened) == report.outcomes["opened"]
    waits = sorted((at - issued[token]).total_seconds() / 3600 for token, at in opened.items())
    assert 0.5 < waits[len(waits) // 2] < 12, "median time to open: hours"
    assert waits[-1] > 48, "some learners open the link days later"


def test_the_export_has_deferrals_bounces_and_machine_opens(many):
    _, out = many
    events = json.loads((out / "mail-events" / "sendgrid-events.json").read_text())
    kinds = Counter(e["event"] for e in events)
    assert kinds["deferred"] > 0 and kinds["bounce"] > 0 and kinds["click"] > 0
    assert any(e.get("sg_machine_open") for e in events if e["event"] == "open")
    bounce = next(e for e in events if e["event"] == "bounce")
    assert {"reason", "status", "type"} <= bounce.keys()


def test_a_site_at_the_host_root_uses_root_paths_and_the_well_known_did(many):
    _, out = many
    lines = [parse(text) for part in read_logs(out) for text in part]
    paths = {line.path for line in lines}
    assert "/.well-known/did.json" in paths and "/static/site.css" in paths
    assert all(is_bot(line.agent) for line in lines if line.method == "HEAD")


def test_nothing_happens_without_a_sent_email_or_for_a_revoked_credential(tmp_path):
    quiet = [
        SimCredential(str(uuid.UUID(int=1)), "a" * 32, NOW, "data-foundations", "active"),
        SimCredential(
            str(uuid.UUID(int=2)),
            "b" * 32,
            NOW,
            "data-foundations",
            "revoked",
            email=SimEmail("x@example.com", "<m@x>", NOW),
        ),
    ]
    report = simulate_credentials(quiet, base_url=BASE_URL, out_dir=tmp_path, now=NOW)
    assert report.mail_events == 0 and report.outcomes["opened"] == 0
    assert "accept_open" not in report.person_hits


@pytest.mark.parametrize("network", ["203.0.113.0/25", "2001:db8::/32", "not-a-network"])
def test_an_office_network_overlapping_the_visitors_is_refused(tmp_path, network):
    with pytest.raises(ConfigurationError):
        simulate_credentials(
            [], base_url=BASE_URL, out_dir=tmp_path, now=NOW, office_network=network
        )


def test_the_engagement_snippet_loads_into_settings(tmp_path):
    out = tmp_path / "traffic dir"
    config = tmp_path / "badgeflow.toml"
    config.write_text(demo_engagement_toml(out, office_network="192.0.2.0/24"), encoding="utf-8")
    engagement = settings_from(config).engagement
    assert [(s.name, s.path, s.format) for s in engagement.access_logs] == [
        ("demo-site", str(out / "access.log*"), "combined")
    ]
    assert [(s.name, s.path, s.format) for s in engagement.mail_events] == [
        ("demo-sendgrid", str(out / "mail-events" / "*.json"), "sendgrid")
    ]
    assert engagement.exclude_networks == ["192.0.2.0/24"]


def test_nothing_in_the_pipeline_imports_the_simulator():
    repo = Path(__file__).resolve().parents[3]
    folders = ("flows", "tasks", *(f"badgeflow/{p}" for p in ("pipeline", "engagement", "metrics")))
    for folder in folders:
        for module in (repo / folder).rglob("*.py"):
            text = module.read_text(encoding="utf-8")
            assert "demo.traffic" not in text and "demo._traffic" not in text, module
