"""`badgeflow metrics`: terminal tables, --view/--format, export and refresh on a known store."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from badgeflow.cli import app
from badgeflow.cli.metrics import format_table
from tests.badgeflow.metrics.known import CATALOG, build_known_store, known_settings

runner = CliRunner()


@pytest.fixture
def configured(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'badgeflow.db'}"
    settings = known_settings(tmp_path, url)
    engine, _ = build_known_store(settings)
    engine.dispose()
    events = tmp_path / "events"
    events.mkdir()
    (events / "a.ndjson").write_text(
        json.dumps(
            {
                "email": "bob@example.org",
                "timestamp": 1764000000,
                "event": "delivered",
                "sg_event_id": "e1",
                "smtp-id": "<award.4@badges.example.org>",
            }
        )
        + "\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BADGEFLOW_CONFIG", raising=False)
    monkeypatch.setenv("BADGEFLOW_DATABASE__URL", url)
    monkeypatch.setenv("BADGEFLOW_CATALOG_DIR", str(CATALOG))
    monkeypatch.setenv("BADGEFLOW_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("BADGEFLOW_FACTS__COHORTS_FILE", str(settings.facts.cohorts_file))
    monkeypatch.setenv(
        "BADGEFLOW_ENGAGEMENT__MAIL_EVENTS",
        json.dumps([{"name": "sendgrid", "path": str(events / "*")}]),
    )
    return tmp_path


def test_refresh_then_show_export(configured):
    before = runner.invoke(app, ["metrics"])
    assert before.exit_code == 0, before.output
    assert "not computed yet" in before.output
    refreshed = runner.invoke(app, ["metrics", "refresh"])
    assert refreshed.exit_code == 0, refreshed.output
    assert "mail events sendgrid: 1 new, 0 already stored, 0 unmatched" in refreshed.output
    assert "metrics: 5 of 5 credentials recomputed (full)" in refreshed.output
    again = runner.invoke(app, ["metrics", "refresh"]).output
    assert "metrics: 0 of 5 credentials recomputed," in again
    shown = runner.invoke(app, ["metrics"])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert "  issued                   5" in lines
    assert "  acceptance_rate          0.80" in lines
    header = next(line for line in lines if line.startswith("achievement_id"))
    row = next(line for line in lines if line.startswith("data-foundations"))
    assert len(header) >= len(row) - 8 and header.index("issued") < row.index(" 3 ") + 8
    assert any(
        line.startswith("data-skills") and "Certified Data Practitioner" in line for line in lines
    )
    exported = runner.invoke(app, ["metrics", "export", "--format", "csv", "--out", "x"])
    assert exported.exit_code == 0, exported.output
    assert (configured / "x" / "metrics_by_source.csv").exists()
    assert not (configured / "x" / "metrics_by_source.parquet").exists()


def test_one_view_as_json_and_csv(configured):
    runner.invoke(app, ["metrics", "refresh"])
    as_json = runner.invoke(app, ["metrics", "--view", "metrics_by_course", "--format", "json"])
    rows = json.loads(as_json.output)
    assert [(r["course_id"], r["issued"]) for r in rows] == [("DS101", 3), ("DS201", 2)]
    as_csv = runner.invoke(
        app, ["metrics", "--view", "metrics_pathway_funnel", "--format", "csv", "--limit", "2"]
    ).output.splitlines()
    assert as_csv[0].startswith("pathway,pathway_name,tier,tier_name,learners")
    assert len(as_csv) == 3
    everything = json.loads(runner.invoke(app, ["metrics", "--format", "json"]).output)
    assert list(everything) == [
        "metrics_overall",
        "metrics_by_achievement",
        "metrics_pathway_funnel",
    ]
    bad = runner.invoke(app, ["metrics", "--view", "nope"])
    assert bad.exit_code == 2 and "no metrics view 'nope'" in bad.output


def test_format_table_aligns_columns():
    frame = pd.DataFrame({"name": ["a", "long-name"], "n": [5, 123], "rate": [0.5, None]})
    assert format_table(frame).splitlines() == [
        "name         n  rate",
        "a            5  0.50",
        "long-name  123     -",
    ]
