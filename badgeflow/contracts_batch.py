"""Batch-level contract rules: halt a batch when a source's data is too broken to issue from.

Row-level failures are quarantined (`badgeflow.contracts`); these rules look at a source as
a whole, right after its rows were validated:

- ``max_bad_row_fraction``: more than this share of the source's rows failed the contract,
  when it gave at least ``min_rows_for_bad_row_check`` rows;
- ``max_row_drop_fraction``: the source returned this much less than the previous
  successful batch that read it the same way (full or incremental), when that batch had at
  least ``min_rows_for_drop_check`` rows.

A tripped rule halts the batch before anything is issued, unless the admin re-runs it with
the explicit override (``accept_breach``). Outcomes are values (`SourceContract`); the flow
raises `badgeflow.errors.BatchHalted` with `halt_message`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from badgeflow.contracts import ContractReport
from badgeflow.models import JSONDict
from badgeflow.settings import ContractSettings
from badgeflow.store.contract_runs import PreviousRead

__all__ = [
    "RULE_BAD_ROWS",
    "RULE_ROW_DROP",
    "Limits",
    "RuleOutcome",
    "SourceContract",
    "assess_source",
    "check_batch_rules",
    "halt_message",
    "limits_for",
]

logger = logging.getLogger(__name__)

RULE_BAD_ROWS: Final = "max_bad_row_fraction"
RULE_ROW_DROP: Final = "max_row_drop_fraction"


@dataclass(frozen=True)
class Limits:
    """The batch-level limits that apply to one source."""

    max_bad_row_fraction: float
    max_row_drop_fraction: float
    min_rows_for_drop_check: int
    min_rows_for_bad_row_check: int = 0


@dataclass(frozen=True)
class RuleOutcome:
    """One batch-level rule checked against one source.

    Attributes:
        rule: `RULE_BAD_ROWS` or `RULE_ROW_DROP` (also the setting that sets its limit).
        passed: False when the rule tripped.
        applied: False when the rule did not apply (no rows, no baseline, tiny baseline).
        figure: the measured fraction (None when not applied).
        limit: the limit in force.
        detail: what was measured, in words.
        message: when tripped, the sentence the admin reads: source, figure, limit, what to do.
    """

    rule: str
    passed: bool
    applied: bool
    figure: float | None
    limit: float
    detail: str
    message: str = ""


def limits_for(settings: ContractSettings, source: str) -> Limits:
    """Resolve a source's limits: its ``[contracts.sources.<name>]`` overrides, else the group's.

    Args:
        settings: the ``contracts`` settings group.
        source: the source name.

    Returns:
        The limits in force for that source.
    """
    own = settings.sources.get(source)

    def pick(name: str) -> Any:
        value = getattr(own, name) if own is not None else None
        return getattr(settings, name) if value is None else value

    return Limits(
        max_bad_row_fraction=float(pick(RULE_BAD_ROWS)),
        max_row_drop_fraction=float(pick(RULE_ROW_DROP)),
        min_rows_for_drop_check=int(pick("min_rows_for_drop_check")),
        min_rows_for_bad_row_check=int(pick("min_rows_for_bad_row_check")),
    )


def check_batch_rules(
    source: str, *, rows_in: int, quarantined: int, previous: PreviousRead | None, limits: Limits
) -> list[RuleOutcome]:
    """Check both batch-level rules for one source.

    Args:
        source: the source name (for the messages).
        rows_in: rows the source gave this batch (accepted + quarantined).
        quarantined: rows that failed the contract.
        previous: the baseline for the drop rule (`badgeflow.store.contract_runs.previous_read`).
        limits: from `limits_for`.

    Returns:
        One outcome per rule, bad rows first.
    """
    return [
        _bad_rows(source, rows_in, quarantined, limits),
        _row_drop(source, rows_in, previous, limits),
    ]


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.1f}%"


def _limit(fraction: float) -> str:
    return f"{fraction * 100:g}%"


def _bad_rows(source: str, rows_in: int, quarantined: int, limits: Limits) -> RuleOutcome:
    limit = limits.max_bad_row_fraction
    if rows_in < max(limits.min_rows_for_bad_row_check, 1):
        detail = (
            f"{quarantined} of {rows_in} rows failed the contract; under "
            f"min_rows_for_bad_row_check {limits.min_rows_for_bad_row_check}"
        )
        return RuleOutcome(RULE_BAD_ROWS, True, False, None, limit, detail)
    figure = quarantined / rows_in
    detail = f"{quarantined} of {rows_in} rows failed the contract ({_pct(figure)})"
    if figure <= limit:
        return RuleOutcome(RULE_BAD_ROWS, True, True, figure, limit, detail)
    message = (
        f"source {source}: {_pct(figure)} of {rows_in} rows failed the contract (limit "
        f"{_limit(limit)}). Fix the export or raise contracts.{RULE_BAD_ROWS} (for this "
        f"source: contracts.sources.{source}.{RULE_BAD_ROWS}), then re-run the batch."
    )
    return RuleOutcome(RULE_BAD_ROWS, False, True, figure, limit, detail, message)


def _row_drop(
    source: str, rows_in: int, previous: PreviousRead | None, limits: Limits
) -> RuleOutcome:
    limit = limits.max_row_drop_fraction
    if previous is None:
        return RuleOutcome(RULE_ROW_DROP, True, False, None, limit, "no earlier read to compare")
    if previous.rows_in < max(limits.min_rows_for_drop_check, 1):
        detail = (
            f"previous read had {previous.rows_in} rows, under min_rows_for_drop_check "
            f"{limits.min_rows_for_drop_check}"
        )
        return RuleOutcome(RULE_ROW_DROP, True, False, None, limit, detail)
    figure = max(previous.rows_in - rows_in, 0) / previous.rows_in
    detail = (
        f"{rows_in} rows against {previous.rows_in} in batch {previous.batch_id} "
        f"({_pct(figure)} fewer)"
    )
    if figure <= limit:
        return RuleOutcome(RULE_ROW_DROP, True, True, figure, limit, detail)
    message = (
        f"source {source}: {rows_in} rows read, {_pct(figure)} fewer than the "
        f"{previous.rows_in} of batch {previous.batch_id} (limit {_limit(limit)}). Check "
        f"that the export is complete or raise contracts.{RULE_ROW_DROP} (for this source: "
        f"contracts.sources.{source}.{RULE_ROW_DROP}), then re-run the batch."
    )
    return RuleOutcome(RULE_ROW_DROP, False, True, figure, limit, detail, message)


@dataclass(frozen=True)
class SourceContract:
    """A source's contract outcome in one batch; `as_dict` is what the batch summary stores.

    Attributes:
        source: the source name.
        suite: the contract (GX suite name) its rows were validated against.
        full_read: True when the source was read whole (no watermark).
        rows_in: rows read; ``accepted + quarantined``.
        accepted: rows that passed the contract (stored unless the batch halted).
        quarantined: rows that failed it.
        expectations: one summary per expectation (`ContractReport.expectation_results`).
        reasons: quarantine reason → count, most frequent first.
        rules: the batch-level rule outcomes.
        breach_accepted: a rule tripped, and the admin's override let the batch go on.
    """

    source: str
    suite: str
    full_read: bool
    rows_in: int
    accepted: int
    quarantined: int
    expectations: list[JSONDict] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)
    rules: list[RuleOutcome] = field(default_factory=list)
    breach_accepted: bool = False

    @property
    def breached(self) -> bool:
        """True when any batch-level rule tripped."""
        return any(not r.passed for r in self.rules)

    @property
    def halted(self) -> bool:
        """True when the source halts the batch (breached and not overridden)."""
        return self.breached and not self.breach_accepted

    @property
    def message(self) -> str:
        """The tripped rules' messages, one sentence each ("" when none tripped)."""
        return " ".join(r.message for r in self.rules if not r.passed)

    def as_dict(self) -> JSONDict:
        """JSON-ready form, with ``breached``, ``halted`` and ``message`` spelled out."""
        return {
            **asdict(self),
            "breached": self.breached,
            "halted": self.halted,
            "message": self.message,
        }


