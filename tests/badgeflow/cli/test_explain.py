"""`badgeflow explain`, `badgeflow pathways` and `badgeflow run --dry-run` on a demo store."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from badgeflow import store
from badgeflow.cli import app
from badgeflow.demo import demo_dataset_path
from badgeflow.fakelms.moodle import FakeMoodle, MoodleDataset
from badgeflow.models import ACHIEVEMENT_ID, LEARNER_EMAIL
from badgeflow.pipeline import Runtime
from tests.badgeflow.pipeline.test_preview import run_batch, snapshot
from tests.demo_env import initialise, settings_from, write_config

AS_OF = "2026-11-29T12:00:00+00:00"
runner = CliRunner()


@pytest.fixture
def demo(tmp_path, monkeypatch):
    with FakeMoodle(MoodleDataset.load(demo_dataset_path()), token="demo-token") as moodle:
        config = write_config(tmp_path, moodle.base_url)  # with the demo's fact files
        monkeypatch.setenv("BADGEFLOW_CONFIG", str(config))
        settings = settings_from(config)
        initialise(settings)
        runtime = Runtime(settings)
        yield runtime
        runtime.engine.dispose()


@pytest.fixture(scope="module")
def batched(tmp_path_factory):
    """A demo store after one batch (shared: these tests only read it)."""
    root = tmp_path_factory.mktemp("batched")
    with FakeMoodle(MoodleDataset.load(demo_dataset_path()), token="demo-token") as moodle:
        config = write_config(root, moodle.base_url)
        settings = settings_from(config)
        initialise(settings)
        runtime = Runtime(settings)
        run_batch(runtime, "batch-1")
        yield runtime, config
        runtime.engine.dispose()


@pytest.fixture
def after_batch(batched, monkeypatch):
    runtime, config = batched
    monkeypatch.setenv("BADGEFLOW_CONFIG", str(config))
    return runtime


def holder(runtime, slug):
    with runtime.sessions() as session:
        awards = store.load_awards(session)
    return sorted(awards[awards[ACHIEVEMENT_ID] == slug][LEARNER_EMAIL])[0]


def test_dry_run_prints_what_would_be_issued_and_writes_nothing(demo):
    before = snapshot(demo)
    result = runner.invoke(app, ["run", "--dry-run", "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    assert "nothing was written" in result.output
    assert "issue   data-foundations" in result.output
    assert "partner-lms-export" in result.output and "would issue" in result.output
    as_json = runner.invoke(app, ["run", "--dry-run", "--json", "--as-of", AS_OF])
    data = json.loads(as_json.output)
    assert data["totals"]["issue"] == len(data["awards"]) > 0
    assert snapshot(demo) == before


def test_dry_run_without_a_database_creates_none(tmp_path, monkeypatch):
    config = tmp_path / "badgeflow.toml"
    db = tmp_path / "var" / "none.db"
    config.write_text(
        f'[database]\nurl = "sqlite:///{db}"\n\n[[sources]]\nname = "x"\nkind = "csv"\n'
        f'path = "{tmp_path / "x.csv"}"\n'
    )
    monkeypatch.setenv("BADGEFLOW_CONFIG", str(config))
    result = runner.invoke(app, ["run", "--dry-run"])
    assert result.exit_code == 2 and "badgeflow init" in result.output
    assert not (tmp_path / "var").exists()


def test_explain_shows_each_clause_the_holding_and_the_pathway(after_batch):
    email = holder(after_batch, "data-foundations")
    result = runner.invoke(
        app,
        [
            "explain",
            "--learner",
            email.upper(),
            "--achievement",
            "data-foundations",
            "--as-of",
            AS_OF,
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"data-foundations for {email} as of {AS_OF}: MET"
    assert lines[1].startswith("  already holds it: award ")
    assert any(line.lstrip("└─ ").startswith("✓ DS101 completed") for line in lines), lines
    assert lines[-1].startswith("Data Skills: ") and " of 3" in lines[-1]

    ascii_out = runner.invoke(
        app,
        [
            "explain",
            "--learner",
            email,
            "--achievement",
            "certified-data-practitioner",
            "--as-of",
            AS_OF,
            "--ascii",
        ],
    )
    assert ascii_out.exit_code == 0 and "NOT MET" in ascii_out.output
    assert "[ ] all of" in ascii_out.output and "✗" not in ascii_out.output

    data = json.loads(
        runner.invoke(
            app,
            [
                "explain",
                "--learner",
                email,
                "--achievement",
                "data-applied",
                "--json",
                "--as-of",
                AS_OF,
            ],
        ).output
    )
    assert data["learner"] == email and data["rule"]["clause"] == "AllOf"
    assert data["pathways"][0]["pathway"] == "data-skills"


def test_explain_names_an_unknown_learner_or_achievement(after_batch):
    unknown = runner.invoke(
        app, ["explain", "--learner", "nobody@example.org", "--achievement", "data-foundations"]
    )
    assert (
        unknown.exit_code == 2 and "no completions or awards stored for learner" in unknown.output
    )
    email = holder(after_batch, "data-foundations")
    bad = runner.invoke(app, ["explain", "--learner", email, "--achievement", "nope"])
    assert bad.exit_code == 2 and "unknown achievement 'nope' (known: " in bad.output


def test_pathways_prints_holders_per_tier(after_batch):
    result = runner.invoke(app, ["pathways", "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "Data Skills (data-skills)"
    assert "tier 1  data-foundations" in result.output
    data = json.loads(runner.invoke(app, ["pathways", "--json", "--as-of", AS_OF]).output)
    assert data["data-skills"]["data-foundations"] > 0
