"""Lint the real badge catalog: cross-references, images, and criteria that match the rules."""

from __future__ import annotations

import csv
import json
import struct
import sys
import zlib
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml

from badgeflow.catalog import load_catalog
from badgeflow.catalog_check import check_catalog
from badgeflow.criteria.narrative import lint_narrative

ROOT = Path(__file__).resolve().parents[2]
CATALOG_DIR = ROOT / "badge_catalog"
CATALOG = load_catalog(CATALOG_DIR)
SLUGS = sorted(CATALOG.achievements)
SVG = "{http://www.w3.org/2000/svg}"


def test_every_achievement_file_is_loaded():
    files = sorted(p.stem for p in (CATALOG_DIR / "achievements").glob("*.yaml"))
    assert (
        files
        == SLUGS
        == sorted(
            [
                "certified-data-practitioner",
                "data-applied",
                "data-foundations",
                "data-mentor",
                "data-privacy-basics",
                "sql-essentials",
            ]
        )
    )


def test_data_skills_pathway_tiers():
    pathway = CATALOG.pathways["data-skills"]
    assert pathway.tiers == ("data-foundations", "data-applied", "certified-data-practitioner")
    order = CATALOG.topological_order()
    assert [order.index(t) for t in pathway.tiers] == sorted(order.index(t) for t in pathway.tiers)


@pytest.mark.parametrize("slug", SLUGS)
def test_cross_references_resolve(slug):
    for needed in CATALOG.achievement(slug).dependencies:
        assert needed in CATALOG.achievements


@pytest.mark.parametrize("stem", [*SLUGS, "issuer"])
def test_svg_parses_and_has_a_title(stem):
    path = CATALOG_DIR / "images" / f"{stem}.svg"
    root = ElementTree.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text
    if stem != "issuer":
        assert title.text == CATALOG.achievement(stem).name
        texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
        assert CATALOG.achievement(stem).name.upper() in texts


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, idat, size = 8, b"", (0, 0)
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    width, height = size
    assert len(zlib.decompress(idat)) == height * (1 + 4 * width)
    return size


@pytest.mark.parametrize("slug", SLUGS)
def test_png_twin_is_a_valid_256px_png(slug):
    assert _png_size(CATALOG.image_path(slug, ".png").read_bytes()) == (256, 256)


def test_png_renderer_is_deterministic_and_covers_every_svg():
    sys.path.insert(0, str(CATALOG_DIR))
    try:
        import render_pngs
    finally:
        sys.path.remove(str(CATALOG_DIR))
    stems = {p.stem for p in (CATALOG_DIR / "images").glob("*.svg")}
    assert stems == set(render_pngs.PALETTE)
    raw = render_pngs.render(*render_pngs.PALETTE["data-foundations"])
    assert (
        render_pngs.encode_png(raw)
        == (CATALOG_DIR / "images" / "data-foundations.png").read_bytes()
    )


def test_the_catalog_passes_catalog_check():
    check = check_catalog(CATALOG_DIR)
    assert [str(p) for p in check.problems] == []
    assert check.summary() == "6 achievements, 1 pathway, 7 courses: OK"


@pytest.mark.parametrize("slug", SLUGS)
def test_criteria_narrative_agrees_with_the_rule(slug):
    """Every course, badge, threshold and period of the rule is in the narrative people read:
    the written one, or the one generated from the rule when the file has none."""
    achievement = CATALOG.achievement(slug)
    narrative = CATALOG.criteria_narrative(slug)
    if achievement.criteria is not None:
        assert narrative == achievement.criteria.narrative
    found = lint_narrative(
        narrative,
        achievement.rule,
        courses=CATALOG.courses,
        badges={s: a.name for s, a in CATALOG.achievements.items()},
        valid_for_days=achievement.valid_for_days,
    )
    assert found == []


@pytest.mark.parametrize("slug", SLUGS)
def test_rules_are_written_in_the_clause_language(slug):
    """The demo catalog uses the new form (`all:` / one clause), not prerequisites/all_of."""
    text = (CATALOG_DIR / "achievements" / f"{slug}.yaml").read_text()
    assert "prerequisites:" not in text and "all_of:" not in text


def test_every_demo_course_is_registered_with_its_name():
    demo = ROOT / "badgeflow" / "demo"
    with (demo / "completions.csv").open(newline="") as f:
        names = {row["course_id"]: row["course_name"] for row in csv.DictReader(f)}
    moodle = json.loads((demo / "moodle.json").read_text())
    names |= {c["shortname"]: c["fullname"] for c in moodle["courses"]}
    assert {c: CATALOG.courses[c].name for c in names} == names


def test_sql_essentials_narrative_matches_its_thresholds():
    narrative = CATALOG.achievement("sql-essentials").criteria.narrative
    assert "all 6 modules" in narrative and "at least 75%" in narrative


def test_issuer_file():
    issuer = yaml.safe_load((CATALOG_DIR / "issuer.yaml").read_text())
    assert issuer["name"] == "Badgeflow Academy"
    assert CATALOG.issuer_image_path(".png").is_file()
