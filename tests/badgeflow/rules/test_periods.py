from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from badgeflow.catalog import load_catalog
from badgeflow.credentials import build_credential
from badgeflow.criteria import CourseCompleted
from badgeflow.models import AWARD_STATUS, AWARDED_AT, VALID_FROM, VALID_UNTIL
from badgeflow.rules import evaluate
from tests.badgeflow.rules.catalogs import catalog
from tests.badgeflow.test_rules import ROOT, completion, frame, no_awards, outcome_of, run


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


FIRST = completion("1", "bob@x.org", "PRV120", "2023-01-10")
RENEWAL = completion("3", "bob@x.org", "PRV120", "2024-03-01")


def test_a_renewal_keeps_the_first_awarded_at_and_starts_a_new_period():
    stored = run(frame(FIRST), as_of=at("2023-01-11")).awards
    renewed = run(frame(FIRST, RENEWAL), as_of=at("2024-03-02"), existing=stored).awards
    award = renewed.iloc[0]
    assert award[AWARDED_AT] == pd.Timestamp("2023-01-10", tz="UTC")
    assert award[VALID_FROM] == pd.Timestamp("2024-03-01", tz="UTC")
    assert award[VALID_UNTIL] == award[VALID_FROM] + timedelta(days=365)
    # the credential says so: awardedDate is the original date, validFrom the new period
    catalog = load_catalog(ROOT / "badge_catalog")
    document = build_credential(
        credential_id="urn:uuid:00000000-0000-4000-8000-000000000001",
        issuer=catalog.issuer_info(issuer_did="did:web:x.org", site_base_url="https://x.org"),
        achievement=catalog.achievement_info("data-privacy-basics", site_base_url="https://x.org"),
        recipient_email="bob@x.org",
        salt="00",
        valid_from=award[VALID_FROM].to_pydatetime(),
        valid_until=award[VALID_UNTIL].to_pydatetime(),
        awarded_at=award[AWARDED_AT].to_pydatetime(),
        score=None,
    )
    assert document["awardedDate"].startswith("2023-01-10T00:00:00")
    assert document["validFrom"].startswith("2024-03-01T00:00:00")


def test_after_a_revoked_award_a_new_period_is_a_fresh_award():
    stored = run(frame(FIRST), as_of=at("2023-01-11")).awards.assign(**{AWARD_STATUS: "revoked"})
    ev = run(frame(FIRST, RENEWAL), as_of=at("2024-03-02"), existing=stored)
    assert ev.awards[AWARDED_AT].tolist() == [pd.Timestamp("2024-03-01", tz="UTC")]


def test_an_expired_award_with_nothing_new_says_when_it_ended():
    stored = run(frame(FIRST), as_of=at("2023-01-11")).awards
    ev = run(frame(FIRST), as_of=at("2024-03-02"), existing=stored)
    assert ev.awards.empty
    assert outcome_of(ev, "lms:1") == (
        "not_yet_eligible",
        "data-privacy-basics: the award expired on 2024-01-10; complete it again to renew; "
        "data-mentor: still needs the data-applied badge; one of (the manager-signoff "
        "attestation; membership of the 2026-autumn cohort)",
    )


def windowed(window: int | None):
    return catalog(
        {"privacy": CourseCompleted("PRV120")},
        expiring={"privacy": 365},
        windows={} if window is None else {"privacy": window},
    )


EARLY = completion("2", "bob@x.org", "PRV120", "2023-12-01")  # 40 days before the first ends


def test_a_renewal_window_lets_a_re_completion_before_expiry_renew():
    def night(window, rows, as_of, existing):
        return evaluate(frame(*rows), windowed(window), as_of=at(as_of), existing_awards=existing)

    stored = night(60, [FIRST], "2023-01-11", no_awards()).awards
    assert stored[VALID_UNTIL].tolist() == [pd.Timestamp("2024-01-10", tz="UTC")]
    # Without a window the early re-completion is covered by the current award: nothing new.
    assert night(None, [FIRST, EARLY], "2023-12-02", stored).awards.empty
    # With 60 days, it falls in the window: a new period starts on it, awardedDate kept.
    renewed = night(60, [FIRST, EARLY], "2023-12-02", stored).awards
    assert renewed[VALID_FROM].tolist() == [pd.Timestamp("2023-12-01", tz="UTC")]
    assert renewed[VALID_UNTIL].tolist() == [pd.Timestamp("2024-11-30", tz="UTC")]
    assert renewed[AWARDED_AT].tolist() == [pd.Timestamp("2023-01-10", tz="UTC")]
    # A 30-day window does not reach back to 2023-12-01 (it opens on 2023-12-11).
    assert night(30, [FIRST, EARLY], "2023-12-02", stored).awards.empty
