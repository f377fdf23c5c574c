"""The README documents every metrics view and column, exactly as views.py has them."""

from __future__ import annotations

from pathlib import Path

from badgeflow.metrics.docs import view_tables
from badgeflow.metrics.views import VIEWS

README = Path(__file__).resolve().parents[3] / "README.md"


def _block() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("<!-- metrics-views:begin -->\n", 1)[1].split(
        "<!-- metrics-views:end -->", 1
    )[0]


def test_the_readme_tables_are_generated_from_views_py():
    assert _block() == view_tables()


def test_every_view_and_column_is_listed():
    block = _block()
    for spec in VIEWS:
        section = block.split(f"#### `{spec.name}`\n", 1)[1].split("#### ", 1)[0]
        listed = [line.split("`")[1] for line in section.splitlines() if line.startswith("| `")]
        assert listed == list(spec.columns), spec.name
