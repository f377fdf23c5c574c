from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from badgeflow.catalog import load_catalog
from badgeflow.criteria import AllOf, AssessmentPassed, CourseCompleted, HoldsBadge, Where
from badgeflow.errors import CatalogError

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "badge_catalog"
TINY = ROOT / "tests" / "fixtures" / "catalog" / "tiny"
BASE = "https://badges.example.org"


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    target = tmp_path / "catalog"
    shutil.copytree(TINY, target)
    return target


def _edit(path: Path, **changes) -> None:
    data = yaml.safe_load(path.read_text())
    data.update(changes)
    path.write_text(yaml.safe_dump(data))


def test_real_catalog_orders_prerequisites_first():
    order = load_catalog(REAL).topological_order()
    assert order.index("data-foundations") < order.index("data-applied")
    assert order.index("data-applied") < order.index("certified-data-practitioner")
    assert sorted(order) == sorted(load_catalog(REAL).achievement_slugs)


def test_rules_are_parsed_into_clause_trees():
    catalog = load_catalog(REAL)
    assert catalog.achievement("certified-data-practitioner").rule == AllOf(
        (
            HoldsBadge("data-foundations"),
            HoldsBadge("data-applied", for_days=182),
            CourseCompleted("DS301", all_modules=True),
            AssessmentPassed("DS390", pass_mark=70),
        )
    )
    sql = catalog.achievement("sql-essentials").rule
    assert sql == CourseCompleted("SQL110", min_score=75, min_modules=6, all_modules=True)
    assert str(sql.where).endswith("badge_catalog/achievements/sql-essentials.yaml:13")


def test_achievement_info_urls():
    info = load_catalog(REAL).achievement_info("sql-essentials", site_base_url=BASE + "/")
    assert info.id == f"{BASE}/achievements/sql-essentials"
    assert info.criteria_url == f"{BASE}/achievements/sql-essentials#criteria"
    assert info.image_url == f"{BASE}/achievements/sql-essentials.png"
    assert info.name == "SQL Essentials"
    assert info.valid_for_days is None
    cert = load_catalog(REAL).achievement_info("certified-data-practitioner", site_base_url=BASE)
    assert (cert.achievement_type, cert.valid_for_days) == ("Certification", 730)


def test_issuer_info():
    issuer = load_catalog(REAL).issuer_info(
        issuer_did="did:web:badges.example.org", site_base_url=BASE
    )
    assert issuer.id == "did:web:badges.example.org"
    assert issuer.name == "Badgeflow Academy"
    assert issuer.image_url == f"{BASE}/issuer/logo.png"
    assert issuer.email and issuer.url.startswith("https://")


def test_image_paths_point_at_files():
    catalog = load_catalog(REAL)
    assert catalog.image_path("data-foundations", ".png").is_file()
    assert catalog.image_path("data-foundations", ".svg").suffix == ".svg"
    assert catalog.issuer_image_path(".png").is_file()
    with pytest.raises(CatalogError, match="suffix"):
        catalog.image_path("data-foundations", ".gif")


def test_unknown_achievement_is_a_catalog_error():
    with pytest.raises(CatalogError, match="unknown achievement 'nope'"):
        load_catalog(REAL).achievement_info("nope", site_base_url=BASE)


def test_catalog_is_frozen():
    catalog = load_catalog(TINY)
    with pytest.raises(ValueError):
        catalog.achievement("basics").name = "x"  # type: ignore[misc]


def test_missing_image(tiny: Path):
    (tiny / "images" / "basics.png").unlink()
    with pytest.raises(CatalogError, match=r"basics: image file .*basics.png is missing"):
        load_catalog(tiny)


def test_unknown_prerequisite(tiny: Path):
    _edit(
        tiny / "achievements" / "advanced.yaml",
        rules={"prerequisites": ["nope"], "all_of": [{"course": "A1"}]},
    )
    with pytest.raises(CatalogError, match=r"advanced\.yaml:\d+: holds unknown achievement 'nope'"):
        load_catalog(tiny)


