"""Builds a complete badgeflow environment in a temporary folder, on the bundled demo data."""

from __future__ import annotations

from pathlib import Path

from badgeflow.demo import demo_attestations_path, demo_cohorts_path, demo_csv_path
from badgeflow.settings import Settings

REPO = Path(__file__).resolve().parents[1]


def write_config(
    root: Path, moodle_url: str, canvas_url: str | None = None, talentlms_url: str | None = None
) -> Path:
    """Write a badgeflow TOML config whose state lives under `root`; return its path.

    With `canvas_url`, the demo's fake Canvas is a third source (``canvas-demo``); with
    `talentlms_url`, the demo's fake TalentLMS is another (``talentlms-demo``).
    """
    config = root / "badgeflow.toml"
    canvas = (
        f'''
[[sources]]
name = "canvas-demo"
kind = "canvas"
base_url = "{canvas_url}"
token = "demo-canvas-token"
final_assessment = "Final exam"
'''
        if canvas_url
        else ""
    )
    if talentlms_url:
        canvas += f'''
[[sources]]
name = "talentlms-demo"
kind = "talentlms"
base_url = "{talentlms_url}"
api_key = "demo-talentlms-key"
final_assessment = "Final test"
'''
    config.write_text(
        f"""
var_dir = "{root / "var"}"
catalog_dir = "{REPO / "badge_catalog"}"
contracts_dir = "{REPO / "data_contracts"}"

[database]
url = "sqlite:///{root / "var" / "badgeflow.db"}"

[signing]
keys_dir = "{root / "var" / "keys"}"
passphrase = "test-passphrase"

[site]
output_dir = "{root / "var" / "site"}"

[mail]
outbox_dir = "{root / "var" / "outbox"}"

[[sources]]
name = "moodle-demo"
kind = "moodle"
base_url = "{moodle_url}"
token = "demo-token"
final_assessment = "final-exam"

[[sources]]
name = "partner-lms-export"
kind = "csv"
path = "{demo_csv_path()}"
{canvas}
[facts]
cohorts_file = "{demo_cohorts_path()}"
attestations_file = "{demo_attestations_path()}"
""",
        encoding="utf-8",
    )
    return config


def settings_from(config: Path) -> Settings:
    """Load settings from a config file, as the flow does."""
    import os

    previous = os.environ.get("BADGEFLOW_CONFIG")
    os.environ["BADGEFLOW_CONFIG"] = str(config)
    try:
        return Settings()
    finally:
        if previous is None:
            del os.environ["BADGEFLOW_CONFIG"]
        else:
            os.environ["BADGEFLOW_CONFIG"] = previous


def initialise(settings: Settings) -> None:
    """Create the key and the database schema, as `badgeflow init` does."""
    from badgeflow.cli import _init

    _init(settings)


def reset_database(url: str) -> None:
    """Drop badgeflow's tables (and Alembic's) from a shared test database."""
    from badgeflow.store import make_engine
    from tests.db_schema import drop_schema

    engine = make_engine(url)
    drop_schema(engine)
    engine.dispose()
