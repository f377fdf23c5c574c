"""A small badgeflow environment with one CSV export source, for the batch-level contract rules."""

from __future__ import annotations

from pathlib import Path

from badgeflow.settings import Settings

REPO = Path(__file__).resolve().parents[1]
HEADER = (
    "learner_id,learner_email,learner_name,course_id,course_name,completed,completed_at,"
    "score,modules_completed,modules_total,source_record_id,score_kind"
)


def write_export(path: Path, *, good: int, bad: int = 0, name: str = "Learner") -> Path:
    """Write a canonical export: `good` valid completions, then `bad` with a score of 140."""
    lines = [HEADER]
    for i in range(good + bad):
        score = 140 if i >= good else 90
        lines.append(
            f"L-{i:04},learner{i}@example.com,{name} {i},SQL110,SQL Essentials,true,"
            f"2026-03-20T09:15:00Z,{score},6,6,R-{i:04},final_assessment"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def export_settings(root: Path, export: Path, **contracts: object) -> Settings:
    """Settings whose state lives under `root`, with one CSV source named ``export``."""
    var = root / "var"
    return Settings(
        var_dir=var,
        catalog_dir=REPO / "badge_catalog",
        contracts_dir=REPO / "data_contracts",
        database={"url": f"sqlite:///{var / 'badgeflow.db'}"},
        signing={"keys_dir": var / "keys", "passphrase": "test-passphrase"},
        site={"output_dir": var / "site"},
        mail={"outbox_dir": var / "outbox"},
        sources=[{"name": "export", "kind": "csv", "path": export}],
        contracts=contracts,
    )


def write_export_config(root: Path, export: Path) -> Path:
    """The TOML config the flow reads (``BADGEFLOW_CONFIG``) for `export_settings`'s layout."""
    var = root / "var"
    config = root / "badgeflow.toml"
    config.write_text(
        f'''
var_dir = "{var}"
catalog_dir = "{REPO / "badge_catalog"}"
contracts_dir = "{REPO / "data_contracts"}"

[database]
url = "sqlite:///{var / "badgeflow.db"}"

[signing]
keys_dir = "{var / "keys"}"
passphrase = "test-passphrase"

[site]
output_dir = "{var / "site"}"

[mail]
outbox_dir = "{var / "outbox"}"

[[sources]]
name = "export"
kind = "csv"
path = "{export}"
''',
        encoding="utf-8",
    )
    return config
