"""Visitor ids: HMAC-SHA256 under the day's salt, salts created once and pruned by age."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime

from sqlalchemy import select

from badgeflow.engagement.visitors import VisitorHasher, prune_salts, visitor_hash
from badgeflow.store.schema import EngagementSalt

NOW = datetime(2026, 10, 11, 12, 0, tzinfo=UTC)
AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0 \u00e9"


def test_visitor_hash_is_hmac_sha256_cut_to_32_hex():
    salt = bytes(range(32))
    expected = hmac.new(salt, f"203.0.113.5\0{AGENT}".encode(), hashlib.sha256).hexdigest()
    assert visitor_hash(salt, "203.0.113.5", AGENT) == expected[:32]


def test_the_hasher_agrees_with_visitor_hash_and_keeps_one_salt_per_day(credentials):
    hasher = VisitorHasher(credentials, now=NOW, salt_days=2)
    day = date(2026, 10, 11)
    first = hasher.visitor(day, "203.0.113.5", AGENT)
    with credentials() as session:
        (salt,) = session.scalars(select(EngagementSalt.salt).where(EngagementSalt.day == day))
    assert first == visitor_hash(bytes.fromhex(salt), "203.0.113.5", AGENT)
    # Another poll (a new hasher) the same day: the same salt, the same visitor.
    again = VisitorHasher(credentials, now=NOW, salt_days=2)
    assert again.visitor(day, "203.0.113.5", AGENT) == first
    assert again.visitor(day, "203.0.113.6", AGENT) != first
    assert again.visitor(date(2026, 10, 12), "203.0.113.5", AGENT) != first


def test_late_days_get_a_one_off_salt_never_stored(credentials):
    hasher = VisitorHasher(credentials, now=NOW, salt_days=2)
    late = date(2026, 10, 1)
    assert hasher.visitor(late, "203.0.113.5", AGENT) == hasher.visitor(late, "203.0.113.5", AGENT)
    other = VisitorHasher(credentials, now=NOW, salt_days=2)
    assert other.visitor(late, "203.0.113.5", AGENT) != hasher.visitor(late, "203.0.113.5", AGENT)
    with credentials() as session:
        assert session.scalars(select(EngagementSalt)).all() == []


def test_prune_salts_keeps_salt_days(credentials):
    with credentials.begin() as session:
        for day in range(5, 12):
            session.add(EngagementSalt(day=date(2026, 10, day), salt="00" * 32))
    with credentials.begin() as session:
        prune_salts(session, today=date(2026, 10, 11), salt_days=3)
    with credentials() as session:
        days = sorted(session.scalars(select(EngagementSalt.day)))
    assert days == [date(2026, 10, d) for d in (8, 9, 10, 11)]
