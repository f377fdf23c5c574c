"""Bounce reports from real-world shapes (Postfix, Exim, Gmail) in tests/fixtures/bounces/."""

from __future__ import annotations

from pathlib import Path

import pytest

from badgeflow.errors import ConfigurationError
from badgeflow.notify.bounces import parse_bounce, read_bounces, scrub_addresses

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bounces"


def bounce(name: str):
    return parse_bounce((FIXTURES / name).read_bytes(), source=name)


@pytest.mark.parametrize(
    "name, message_id, status, action",
    [
        (
            "postfix-hard.eml",
            "<award.6f1c2b8e-3d4a-5b6c-9d7e-8f9a0b1c2d3e@badges.example.org>",
            "5.1.1",
            "failed",
        ),
        (
            "exim-hard.eml",
            "<award.0a1b2c3d-4e5f-5a6b-8c7d-9e0f1a2b3c4d@badges.example.org>",
            "5.2.1",
            "failed",
        ),
        (
            "gmail-hard.eml",
            "<award.11111111-2222-5333-8444-555555555555@badges.example.org>",
            "5.1.1",
            "failed",
        ),
        (
            "postfix-delayed.eml",
            "<award.aaaaaaaa-bbbb-5ccc-8ddd-eeeeeeeeeeee@badges.example.org>",
            "4.4.1",
            "delayed",
        ),
        (
            "exim-legacy-plain.eml",
            "<reissue.12345678-9abc-5def-8123-456789abcdef@badges.example.org>",
            "5.0.0",
            "failed",
        ),
    ],
)
def test_each_report_names_the_original_message_and_its_status(name, message_id, status, action):
    found = bounce(name)
    assert found is not None
    assert (found.message_id, found.status, found.action) == (message_id, status, action)
    assert found.hard is (action == "failed")
    assert found.source == name
    assert "@" not in found.diagnostic
    assert found.diagnostic


def test_diagnostics_keep_the_servers_words_without_the_address():
    assert bounce("postfix-hard.eml").diagnostic == (
        "550 5.1.1 <[address]>: Recipient address rejected: User unknown in virtual mailbox table"
    )
    assert "account that you tried to reach is disabled" in bounce("exim-hard.eml").diagnostic


def test_an_auto_reply_is_not_a_bounce():
    assert bounce("out-of-office.eml") is None


def test_a_report_without_a_delivery_status_part_falls_back_or_is_ignored():
    raw = (
        b"From: someone@example.org\r\nSubject: hello\r\nMessage-ID: <x@y>\r\n"
        b"Content-Type: multipart/report; report-type=disposition-notification; boundary=b\r\n"
        b"\r\n--b\r\nContent-Type: text/plain\r\n\r\nread receipt\r\n--b--\r\n"
    )
    assert parse_bounce(raw) is None


def test_read_bounces_reads_a_folder_of_eml_and_a_maildir(tmp_path):
    found = read_bounces(FIXTURES)
    assert len(found) == 6  # every fixture but the auto-reply
    maildir = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1764468847.M1P2.mail").write_bytes(
        (FIXTURES / "postfix-hard.eml").read_bytes()
    )
    (maildir / "cur" / "1764469241.M3P4.mail:2,S").write_bytes(
        (FIXTURES / "exim-hard.eml").read_bytes()
    )
    (maildir / "tmp" / "partial").write_bytes(b"half a message")
    assert [b.status for b in read_bounces(maildir)] == ["5.1.1", "5.2.1"]


def test_a_missing_mailbox_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="not a folder"):
        read_bounces(tmp_path / "nope")


def test_scrub_addresses():
    assert scrub_addresses("550 <ada@example.org>: no\n  such user a.b+c@d.e") == (
        "550 <[address]>: no such user [address]"
    )
