"""The batch summary shows what happened to the emails: sent, failed, held, bounced."""

from __future__ import annotations

from badgeflow.pipeline import BatchSummary


def test_email_outcomes_appear_only_when_there_are_some():
    quiet = BatchSummary(batch_id="b", as_of="now", emails_sent=3)
    assert not any("held" in line or "bounced" in line for line in quiet.lines())
    busy = BatchSummary(
        batch_id="b",
        as_of="now",
        emails_sent=3,
        emails_failed=2,
        emails_held=5,
        emails_bounced=1,
        emails_deferred=4,
    )
    lines = busy.lines()
    assert "  emails held (pilot)        5" in lines
    assert "  emails bounced             1" in lines
    assert any(line.startswith("  emails deferred") and "4" in line for line in lines)
    assert any("(2 failed: badgeflow outbox)" in line for line in lines)
    markdown = busy.markdown()
    assert "| Emails held (pilot) | 5 |" in markdown
    assert "| Emails bounced | 1 |" in markdown
    assert busy.as_dict()["emails_held"] == 5
