"""webhook_events on SQLite and PostgreSQL: dedupe, read stamps, consumption."""

from __future__ import annotations

from datetime import UTC, datetime

from badgeflow import store
from badgeflow.store import NewWebhookEvent

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_store_dedupes_read_stamps_and_consume_marks_only_what_was_read(sessions):
    with sessions.begin() as s:
        assert store.store_webhook_events(
            s,
            "h",
            "generic",
            [NewWebhookEvent("a", {"n": 1}), NewWebhookEvent("a", {"n": 2})],
            received_at=AT,
        ) == [True, False]
        assert store.store_webhook_events(
            s, "other", "generic", [NewWebhookEvent("a", {"n": 3})], received_at=AT
        ) == [True]
    with sessions.begin() as s:
        read = store.read_webhook_events(s, "h", read_at=AT)
    with sessions.begin() as s:
        store.store_webhook_events(s, "h", "generic", [NewWebhookEvent("b", {})], received_at=AT)
        assert store.consume_webhook_events(s, "h") == 1

    with sessions.begin() as s:
        unconsumed = store.read_webhook_events(s, "h", read_at=AT)
        everything = store.read_webhook_events(s, "h", read_at=AT, include_consumed=True)

    assert [(e.event_key, e.payload) for e in read] == [("a", {"n": 1})]
    assert read[0].received_at == AT and read[0].vendor == "generic"
    assert [e.event_key for e in unconsumed] == ["b"]
    assert [e.event_key for e in everything] == ["a", "b"]
