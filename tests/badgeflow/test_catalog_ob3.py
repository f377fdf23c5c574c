"""Catalog extras: alignment, evidence and endorsement files are checked when loaded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from badgeflow.catalog import load_catalog
from badgeflow.errors import CatalogError

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "catalog" / "tiny"


@pytest.fixture
def catalog_dir(tmp_path) -> Path:
    target = tmp_path / "catalog"
    shutil.copytree(TINY, target)
    return target


def add(catalog_dir: Path, **extra) -> None:
    file = catalog_dir / "achievements" / "basics.yaml"
    data = yaml.safe_load(file.read_text("utf-8"))
    file.write_text(yaml.safe_dump({**data, **extra}), encoding="utf-8")


def test_extras_reach_the_achievement(catalog_dir):
    add(
        catalog_dir,
        alignment=[
            {"targetName": "SQL", "targetUrl": "https://x.example/sql", "targetType": "CFItem"}
        ],
        evidence=[{"name": "Exam", "assessor": "an instructor", "duration": "2 hours"}],
        humanCode="B1",
        creditsAvailable=2,
    )
    info = load_catalog(catalog_dir).achievement_info("basics", site_base_url="https://b.example")
    assert info.alignments[0].target_type == "CFItem"
    assert info.evidence[0].narrative == "**Assessor:** an instructor\n\n**Duration:** 2 hours"
    assert info.human_code == "B1" and info.credits_available == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"alignment": [{"targetName": "SQL", "targetUrl": "sql"}]}, "targetUrl"),
        (
            {
                "alignment": [
                    {"targetName": "SQL", "targetUrl": "https://x.example", "targetType": "Skill"}
                ]
            },
            "targetType",
        ),
        (
            {"alignment": [{"targetName": "SQL", "targetUrl": "https://x.example", "typo": 1}]},
            "typo",
        ),
        ({"evidence": [{"genre": "Exam"}]}, "needs a name"),
        ({"endorsements": ["endorsements/missing.json"]}, "missing"),
    ],
)
def test_bad_extras_are_catalog_errors(catalog_dir, extra, message):
    add(catalog_dir, **extra)
    with pytest.raises(CatalogError, match=message):
        load_catalog(catalog_dir)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"type": ["VerifiableCredential"]}, "not an EndorsementCredential"),
        ({"type": ["EndorsementCredential"], "credentialSubject": {"id": "x:y"}}, "not signed"),
        ({"type": ["EndorsementCredential"], "proof": {}}, "no credentialSubject.id"),
    ],
)
def test_endorsement_files_are_checked(catalog_dir, document, message):
    (catalog_dir / "endorsements").mkdir()
    (catalog_dir / "endorsements" / "e.json").write_text(json.dumps(document), encoding="utf-8")
    add(catalog_dir, endorsements=["endorsements/e.json"])
    with pytest.raises(CatalogError, match=message):
        load_catalog(catalog_dir)
