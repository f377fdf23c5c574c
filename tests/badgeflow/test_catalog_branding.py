from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from badgeflow.catalog import load_catalog
from badgeflow.catalog_branding import (
    Branding,
    branding_problems,
    contrast_ratio,
    load_branding,
    png_size,
)
from badgeflow.errors import CatalogError

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "catalog" / "tiny"
PNG_1x1 = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x01\x08\x06\x00\x00\x00"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    target = tmp_path / "cat"
    shutil.copytree(TINY, target)
    return target


def messages(root: Path) -> list[str]:
    return [str(p) for p in branding_problems(root)[1]]


def test_absent_file_means_the_defaults(root):
    assert not (root / "branding.yaml").exists()
    assert load_branding(root) == Branding()
    assert load_catalog(root).branding == Branding()


@pytest.mark.parametrize(
    ("fg", "bg", "ratio"),
    [("#000000", "#ffffff", 21.0), ("#ffffff", "#ffffff", 1.0), ("#767676", "#ffffff", 4.54)],
)
def test_contrast_ratio_matches_wcag(fg, bg, ratio):
    assert contrast_ratio(fg, bg) == pytest.approx(ratio, abs=0.01)
    assert contrast_ratio(bg, fg) == pytest.approx(ratio, abs=0.01)


def test_the_default_palette_passes_aa():
    colours = Branding().colours
    assert contrast_ratio(colours.text, colours.background) >= 4.5
    assert contrast_ratio(colours.on_primary, colours.primary) >= 4.5


def test_low_contrast_names_file_line_key_and_ratio(root):
    path = root / "branding.yaml"
    path.write_text('sender_name: Academy\ncolours:\n  primary: "#1d4ed8"\n  text: "#999999"\n')
    assert messages(root) == [
        f"{path}:4: colours.text #999999 on colours.background #ffffff (body text) has "
        "contrast 2.85:1; WCAG AA needs at least 4.5:1"
    ]
    with pytest.raises(CatalogError, match=r"branding\.yaml:4: colours\.text"):
        load_branding(root)
    with pytest.raises(CatalogError, match="colours.text"):
        load_catalog(root)


def test_a_light_button_label_on_a_light_button_is_caught(root):
    (root / "branding.yaml").write_text('colours:\n  primary: "#fde68a"\n')
    (problem,) = messages(root)
    assert "colours.on_primary #ffffff on colours.primary #fde68a (the button label)" in problem


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ('colours:\n  accent: "blue"\n', ":2: colours.accent: String should match pattern"),
        ("reply_to: not-an-address\n", ":1: reply_to: String should match pattern"),
        ("sender: X\n", ":1: sender: Extra inputs are not permitted"),
        ("support_url: ftp://x\n", ":1: support_url: String should match pattern"),
        ("- a list\n", ":1: expected a mapping at the top level"),
    ],
)
def test_malformed_values_name_the_key_and_line(root, yaml_text, expected):
    (root / "branding.yaml").write_text(yaml_text)
    (problem,) = messages(root)
    assert problem.startswith(str(root / "branding.yaml"))
    assert expected in problem


def test_the_logo_must_be_an_existing_small_png(root):
    path = root / "branding.yaml"
    path.write_text("logo: images/missing.png\n")
    assert messages(root) == [f"{path}:1: logo: file {root / 'images/missing.png'} is missing"]
    (root / "images" / "logo.svg").write_text("<svg/>")
    path.write_text("logo: images/logo.svg\n")
    assert "is not a PNG (email clients do not show SVG)" in messages(root)[0]
    (root / "images" / "big.png").write_bytes(PNG_1x1 + b"\0" * 60_000)
    path.write_text("logo: images/big.png\n")
    assert "at most 50000" in messages(root)[0]
    (root / "images" / "ok.png").write_bytes(PNG_1x1)
    path.write_text("logo: images/ok.png\nsender_name: Ada's Academy\n")
    assert messages(root) == []
    catalog = load_catalog(root)
    assert catalog.logo_path() == root / "images/ok.png"
    assert catalog.branding.sender_name == "Ada's Academy"


def test_png_size_reads_the_header():
    assert png_size(PNG_1x1) == (2, 1)
    assert png_size(b"GIF89a" + b"\0" * 30) is None


def test_the_shipped_catalog_branding_loads():
    root = Path(__file__).resolve().parents[2] / "badge_catalog"
    branding = load_branding(root)
    assert branding.sender_name and branding.logo == "images/issuer.png"
