"""The demo traffic simulator on real issued credentials: the files it writes and what they hold."""

from __future__ import annotations

import gzip
import ipaddress
import json
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from badgeflow.demo.traffic import simulate_traffic
from badgeflow.pipeline import enqueue_emails, pending_email_ids, send_emails
from badgeflow.store.schema import Credential, EmailOutbox
from tests.badgeflow.demo.traffic_log import DOCUMENTATION, attribute, is_bot, parse, read_logs
from tests.badgeflow.pipeline.issued import AS_OF, issued_runtime

BASE_URL = "https://badges.example.org/badges/"
PREFIX = "/badges/"
OFFICE = ipaddress.ip_network("192.0.2.0/24")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Twelve credentials issued, their award emails sent, and the traffic simulated once."""
    root = tmp_path_factory.mktemp("traffic")
    url = f"sqlite:///{root / 'badgeflow.db'}"
    with issued_runtime(root, url, count=12, publish=False, base_url=BASE_URL) as runtime:
        enqueue_emails(runtime)
        send_emails(runtime, pending_email_ids(runtime), now=AS_OF)
        out = root / "traffic"
        report = simulate_traffic(runtime.sessions, base_url=BASE_URL, out_dir=out, now=AS_OF)
        with runtime.sessions() as session:
            credentials = {
                c.id: c.issued_at.replace(tzinfo=UTC) for c in session.scalars(select(Credential))
            }
            tokens = {c.accept_token: c.id for c in session.scalars(select(Credential))}
            message_ids = set(session.scalars(select(EmailOutbox.message_id)))
        files = read_logs(out)
        lines = [parse(text) for part in files for text in part]
        yield {
            "runtime": runtime,
            "root": root,
            "out": out,
            "report": report,
            "credentials": credentials,
            "tokens": tokens,
            "message_ids": message_ids,
            "files": files,
            "lines": lines,
        }


def test_three_rotated_logs_and_a_mail_export_are_written(demo):
    report, out = demo["report"], demo["out"]
    names = [p.relative_to(out).as_posix() for p in report.files]
    assert names == [
        "access.log.2.gz",
        "access.log.1",
        "access.log",
        "mail-events/sendgrid-events.json",
    ]
    assert gzip.decompress((out / "access.log.2.gz").read_bytes())  # valid, non-empty gzip
    assert all(demo["files"]), "every log file has lines"
    assert sum(len(part) for part in demo["files"]) == report.lines
    assert report.credentials == 12
    assert report.end == AS_OF.replace(day=27, month=12)  # 28 days after issue


def test_lines_are_strict_combined_format_from_documentation_ranges(demo):
    for line in demo["lines"]:  # `parse` already asserted the format
        address = ipaddress.ip_address(line.ip)
        assert any(address in network for network in DOCUMENTATION), line.ip
        assert line.referer == "-" or not line.referer.startswith("http://")


def test_lines_are_chronological_across_the_three_files(demo):
    times = [line.at for line in demo["lines"]]
    assert times == sorted(times)
    first, second, third = ([parse(t).at for t in part] for part in demo["files"])
    assert first[-1] < second[0] and second[-1] < third[0]
    assert demo["report"].start <= times[0] and times[-1] < demo["report"].end


def test_every_credential_address_belongs_to_a_real_credential_issued_before(demo):
    tokens, credentials = demo["tokens"], demo["credentials"]
    attributed = Counter()
    for line in demo["lines"]:
        if line.status >= 400:
            continue  # a mistyped address, a scanner's probe
        assert "/accept/" not in line.path or line.path.split("/")[3] in tokens, line.path
        hit = attribute(line.path, PREFIX, tokens)
        if hit is None or not hit[1]:
            continue
        assert hit[1] in credentials, line.path
        assert line.at >= credentials[hit[1]], f"{line.path} requested before its issue"
        attributed[hit[0]] += 1
    assert set(attributed) >= {"accept_open", "accept_confirm", "credential_view", "share_page"}


def test_the_report_predicts_the_deduplicated_hits_a_path_based_reader_finds(demo):
    report, tokens = demo["report"], demo["tokens"]
    seen: dict[str, set[tuple[object, ...]]] = {"person": set(), "bot": set()}
    for line in demo["lines"]:
        hit = attribute(line.path, PREFIX, tokens)
        if hit is None or line.status >= 400 or ipaddress.ip_address(line.ip) in OFFICE:
            continue
        audience = "bot" if is_bot(line.agent) else "person"
        seen[audience].add((*hit, line.at.date(), line.ip, line.agent))
    for audience, expected in (("person", report.person_hits), ("bot", report.bot_hits)):
        assert dict(Counter(key[0] for key in seen[audience])) == expected
    assert report.person_hits["accept_open"] == report.outcomes["opened"]
    assert report.person_hits["accept_confirm"] == report.outcomes["accepted"]


def test_people_bots_and_office_lines_are_counted_apart(demo):
    report, lines = demo["report"], demo["lines"]
    office = [line for line in lines if ipaddress.ip_address(line.ip) in OFFICE]
    bots = [x for x in lines if ipaddress.ip_address(x.ip) not in OFFICE and is_bot(x.agent)]
    assert len(office) == report.office_lines > 0
    assert len(bots) == report.bot_lines
    assert report.person_lines == report.lines - report.office_lines - report.bot_lines > 0
    assert any("/accept/" in line.path for line in office), "the issuer tests an accept link"
    agents = " ".join({line.agent for line in bots})
    for family in ("UptimeRobot", "Googlebot", "bingbot", "LinkedInBot"):
        assert family in agents


def test_repeat_visits_the_same_day_are_present(demo):
    visits = Counter(
        (line.path, line.ip, line.agent, line.at.date())
        for line in demo["lines"]
        if attribute(line.path, PREFIX, demo["tokens"]) and not is_bot(line.agent)
    )
    assert any(count > 1 for count in visits.values())


def test_the_sendgrid_export_has_the_webhook_fields_and_our_message_ids(demo):
    events = json.loads((demo["out"] / "mail-events" / "sendgrid-events.json").read_text())
    assert len(events) == demo["report"].mail_events > 0
    required = {"email", "timestamp", "event", "smtp-id", "sg_event_id", "sg_message_id"}
    issued = min(demo["credentials"].values()).timestamp()
    for event in events:
        assert required <= event.keys()
        assert event["smtp-id"] in demo["message_ids"]
        assert event["event"] in {"processed", "deferred", "delivered", "bounce", "open", "click"}
        assert event["timestamp"] >= issued
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
    assert len({e["sg_event_id"] for e in events}) == len(events)
    kinds = Counter(e["event"] for e in events)
    assert kinds["processed"] == 12 and kinds["delivered"] + kinds["bounce"] == 12
    clicks = [e for e in events if e["event"] == "click"]
    assert all(e["url"].startswith(f"{BASE_URL}accept/") for e in clicks)


def test_a_seed_gives_byte_identical_files_and_another_seed_other_ones(demo, tmp_path):
    runtime, out = demo["runtime"], demo["out"]
    again = simulate_traffic(runtime.sessions, base_url=BASE_URL, out_dir=tmp_path / "a", now=AS_OF)
    for first, second in zip(demo["report"].files, again.files, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name
    other = simulate_traffic(
        runtime.sessions, base_url=BASE_URL, out_dir=tmp_path / "b", now=AS_OF, seed=7
    )
    assert (out / "access.log").read_bytes() != (tmp_path / "b" / "access.log").read_bytes()
    assert other.lines != demo["report"].lines or other.outcomes != demo["report"].outcomes


def test_a_credential_page_view_loads_what_its_verifier_fetches(demo):
    paths = {line.path for line in demo["lines"] if line.status < 400}
    for needed in (
        "static/verifier.js",
        "static/verifier-config.json",
        "contexts/index.json",
        "contexts/www.w3.org-ns-credentials-v2.json",
        "did.json",  # a site under a path: did:web resolves to <path>/did.json
        "status/revocation/1",
    ):
        assert PREFIX + needed in paths


def test_the_window_starts_at_now_when_now_is_earlier(demo, tmp_path):
    earlier = datetime(2026, 11, 20, tzinfo=UTC)
    report = simulate_traffic(
        demo["runtime"].sessions, base_url=BASE_URL, out_dir=tmp_path, now=earlier
    )
    assert report.start == earlier and report.end == demo["report"].end
