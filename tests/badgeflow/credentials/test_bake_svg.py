"""Baking credentials into SVG images, and reading the 1EdTech baked samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from badgeflow.credentials.bake_svg import (
    OB2_SVG_NAMESPACE,
    OB3_SVG_NAMESPACE,
    bake_svg,
    bake_svg_ob2,
    unbake_svg,
)
from badgeflow.errors import CredentialError

from .conftest import reference_path

CATALOG_SVG = Path(__file__).parents[3] / "badge_catalog" / "images" / "data-foundations.svg"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="1"><g/></svg>'


def test_round_trip_with_a_catalog_image():
    original = CATALOG_SVG.read_text(encoding="utf-8")
    payload = json.dumps({"name": "Données — ünïcode ✓", "tricky": "a]]>b"}, ensure_ascii=False)
    baked = bake_svg(original, payload)
    assert unbake_svg(baked) == payload
    assert f'xmlns:openbadges="{OB3_SVG_NAMESPACE}"' in baked.split(">", 2)[1]
    # The element comes directly after the <svg> opening tag; the rest is untouched.
    opening_end = baked.index(">", baked.index("<svg")) + 1
    assert baked[opening_end:].lstrip().startswith("<openbadges:credential><![CDATA[")
    assert baked.endswith(original[original.index("<title") - 3 :])


def test_rebaking_replaces_the_element_and_keeps_one_declaration():
    baked = bake_svg(bake_svg(SVG, '{"n": 1}'), '{"n": 2}')
    assert unbake_svg(baked) == '{"n": 2}'
    assert baked.count("<openbadges:credential") == 1
    assert baked.count("xmlns:openbadges") == 1
    assert baked.endswith("</openbadges:credential><g/></svg>")


def test_an_empty_existing_element_is_replaced_without_eating_its_sibling():
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'
        '<openbadges:credential verify="a.b.c"/><g id="x>y"/></svg>'
    )
    assert unbake_svg(svg) == "a.b.c"
    baked = bake_svg(svg, "{}")
    assert unbake_svg(baked) == "{}"
    assert baked.endswith('<g id="x>y"/></svg>')


def test_official_json_sample_unbakes_to_the_validator_credential():
    svg = reference_path("examples/ob30/validator/baked/simple-json.svg").read_text("utf-8")
    expected = json.loads(reference_path("examples/ob30/validator/simple.json").read_text("utf-8"))
    unbaked = json.loads(unbake_svg(svg))
    # The baked sample is simple.json signed again: same credential, another key and proof.
    assert {k: v for k, v in unbaked.items() if k != "proof"} == {
        k: v for k, v in expected.items() if k != "proof"
    }
    assert unbaked["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"


def test_official_jwt_sample_unbakes_to_a_compact_jws():
    svg = reference_path("examples/ob30/validator/baked/simple-jwt.svg").read_text("utf-8")
    jws = unbake_svg(svg)
    assert jws.count(".") == 2 and jws.startswith("eyJ")


def test_ob2_assertion_element_is_read():
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        '<openbadges:assertion verify="h.p.s"/></svg>'
    )
    assert unbake_svg(svg) == "h.p.s"


@pytest.mark.parametrize(
    "svg",
    [
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
        '<svg xmlns="http://www.w3.org/2000/svg">&b;</svg>',
        '<!DOCTYPE svg [<!ELEMENT svg ANY>]><svg xmlns="http://www.w3.org/2000/svg"/>',
    ],
    ids=["entity-expansion", "internal-subset"],
)
def test_a_doctype_with_declarations_is_refused(svg):
    with pytest.raises(CredentialError, match="refused"):
        unbake_svg(svg)
    with pytest.raises(CredentialError, match="refused"):
        bake_svg(svg, "{}")


@pytest.mark.parametrize(
    ("svg", "match"),
    [
        ("<svg", "not well-formed"),
        ("<html/>", "not an SVG"),
        ('<svg xmlns="http://www.w3.org/2000/svg"/>', "self-closing"),
        (
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org"><g/></svg>',
            "already bound",
        ),
    ],
)
def test_bake_refuses_what_it_cannot_bake_into(svg, match):
    with pytest.raises(CredentialError, match=match):
        bake_svg(svg, "{}")


def test_unbaking_a_plain_svg_says_there_is_no_badge():
    with pytest.raises(CredentialError, match="no baked Open Badge"):
        unbake_svg(SVG)


def test_ob2_hosted_assertion_round_trip_with_a_catalog_image():
    original = CATALOG_SVG.read_text(encoding="utf-8")
    url = "https://badges.example.org/ob2/assertions/a.json?x=1&y=2"
    payload = json.dumps({"id": url, "narrative": "a]]>b"})
    baked = bake_svg_ob2(original, verify=url, assertion=payload)
    assert unbake_svg(baked) == payload
    assert f'xmlns:openbadges="{OB2_SVG_NAMESPACE}"' in baked.split(">", 2)[1]
    assert (
        '<openbadges:assertion verify="https://badges.example.org/ob2/assertions/a.json?x=1&amp;y=2">'
        in baked
    )


def test_ob2_signed_assertion_is_the_verify_attribute_and_rebaking_replaces_it():
    baked = bake_svg_ob2(bake_svg_ob2(SVG, verify="h.p.s1"), verify="h.p.s2")
    assert unbake_svg(baked) == "h.p.s2"
    assert baked.count("<openbadges:assertion") == 1 and baked.count("xmlns:openbadges") == 1


def test_ob2_and_ob3_namespaces_do_not_mix():
    with pytest.raises(CredentialError, match="already bound"):
        bake_svg_ob2(bake_svg(SVG, "{}"), verify="h.p.s")
