"""The batch-level contract rules as pure functions: figures, limits, overrides, messages."""

from __future__ import annotations

import pytest

from badgeflow.contracts_batch import (
    RULE_BAD_ROWS,
    RULE_ROW_DROP,
    Limits,
    check_batch_rules,
    halt_message,
    limits_for,
)
from badgeflow.settings import ContractSettings
from badgeflow.store.contract_runs import PreviousRead

LIMITS = Limits(max_bad_row_fraction=0.05, max_row_drop_fraction=0.5, min_rows_for_drop_check=100)


def rules(rows_in, quarantined, previous=None, limits=LIMITS):
    bad, drop = check_batch_rules(
        "export", rows_in=rows_in, quarantined=quarantined, previous=previous, limits=limits
    )
    assert (bad.rule, drop.rule) == (RULE_BAD_ROWS, RULE_ROW_DROP)
    return bad, drop


def test_more_bad_rows_than_the_limit_trips_with_source_figure_limit_and_advice():
    bad, _ = rules(400, 48)
    assert not bad.passed and bad.applied
    assert bad.figure == pytest.approx(0.12)
    assert bad.message == (
        "source export: 12.0% of 400 rows failed the contract (limit 5%). Fix the export or "
        "raise contracts.max_bad_row_fraction (for this source: "
        "contracts.sources.export.max_bad_row_fraction), then re-run the batch."
    )


@pytest.mark.parametrize(("rows_in", "quarantined"), [(400, 20), (400, 0), (0, 0)])
def test_at_or_under_the_bad_row_limit_passes(rows_in, quarantined):
    bad, _ = rules(rows_in, quarantined)
    assert bad.passed and bad.message == ""
    assert bad.applied is (rows_in > 0)


def test_a_drop_beyond_the_limit_against_the_previous_read_trips():
    _, drop = rules(120, 0, PreviousRead("batch-0", 400))
    assert not drop.passed
    assert drop.figure == pytest.approx(0.7)
    assert "120 rows read, 70.0% fewer than the 400 of batch batch-0 (limit 50%)" in drop.message
    assert "contracts.max_row_drop_fraction" in drop.message


@pytest.mark.parametrize(
    ("rows_in", "previous", "applied"),
    [
        (200, PreviousRead("b", 400), True),  # exactly 50% fewer: at the limit
        (900, PreviousRead("b", 400), True),  # growth is never a drop
        (1, PreviousRead("b", 99), False),  # tiny source: under min_rows_for_drop_check
        (0, None, False),  # first read: nothing to compare
    ],
)
def test_drops_within_the_limit_or_without_a_baseline_pass(rows_in, previous, applied):
    _, drop = rules(rows_in, 0, previous)
    assert drop.passed and drop.applied is applied


def test_a_limit_of_one_disables_either_rule():
    off = Limits(max_bad_row_fraction=1, max_row_drop_fraction=1, min_rows_for_drop_check=0)
    bad, drop = rules(10, 10, PreviousRead("b", 500), off)
    assert bad.passed and drop.passed


def test_per_source_overrides_replace_only_what_they_set():
    settings = ContractSettings(
        max_bad_row_fraction=0.05, sources={"export": {"max_bad_row_fraction": 0.5}}
    )
    assert limits_for(settings, "export") == Limits(0.5, 0.5, 100, 20)
    assert limits_for(settings, "moodle") == Limits(0.05, 0.5, 100, 20)


def test_a_tiny_source_does_not_trip_the_bad_row_rule():
    limits = Limits(0.05, 0.5, 100, min_rows_for_bad_row_check=20)
    bad, _ = rules(19, 10, limits=limits)
    assert bad.passed and not bad.applied
    assert "under min_rows_for_bad_row_check 20" in bad.detail
    bad, _ = rules(20, 10, limits=limits)
    assert not bad.passed


def test_halt_message_names_only_halting_sources():
    sections = {
        "a": {"halted": True, "message": "source a: bad."},
        "b": {"halted": False, "breach_accepted": True, "message": "source b: bad."},
        "c": {"halted": False, "message": ""},
    }
    assert halt_message(sections) == "Batch halted before anything was issued: source a: bad."
    assert halt_message({"c": sections["c"]}) == ""
