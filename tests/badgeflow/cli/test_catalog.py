"""`badgeflow catalog check` and `badgeflow catalog narrative`."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from badgeflow.cli import app

REPO = Path(__file__).resolve().parents[3]
runner = CliRunner()


def test_check_passes_the_real_catalog(monkeypatch):
    monkeypatch.delenv("BADGEFLOW_CONFIG", raising=False)
    monkeypatch.setenv("BADGEFLOW_CATALOG_DIR", str(REPO / "badge_catalog"))
    result = runner.invoke(app, ["catalog", "check"])
    assert (result.exit_code, result.output) == (0, "6 achievements, 1 pathway, 7 courses: OK\n")


def test_check_lists_every_problem_with_file_and_line_and_exits_1(tmp_path: Path):
    root = tmp_path / "cat"
    shutil.copytree(REPO / "tests" / "fixtures" / "catalog" / "tiny", root)
    advanced = root / "achievements" / "advanced.yaml"
    advanced.write_text(advanced.read_text().replace("course: A1", "course: A9"))
    (root / "pathways").mkdir()
    (root / "pathways" / "up.yaml").write_text("name: Up\ntiers: [advanced, basics]\n")
    result = runner.invoke(app, ["catalog", "check", "--catalog", str(root)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{advanced}:10: unknown course 'A9': not listed in courses.yaml",
        f"{advanced}:6: criteria.narrative does not mention course A9, which the rule requires",
        f"{advanced}:6: criteria.narrative mentions course A1, which the rule does not name",
        f"{root}/pathways/up.yaml:2: tier 'basics' must list 'advanced' as a prerequisite: the "
        "tier before it; add `holds: advanced` to its rule's `all:`",
        "2 achievements, 1 pathway, 2 courses: 4 problems",
    ]


def test_narrative_prints_the_generated_text():
    result = runner.invoke(
        app, ["catalog", "narrative", "data-foundations", "--catalog", str(REPO / "badge_catalog")]
    )
    assert result.exit_code == 0
    assert result.output == (
        'Awarded to learners who complete the course **DS101** "Introduction to Data Skills".\n'
    )


def test_narrative_of_an_unknown_achievement_exits_2():
    result = runner.invoke(
        app, ["catalog", "narrative", "nope", "--catalog", str(REPO / "badge_catalog")]
    )
    assert result.exit_code == 2
    assert "unknown achievement 'nope' (known: certified-data-practitioner," in result.output


def test_narrative_of_a_broken_catalog_lists_the_problems(tmp_path: Path):
    root = tmp_path / "cat"
    shutil.copytree(REPO / "tests" / "fixtures" / "catalog" / "tiny", root)
    (root / "courses.yaml").unlink()
    result = runner.invoke(app, ["catalog", "narrative", "basics", "--catalog", str(root)])
    assert result.exit_code == 1
    assert f"{root}/courses.yaml:1: missing" in result.output
