"""Row failures of a suite: the offending value, several failures per row, quarantine rows."""

from __future__ import annotations

import pandas as pd

from badgeflow.contracts import load_suite
from badgeflow.contracts_rows import Failure, find_failures, quarantine_frame
from badgeflow.models import (
    COLUMN_NAME,
    EXPECTATION,
    QUARANTINE_COLUMNS,
    REASON,
    RECORD_KEY,
    ROW_NUMBER,
    SOURCE,
    VALUE,
)
from tests.data.test_data_contracts import CONTRACTS


def test_each_failure_names_its_columns_and_values():
    suite = load_suite(CONTRACTS, "export_badgeflow.v1")
    frame = pd.DataFrame(
        {
            "learner_id": ["L-1", None],
            "learner_email": ["a@example.org", "bob(at)x"],
            "learner_name": ["A", "B"],
            "course_id": ["DS101", "DS101"],
            "course_name": ["Intro", "Intro"],
            "completed": ["true", "true"],
            "completed_at": [None, None],
            "score": ["80", "abc"],
            "modules_completed": [None, None],
            "modules_total": [None, None],
            "source_record_id": [None, None],
            "progress_pct": [None, None],
            "score_kind": [None, None],
        },
        dtype=object,
    )

    failures, summaries = find_failures(suite, frame)

    assert list(failures) == [1]
    assert [(f.expectation, f.column, f.value) for f in failures[1]] == [
        ("expect_column_values_to_not_be_null", "learner_id", None),
        ("expect_column_values_to_match_regex", "learner_email", "bob(at)x"),
        ("expect_column_values_to_match_regex", "score", "abc"),
    ]
    assert failures[1][1].reason == "learner_email 'bob(at)x' is not a valid email"
    assert failures[1][1].kind == "learner_email … is not a valid email"
    assert sum(not s["success"] for s in summaries) == 3


def test_quarantine_frame_keeps_every_reason_and_the_first_failure():
    first = Failure("expect_column_values_to_not_be_null", "learner_id", None, "no id", "no id")
    second = Failure("parse_error", "score", "abc", "score: 'abc'", "score: unreadable value")
    rows = pd.DataFrame({SOURCE: ["csv"], "source_record_id": ["r7"]})

    quarantined = quarantine_frame(rows, [[first, second, second]], [6])

    assert list(quarantined.columns) == list(QUARANTINE_COLUMNS)
    row = quarantined.iloc[0]
    assert row[REASON] == "no id; score: 'abc'"
    assert (row[EXPECTATION], row[COLUMN_NAME], row[VALUE]) == (
        "expect_column_values_to_not_be_null",
        "learner_id",
        None,
    )
    assert (row[ROW_NUMBER], row[RECORD_KEY]) == (7, "csv:r7")
