from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from badgeflow.criteria import AllOf, CourseCompleted, HoldsBadge
from badgeflow.models import (
    ACHIEVEMENT_ID,
    AWARD_KEY,
    AWARD_STATUS,
    LEARNER_EMAIL,
    REASON,
    REVOCATION_COLUMNS,
)
from badgeflow.rules import evaluate
from tests.badgeflow.rules.catalogs import catalog
from tests.badgeflow.test_rules import completion, frame, no_awards, outcome_of

RULES = {
    "basics": CourseCompleted("B1"),
    "advanced": AllOf((HoldsBadge("basics"), CourseCompleted("A1"))),
    "expert": AllOf((HoldsBadge("advanced"), CourseCompleted("E1"))),
}
ROWS = (
    completion("1", "cy@x.org", "B1", "2025-01-01"),
    completion("2", "cy@x.org", "A1", "2025-02-01"),
    completion("3", "cy@x.org", "E1", "2025-02-02"),
)


def ladder(policy: str):
    return catalog(
        RULES,
        expiring={"basics": 100},
        pathways={"ladder": (("basics", "advanced", "expert"), policy)},
    )


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def stored(policy: str) -> pd.DataFrame:
    first = evaluate(
        frame(*ROWS), ladder(policy), as_of=at("2025-03-01"), existing_awards=no_awards()
    )
    assert sorted(first.awards[ACHIEVEMENT_ID]) == ["advanced", "basics", "expert"]
    assert first.revocations.empty
    return first.awards.assign(**{AWARD_STATUS: "active"})


def test_keep_leaves_tiers_alone_when_a_prerequisite_expires():
    ev = evaluate(
        frame(*ROWS), ladder("keep"), as_of=at("2025-06-01"), existing_awards=stored("keep")
    )
    assert ev.revocations.empty and ev.awards.empty
    assert list(ev.revocations.columns) == list(REVOCATION_COLUMNS)


def test_suspend_suspends_every_tier_above_the_expired_badge():
    held = stored("suspend")
    ev = evaluate(frame(*ROWS), ladder("suspend"), as_of=at("2025-06-01"), existing_awards=held)
    assert ev.awards.empty
    changes = ev.revocations.set_index(ACHIEVEMENT_ID)
    assert sorted(changes.index) == ["advanced", "expert"]
    assert set(changes[AWARD_STATUS]) == {"suspended"}
    assert changes.loc["advanced", REASON] == (
        "advanced: suspended while the basics badge is not current"
    )
    key = held.set_index(ACHIEVEMENT_ID).loc["advanced", AWARD_KEY]
    assert changes.loc["advanced", AWARD_KEY] == key
    assert changes.loc["advanced", LEARNER_EMAIL] == "cy@x.org"
    assert outcome_of(ev, "lms:2")[0] == "not_yet_eligible"


@pytest.mark.parametrize("renewed", [True, False])
def test_a_renewed_prerequisite_reinstates_a_suspended_tier(renewed):
    held = stored("suspend").assign(**{AWARD_STATUS: "active"})
    held.loc[held[ACHIEVEMENT_ID] != "basics", AWARD_STATUS] = "suspended"
    rows = [*ROWS, completion("4", "cy@x.org", "B1", "2025-05-20")] if renewed else list(ROWS)
    ev = evaluate(frame(*rows), ladder("suspend"), as_of=at("2025-06-01"), existing_awards=held)
    if renewed:
        assert ev.awards[ACHIEVEMENT_ID].tolist() == ["basics"]  # the renewal
        changes = ev.revocations.set_index(ACHIEVEMENT_ID)
        assert sorted(changes.index) == ["advanced", "expert"]
        assert set(changes[AWARD_STATUS]) == {"active"}
        assert outcome_of(ev, "lms:3") == ("awarded", "")
    else:
        assert ev.revocations.empty and ev.awards.empty
