"""CSV and Parquet exports: documented columns, ISO dates, typed Parquet, every view."""

from __future__ import annotations

import csv

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from badgeflow.metrics.export import arrow_schema, export_metrics
from badgeflow.metrics.rebuild import rebuild_metrics
from badgeflow.metrics.views import VIEWS, view
from tests.badgeflow.metrics.known import C


@pytest.fixture
def exported(known, clock, tmp_path):
    settings, sessions = known
    rebuild_metrics(settings, sessions, clock=clock)
    with sessions() as s:
        paths = export_metrics(s.connection(), tmp_path / "out")
    return tmp_path / "out", paths


def test_one_file_per_view_and_format_with_the_documented_columns(exported):
    folder, paths = exported
    assert [p.name for p in paths] == [f"{v.name}.{k}" for v in VIEWS for k in ("csv", "parquet")]
    for spec in VIEWS:
        with (folder / f"{spec.name}.csv").open(encoding="utf-8", newline="") as f:
            assert next(csv.reader(f)) == list(spec.columns)
        assert pq.read_schema(folder / f"{spec.name}.parquet").names == list(spec.columns)
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary left


def test_csv_values(exported):
    folder, _ = exported
    with (folder / "metrics_credentials.csv").open(encoding="utf-8", newline="") as f:
        rows = {r["credential_id"]: r for r in csv.DictReader(f)}
    assert rows[C[1]]["issued_at"] == "2026-11-16T10:00:00+00:00"
    assert rows[C[1]]["issued_week"] == "2026-11-16"
    assert (rows[C[2]]["bounced"], rows[C[1]]["bounced"]) == ("true", "false")
    assert rows[C[5]]["accepted_at"] == "" and rows[C[5]]["email_status"] == ""
    assert rows[C[1]]["hours_to_accept"] == "4.0"
    with (folder / "metrics_overall.csv").open(encoding="utf-8", newline="") as f:
        (overall,) = csv.DictReader(f)
    assert (overall["issued"], overall["acceptance_rate"], overall["p90_hours_to_accept"]) == (
        "5",
        "0.8",
        "30.0",
    )


def test_parquet_reads_back_typed(exported):
    folder, _ = exported
    table = pq.read_table(folder / "metrics_credentials.parquet")
    schema = table.schema
    assert schema.field("issued_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("issued_week").type == pa.date32()
    assert schema.field("bounced").type == pa.bool_()
    assert schema.field("verification_views").type == pa.int64()
    assert schema.field("hours_to_accept").type == pa.float64()
    frame = table.to_pandas().set_index("credential_id")
    assert frame.loc[C[1], "verification_views"] == 2
    weekly = pq.read_table(folder / "metrics_by_course_weekly.parquet").to_pandas()
    assert sorted(weekly["course_id"]) == ["DS101", "DS101", "DS201"]


def test_an_empty_view_keeps_its_typed_columns(known, tmp_path):
    _, sessions = known  # not rebuilt: every view is empty
    with sessions() as s:
        (path,) = export_metrics(
            s.connection(), tmp_path, formats=("parquet",), views=["metrics_by_cohort"]
        )
    assert pq.read_schema(path) == arrow_schema("metrics_by_cohort")
    assert pq.read_schema(path).field("issued").type == pa.int64()
    assert len(view("metrics_by_cohort").columns) == len(pq.read_schema(path))


def test_unknown_view_or_format(known, tmp_path):
    _, sessions = known
    with sessions() as s, pytest.raises(KeyError):
        export_metrics(s.connection(), tmp_path, views=["nope"])
    with sessions() as s, pytest.raises(ValueError, match="xlsx"):
        export_metrics(s.connection(), tmp_path, formats=("xlsx",))
