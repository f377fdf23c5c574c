from __future__ import annotations

from badgeflow.store import (
    change_status,
    insert_awards,
    load_awards,
    reserve_status_slots,
    save_credentials,
    save_status_entries,
    status_events,
    status_list_bits,
)
from badgeflow.store.rule_status import RULES_ACTOR, RuleStatusChange, apply_rule_statuses
from tests.badgeflow.store.factories import AS_OF, award, awards_frame, new_credential

C1 = "11111111-1111-4111-8111-111111111111"
C2 = "22222222-2222-4222-8222-222222222222"


def statuses(sessions) -> dict[str, str]:
    with sessions() as session:
        awards = load_awards(session)
    return dict(zip(awards["award_key"], awards["status"], strict=True))


def apply(sessions, status: str, *keys: str) -> list[str]:
    with sessions.begin() as session:
        return apply_rule_statuses(
            session, [RuleStatusChange(k, status, f"tier: {status}") for k in keys], at=AS_OF
        )


def test_rules_suspend_and_reinstate_through_the_status_machinery(sessions):
    with sessions.begin() as session:
        a1, a2, _ = insert_awards(
            session, awards_frame(award("k1"), award("k2"), award("k3")), batch_id="b1"
        )
        save_credentials(session, [new_credential(a1, C1), new_credential(a2, C2)])
        save_status_entries(session, C1, reserve_status_slots(session, "suspension", 1))
        change_status(session, C2, "suspend", reason="operator", actor="ops", at=AS_OF)
    # k1 issued, k3 not issued yet; k2 was suspended by an operator
    assert apply(sessions, "suspended", "k1", "k3", "unknown") == ["k1", "k3"]
    assert statuses(sessions) == {"k1": "suspended", "k2": "suspended", "k3": "suspended"}
    with sessions() as session:
        assert status_list_bits(session)[("suspension", 1)] == [0]  # verifiers see it
        events = status_events(session, C1)
    assert [(e.action, e.actor, e.reason) for e in events] == [
        ("suspend", RULES_ACTOR, "tier: suspended")
    ]
    assert apply(sessions, "suspended", "k1") == []  # already suspended: nothing to do
    assert apply(sessions, "active", "k1", "k2", "k3") == ["k1", "k3"]
    assert statuses(sessions) == {"k1": "active", "k2": "suspended", "k3": "active"}
    with sessions() as session:
        assert status_list_bits(session)[("suspension", 1)] == []
