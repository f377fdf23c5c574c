"""Status changes the rules engine decides (pathway tiers suspended or reinstated).

They go through the same machinery as an operator's (`change_status`: the award's status,
the audit trail, and so the published status lists), recorded under the actor
`RULES_ACTOR`. The engine only undoes its own suspensions: a credential an operator
suspended stays suspended until an operator reinstates it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from badgeflow.store.schema import Award, Credential, StatusEvent
from badgeflow.store.status import change_status

__all__ = ["RULES_ACTOR", "RuleStatusChange", "apply_rule_statuses"]

RULES_ACTOR: Final = "badgeflow-rules"
"""The audit trail's actor for status changes decided by the rules engine."""


@dataclass(frozen=True)
class RuleStatusChange:
    """One award whose status the rules want changed.

    Attributes:
        award_key: the award.
        status: ``suspended`` or ``active`` (reinstated).
        reason: why, for the audit trail.
    """

    award_key: str
    status: str
    reason: str


def apply_rule_statuses(
    session: Session, changes: Iterable[RuleStatusChange], *, at: datetime
) -> list[str]:
    """Suspend or reinstate awards as the rules decided, in the caller's transaction.

    An award with a credential changes through `change_status` (audited; the status list
    bit follows when the site is published). An award not issued yet only changes status
    (a suspended award is not issued). A change that no longer applies (the award is
    revoked, already in that status, or was suspended by an operator) is skipped.

    Args:
        session: the caller's session; the caller commits.
        changes: the changes, from ``Evaluation.revocations``.
        at: the batch clock.

    Returns:
        The keys of the awards whose status changed.
    """
    changed: list[str] = []
    for change in changes:
        award = session.scalar(select(Award).where(Award.award_key == change.award_key))
        if award is None:
            continue
        credential = session.scalar(select(Credential.id).where(Credential.award_id == award.id))
        if change.status == "suspended" and award.status == "active":
            if credential is not None:
                change_status(
                    session, credential, "suspend", reason=change.reason, actor=RULES_ACTOR, at=at
                )
            else:
                award.status = "suspended"
        elif change.status == "active" and award.status == "suspended":
            if credential is not None:
                if not _suspended_by_rules(session, credential):
                    continue
                change_status(
                    session, credential, "reinstate", reason=change.reason, actor=RULES_ACTOR, at=at
                )
            else:
                award.status = "active"
        else:
            continue
        changed.append(change.award_key)
    session.flush()
    return changed


def _suspended_by_rules(session: Session, credential_id: str) -> bool:
    last = session.scalar(
        select(StatusEvent)
        .where(StatusEvent.credential_id == credential_id)
        .order_by(StatusEvent.at.desc(), StatusEvent.id.desc())
        .limit(1)
    )
    return last is not None and last.action == "suspend" and last.actor == RULES_ACTOR
