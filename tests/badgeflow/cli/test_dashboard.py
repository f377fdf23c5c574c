"""`badgeflow metrics dashboard` (the command function; the lead registers it in the CLI)."""

from __future__ import annotations

import shutil

import pytest
import typer
from typer.testing import CliRunner

from badgeflow.cli.dashboard import dashboard
from tests.badgeflow.metrics.rows import fill, migrated

runner = CliRunner()
cli = typer.Typer()
cli.command()(dashboard)


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli-dash") / "badgeflow.db"
    engine = migrated(f"sqlite:///{path}")
    fill(engine)
    engine.dispose()
    return path


@pytest.fixture
def project(database, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BADGEFLOW_CONFIG", raising=False)
    (tmp_path / "var").mkdir()
    shutil.copyfile(database, tmp_path / "var" / "badgeflow.db")
    monkeypatch.setenv("BADGEFLOW_DATABASE__URL", "sqlite:///var/badgeflow.db")
    return tmp_path


def test_it_writes_to_var_dashboard_by_default(project):
    result = runner.invoke(cli, [])

    assert result.exit_code == 0, result.output
    assert result.output == "dashboard       var/dashboard/index.html\n"
    assert "Badges issued" in (project / "var" / "dashboard" / "index.html").read_text()


def test_out_and_the_setting_choose_the_folder(project, monkeypatch):
    monkeypatch.setenv("BADGEFLOW_ENGAGEMENT__DASHBOARD_DIR", str(project / "set"))
    by_setting = runner.invoke(cli, [])
    by_option = runner.invoke(cli, ["--out", "chosen"])

    assert by_setting.exit_code == 0 and (project / "set" / "index.html").exists()
    assert by_option.exit_code == 0 and "chosen/index.html" in by_option.output
    assert (project / "chosen" / "data" / "metrics_overall.csv").exists()


def test_an_uninitialised_database_exits_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BADGEFLOW_CONFIG", raising=False)
    monkeypatch.setenv("BADGEFLOW_DATABASE__URL", f"sqlite:///{tmp_path / 'none.db'}")
    result = runner.invoke(cli, [])
    assert result.exit_code == 2 and "badgeflow init" in result.output