def test_cyclic_prerequisites(tiny: Path):
    _edit(
        tiny / "achievements" / "basics.yaml",
        rules={"prerequisites": ["advanced"], "all_of": [{"course": "B1"}]},
    )
    with pytest.raises(
        CatalogError,
        match=r"basics\.yaml:\d+: cyclic prerequisites: advanced -> basics -> advanced \(",
    ):
        load_catalog(tiny)


def test_unknown_course_rule_key(tiny: Path):
    _edit(
        tiny / "achievements" / "advanced.yaml",
        rules={"prerequisites": ["basics"], "all_of": [{"course": "A1", "min_scor": 50}]},
    )
    with pytest.raises(
        CatalogError,
        match=r"advanced\.yaml:\d+: unknown key 'min_scor' in a `course` clause \(allowed: ",
    ):
        load_catalog(tiny)


def test_condition_without_course_or_holds(tiny: Path):
    _edit(tiny / "achievements" / "advanced.yaml", rules={"all_of": [{"min_score": 50}]})
    with pytest.raises(
        CatalogError,
        match=r"advanced\.yaml:\d+: no clause key among min_score; a clause needs one of: all, ",
    ):
        load_catalog(tiny)


def test_slug_must_match_file_name(tiny: Path):
    _edit(tiny / "achievements" / "basics.yaml", slug="basic")
    with pytest.raises(CatalogError, match="slug 'basic' does not match the file name 'basics'"):
        load_catalog(tiny)


def test_bad_field_values_name_the_file(tiny: Path):
    _edit(
        tiny / "achievements" / "advanced.yaml",
        rules={"all_of": [{"course": "A1", "min_score": 140}]},
    )
    with pytest.raises(
        CatalogError,
        match=r"advanced\.yaml:\d+: `min_score` must be a number from 0 to 100; got 140",
    ):
        load_catalog(tiny)


def test_unknown_achievement_type(tiny: Path):
    _edit(tiny / "achievements" / "basics.yaml", achievementType="Trophy")
    with pytest.raises(CatalogError, match="'Trophy' is not an OB 3.0 AchievementType"):
        load_catalog(tiny)
    _edit(tiny / "achievements" / "basics.yaml", achievementType="ext:Trophy")
    assert load_catalog(tiny).achievement("basics").achievement_type == "ext:Trophy"


def test_pathway_tiers_must_chain(tiny: Path):
    (tiny / "pathways").mkdir()
    (tiny / "pathways" / "ladder.yaml").write_text("name: Ladder\ntiers: [advanced, basics]\n")
    with pytest.raises(CatalogError, match="tier 'basics' must list 'advanced' as a prerequisite"):
        load_catalog(tiny)
    (tiny / "pathways" / "ladder.yaml").write_text("name: Ladder\ntiers: [basics, advanced]\n")
    assert load_catalog(tiny).pathways["ladder"].tiers == ("basics", "advanced")


def test_invalid_yaml(tiny: Path):
    (tiny / "achievements" / "basics.yaml").write_text("name: [unclosed\n")
    with pytest.raises(CatalogError, match="not valid YAML"):
        load_catalog(tiny)


def test_missing_issuer(tiny: Path):
    (tiny / "issuer.yaml").unlink()
    with pytest.raises(CatalogError, match=r"issuer\.yaml:1: missing"):
        load_catalog(tiny)


def test_rule_is_the_parsed_clause_tree_with_file_and_line():
    rule = load_catalog(REAL).achievement("certified-data-practitioner").rule
    assert rule == AllOf(
        (
            HoldsBadge("data-foundations"),
            HoldsBadge("data-applied", 182),
            CourseCompleted("DS301", all_modules=True),
            AssessmentPassed("DS390", 70),
        )
    )
    file = str(REAL / "achievements" / "certified-data-practitioner.yaml")
    assert isinstance(rule, AllOf)
    assert [c.where for c in rule.clauses] == [Where(file, n) for n in (25, 26, 28, 30)]
    assert load_catalog(REAL).achievement("certified-data-practitioner").dependencies == (
        "data-foundations",
        "data-applied",
    )
