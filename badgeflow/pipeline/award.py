"""Stage 2: evaluate criteria and pathways for every learner touched, record new awards."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from badgeflow import store
from badgeflow.facts import load_facts
from badgeflow.models import AWARD_KEY, AWARD_STATUS, LEARNER_EMAIL, REASON, RECORD_KEY
from badgeflow.pipeline._gc import gc_frozen
from badgeflow.pipeline.progress import record_progress
from badgeflow.pipeline.runtime import Runtime
from badgeflow.rules import evaluate
from badgeflow.store.rule_status import RuleStatusChange, apply_rule_statuses

__all__ = ["AwardStageResult", "evaluate_awards"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AwardStageResult:
    """Outcome of the evaluation for this batch's rows: how many earned something, how many wait.

    ``rows_evaluated == rows_awarded + rows_not_yet_eligible`` (this batch's accepted rows).
    """

    rows_evaluated: int
    rows_awarded: int
    rows_not_yet_eligible: int
    new_awards: int
    awards_by_achievement: dict[str, int]
    pathway_tiers: dict[str, dict[str, int]] = field(default_factory=dict)
    status_changes: int = 0
    """Stored awards suspended or reinstated because a required badge expired or came back."""


def evaluate_awards(runtime: Runtime, *, batch_id: str, as_of: datetime) -> AwardStageResult:
    """Evaluate every stored completion of the learners in this batch and record new awards.

    Pathways need history (a tier earned months ago), so the rules see all stored completions
    and awards of each learner this batch touched, not only tonight's rows. Award keys are
    deterministic, so evaluating again never records an award twice. Pathway tiers the rules
    suspend (a required badge expired) or reinstate change status in the same transaction.

    Args:
        runtime: resources built from settings.
        batch_id: the batch whose learners to evaluate.
        as_of: the batch clock.

    Returns:
        Counts for the batch summary.
    """
    with gc_frozen():
        return _evaluate_awards(runtime, batch_id=batch_id, as_of=as_of)


def _evaluate_awards(runtime: Runtime, *, batch_id: str, as_of: datetime) -> AwardStageResult:
    with runtime.sessions.begin() as session:
        batch_keys = store.batch_record_keys(session, batch_id)
        batch_learners = store.learner_emails_for(session, batch_keys)
        facts = load_facts(runtime.settings.facts)
        learners, completions, facts = facts.scope(
            batch_learners,
            store.load_completions(
                session,
                learner_emails=sorted(set(batch_learners) | facts.learners),
                with_raw=False,  # the rules never read the vendor payload
            ),
        )
        existing = store.load_awards(session, learner_emails=learners)
        evaluation = evaluate(
            completions,
            runtime.catalog,
            as_of=as_of,
            existing_awards=existing,
            cohorts=facts.cohorts,
            attestations=facts.attestations,
        )
        store.insert_awards(session, evaluation.awards, batch_id=batch_id)
        changed = apply_rule_statuses(
            session,
            (
                RuleStatusChange(str(r[AWARD_KEY]), str(r[AWARD_STATUS]), str(r[REASON]))
                for r in evaluation.revocations.to_dict("records")
            ),
            at=as_of,
        )
        tiers = record_progress(session, runtime.catalog, learners, as_of=as_of)
    tonight = evaluation.outcomes[evaluation.outcomes[RECORD_KEY].isin(batch_keys)]
    outcomes = tonight["outcome"].value_counts()
    by_achievement = {
        str(k): int(v) for k, v in evaluation.awards["achievement_id"].value_counts().items()
    }
    logger.info(
        "evaluated %d completions of %d learners: %d new awards",
        len(completions),
        completions[LEARNER_EMAIL].nunique() if len(completions) else 0,
        len(evaluation.awards),
    )
    return AwardStageResult(
        rows_evaluated=len(tonight),
        rows_awarded=int(outcomes.get("awarded", 0)),
        rows_not_yet_eligible=int(outcomes.get("not_yet_eligible", 0)),
        new_awards=len(evaluation.awards),
        awards_by_achievement=by_achievement,
        pathway_tiers=tiers,
        status_changes=len(changed),
    )
