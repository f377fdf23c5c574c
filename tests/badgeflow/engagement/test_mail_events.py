"""Mail event exports: array, NDJSON and gzip; dedupe on re-read; unmatched; no address kept."""

from __future__ import annotations

import gzip
import json

import pytest
from sqlalchemy import select

from badgeflow.engagement.mail_events import parse_sendgrid, poll_mail_events
from badgeflow.store.schema import EmailOutbox, MailEvent
from tests.badgeflow.metrics.known import NOW, C, build_known_store, known_settings

T = 1_764_000_000


def ev(n, event, eid, **more):
    item = {
        "email": "ada@example.org",
        "timestamp": T + n,
        "event": event,
        "sg_event_id": eid,
        "sg_message_id": f"sgmsg{n}.filter0001.16648.5515E0B88.0",
    }
    if n:
        item["smtp-id"] = f"<award.{n}@badges.example.org>"
    item.update(more)
    return item


@pytest.fixture
def mail(tmp_path, db_url):
    folder = tmp_path / "events"
    folder.mkdir()
    settings = known_settings(
        tmp_path,
        db_url,
        engagement={"mail_events": [{"name": "sendgrid", "path": str(folder / "*")}]},
    )
    engine, sessions = build_known_store(settings)
    yield settings, sessions, folder
    engine.dispose()


def poll(settings, sessions):
    (report,) = poll_mail_events(settings, sessions, clock=lambda: NOW)
    return report


def stored(sessions):
    with sessions() as s:
        return {
            e.event_id: e
            for e in s.scalars(select(MailEvent).where(MailEvent.source == "sendgrid"))
        }


def test_array_ndjson_and_gzip_are_read_once(mail):
    settings, sessions, folder = mail
    (folder / "a.json").write_text(
        json.dumps([ev(1, "processed", "e1"), ev(1, "delivered", "e2"), ev(9, "delivered", "x9")])
    )
    ndjson = folder / "b.ndjson"
    ndjson.write_text(json.dumps(ev(4, "delivered", "e3")) + "\n" + '{"event": "open", "timest')
    with gzip.open(folder / "c.json.gz", "wt") as f:
        f.write("\n".join(json.dumps(e) for e in (ev(1, "open", "e4"), ev(4, "deferred", "e5"))))
    first = poll(settings, sessions)
    assert (first.files, first.events, first.stored, first.unmatched, first.invalid) == (
        3,
        6,
        5,
        1,
        0,
    )
    assert set(stored(sessions)) == {"e1", "e2", "e3", "e4", "e5"}
    assert stored(sessions)["e3"].credential_id == C[4]
    # nothing new: nothing read; the NDJSON file grows: only the new lines are read
    assert poll(settings, sessions).events == 0
    with ndjson.open("a") as f:
        f.write('amp": 1764000004}\n' + json.dumps(ev(4, "open", "e6")) + "\nnot json\n")
    grown = poll(settings, sessions)
    assert (grown.files, grown.events, grown.stored, grown.invalid) == (1, 2, 1, 1)
    assert grown.unmatched == 1  # the open without ids
    # the same file rotated and gzipped under another name: recognised, not re-read
    rotated = folder / "b.ndjson.1.gz"
    rotated.write_bytes(gzip.compress(ndjson.read_bytes()))
    ndjson.unlink()
    assert poll(settings, sessions).events == 0


def test_events_read_twice_are_stored_once(mail):
    settings, sessions, folder = mail
    (folder / "a.json").write_text(json.dumps([ev(1, "delivered", "e1")]))
    (folder / "copy.ndjson").write_text(json.dumps(ev(1, "delivered", "e1")) + "\n")
    report = poll(settings, sessions)
    assert (report.stored, report.duplicates) == (1, 1)


def test_opens_and_clicks_match_through_sg_message_id(mail):
    settings, sessions, folder = mail
    click = ev(1, "click", "e2", url="https://b.example.org/accept/" + "ab" * 16 + "/?utm=x")
    del click["smtp-id"]
    (folder / "a.ndjson").write_text(
        json.dumps(ev(1, "delivered", "e1")) + "\n" + json.dumps(click) + "\n"
    )
    assert poll(settings, sessions).stored == 2
    row = stored(sessions)["e2"]
    assert (row.credential_id, row.kind) == (C[1], "click")
    assert row.detail == "https://b.example.org/accept/<token>/"


def test_hard_bounce_marks_the_outbox_and_no_address_is_stored(mail):
    settings, sessions, folder = mail
    reason = "550 5.1.1 <ada@example.org>: Recipient address rejected"
    (folder / "a.json").write_text(
        json.dumps(
            [
                ev(1, "bounce", "e1", type="bounce", status="5.1.1", reason=reason),
                ev(4, "bounce", "e2", type="blocked", status="4.7.1", reason="try later"),
            ]
        )
    )
    report = poll(settings, sessions)
    assert (report.bounces_marked, report.kinds) == (1, {"bounce": 1, "blocked": 1})
    rows = stored(sessions)
    assert "ada@example.org" not in rows["e1"].detail and "[address]" in rows["e1"].detail
    with sessions() as s:
        status = dict(s.execute(select(EmailOutbox.credential_id, EmailOutbox.status)).all())
    assert (status[C[1]], status[C[4]]) == ("bounced", "sent")
    assert poll(settings, sessions).bounces_marked == 0
    with sessions() as s:
        for table in ("mail_events", "engagement_cursors"):
            dump = json.dumps(
                [
                    list(map(str, r))
                    for r in s.connection().exec_driver_sql(f"SELECT * FROM {table}")
                ]
            )
            assert "@example.org" not in dump.replace("@badges.example.org", "")


@pytest.mark.parametrize(
    "item", [None, [], {"event": "open"}, {"timestamp": 1}, {"event": "", "timestamp": 1}]
)
def test_unusable_items(item):
    assert parse_sendgrid(item) is None


def test_an_event_without_an_id_gets_a_stable_one():
    item = {"event": "open", "timestamp": T, "smtp-id": "abc@x"}
    first, second = parse_sendgrid(item), parse_sendgrid(dict(item))
    assert first.event_id == second.event_id and first.event_id.startswith("sha256:")
    assert first.smtp_id == "<abc@x>"
