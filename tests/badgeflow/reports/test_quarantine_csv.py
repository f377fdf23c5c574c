"""quarantine.csv: every row, raw cells flattened, read back unchanged."""

from __future__ import annotations

import csv

from badgeflow.reports import read_quarantine_csv, write_quarantine_csv
from badgeflow.store.reports import QuarantineRecord


def test_the_csv_round_trips(tmp_path):
    records = [
        QuarantineRecord(
            batch_id="b-1",
            source="export",
            row_number=7,
            record_key="export:R-7",
            reason='score 140 is outside 0-100; "quoted", with commas',
            raw={"score": "140", "learner_name": "Zoë\nNewline", "reason": "their column"},
            expectation="expect_column_values_to_be_between",
            column_name="score",
            value="140",
        ),
        QuarantineRecord(
            batch_id="b-1",
            source="moodle",
            row_number=None,
            record_key=None,
            reason="completed_at: unreadable value",
            raw=None,
        ),
    ]
    path = tmp_path / "reports" / "quarantine.csv"

    assert write_quarantine_csv(path, records) == 2

    assert read_quarantine_csv(path) == records
    with open(path, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header == [
        "batch_id",
        "source",
        "row_number",
        "record_key",
        "reason",
        "expectation",
        "column_name",
        "value",
        "raw.score",
        "raw.learner_name",
        "raw.reason",
    ]


def test_non_string_raw_values_are_written_as_json(tmp_path):
    record = QuarantineRecord("b-1", "api", 1, "api:1", "bad", {"score": 140, "tags": ["a"]})
    path = tmp_path / "q.csv"
    write_quarantine_csv(path, [record])
    (back,) = read_quarantine_csv(path)
    assert back.raw == {"score": "140", "tags": '["a"]'}