def assess_source(
    report: ContractReport,
    *,
    source: str,
    suite: str,
    full_read: bool,
    previous: PreviousRead | None,
    settings: ContractSettings,
    accept_breach: bool = False,
) -> SourceContract:
    """Apply the batch-level rules to one source's validation report.

    Args:
        report: the row-level outcome (`badgeflow.contracts.validate_completions`).
        source: the source name.
        suite: the suite's name, for the report.
        full_read: whether the source was read whole.
        previous: the drop rule's baseline, or None.
        settings: the ``contracts`` settings group.
        accept_breach: the admin's override: a tripped rule is logged, not enforced.

    Returns:
        The outcome; ``halted`` tells the caller not to store the source's accepted rows.
    """
    rules = check_batch_rules(
        source,
        rows_in=report.rows_in,
        quarantined=len(report.quarantined),
        previous=previous,
        limits=limits_for(settings, source),
    )
    outcome = SourceContract(
        source=source,
        suite=suite,
        full_read=full_read,
        rows_in=report.rows_in,
        accepted=len(report.accepted),
        quarantined=len(report.quarantined),
        expectations=list(report.expectation_results),
        reasons=dict(report.reason_counts),
        rules=rules,
        breach_accepted=accept_breach and any(not r.passed for r in rules),
    )
    if outcome.breach_accepted:
        logger.warning("CONTRACT BREACH ACCEPTED BY OVERRIDE: %s", outcome.message)
    elif outcome.halted:
        logger.error("contract breach, batch halts: %s", outcome.message)
    return outcome


def halt_message(sections: Mapping[str, Mapping[str, Any]]) -> str:
    """The message a halted batch fails with ("" when no source halts it).

    Args:
        sections: source → `SourceContract.as_dict` (the batch summary's ``contracts``).

    Returns:
        "Batch halted before anything was issued: " and each halting source's messages.
    """
    messages = [str(s.get("message", "")) for s in sections.values() if s.get("halted")]
    if not messages:
        return ""
    return "Batch halted before anything was issued: " + " ".join(messages)
