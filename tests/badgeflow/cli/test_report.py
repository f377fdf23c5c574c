"""`badgeflow report`, and what `batches`, `quarantine` and a failed `run` say about reports."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from typer.testing import CliRunner

from badgeflow import store
from badgeflow.cli import app
from badgeflow.cli.report import explain_halt
from badgeflow.models import QUARANTINE_COLUMNS
from badgeflow.settings import Settings

runner = CliRunner()
AT = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
HALT = "Batch halted before anything was issued: source export: 50.0% of 2 rows failed."


@pytest.fixture
def halted_batch(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BADGEFLOW_CONFIG", raising=False)
    (tmp_path / "var").mkdir()
    engine = store.make_engine("sqlite:///var/badgeflow.db")
    store.migrate(engine)
    rejected = pd.DataFrame(
        [["export", 2, "export:R-2", "score 140 is outside 0-100", {"score": "140"}]],
        columns=list(QUARANTINE_COLUMNS[:5]),
    )
    section = {"rows_in": 2, "accepted": 1, "quarantined": 1, "halted": True, "message": HALT}
    with store.session_factory(engine).begin() as session:
        store.start_batch(session, batch_id="b-1", as_of=AT, started_at=AT)
        store.record_quarantine(session, rejected, batch_id="b-1")
        store.finish_batch(
            session,
            "b-1",
            status="failed",
            finished_at=AT,
            summary={"as_of": AT.isoformat(), "halted": HALT, "contracts": {"export": section}},
        )
    engine.dispose()
    return tmp_path / "var" / "reports" / "b-1"


def test_report_rebuilds_both_files_from_the_store(halted_batch):
    result = runner.invoke(app, ["report"])

    assert result.exit_code == 0, result.output
    assert "validation report  var/reports/b-1/validation.html" in result.output
    assert "Batch halted." in (halted_batch / "validation.html").read_text()
    lines = (halted_batch / "quarantine.csv").read_text().splitlines()
    assert lines[1] == "b-1,export,2,export:R-2,score 140 is outside 0-100,,,,140"


def test_report_of_an_unknown_batch_fails(halted_batch):
    result = runner.invoke(app, ["report", "nope"])
    assert result.exit_code == 2
    assert "unknown batch 'nope'" in result.output


def test_batches_and_quarantine_show_the_halt_and_point_at_the_reports(halted_batch):
    assert runner.invoke(app, ["report", "b-1"]).exit_code == 0

    listing = runner.invoke(app, ["batches"])
    shown = runner.invoke(app, ["quarantine"])

    assert "b-1" in listing.output and " halted " in listing.output
    assert "reports of b-1: var/reports/b-1/validation.html" in listing.output
    assert "reports of b-1: var/reports/b-1/validation.html" in shown.output


def test_a_failed_run_explains_the_halt(halted_batch, capsys):
    explain_halt(Settings(), None)

    err = capsys.readouterr().err
    assert HALT in err
    assert "badgeflow run --batch-id b-1 --accept-contract-breach" in err
