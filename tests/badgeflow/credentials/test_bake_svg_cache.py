"""Baking from the parsed image cached per image gives the bytes of parsing it each time."""

from __future__ import annotations

import importlib

from hypothesis import given, settings
from hypothesis import strategies as st

from badgeflow.credentials.bake_svg import bake_svg, bake_svg_ob2

# The package exports a function named like the module: take the module itself.
module = importlib.import_module("badgeflow.credentials.bake_svg")

TEXT = st.text(st.sampled_from(list("ab <>&\"']]>é\u202e\n\t{}:")), max_size=12)


def reference_insert(svg: str, namespace: str, name: str, element: str) -> str:
    """The insertion as it was before the per-image cache: parse, cut and join every time."""
    scan = module._scan(svg)
    declared = scan.root_namespaces.get("openbadges")
    data = svg.encode("utf-8")
    old = scan.found.get(name)
    if old is not None:
        end = module._tag_end(data, old.start)
        if data[end - 2 : end] != b"/>":
            end = module._tag_end(data, old.end_tag)
        start = old.start
        while start > 0 and data[start - 1 : start] in (b" ", b"\t", b"\n", b"\r"):
            start -= 1
        data = data[:start] + data[end:]
    root_end = module._tag_end(data, scan.root_start)
    opening = data[scan.root_start : root_end - 1]
    if declared is None:
        opening += f' xmlns:openbadges="{namespace}"'.encode()
    return (
        data[: scan.root_start] + opening + b">" + f"\n  {element}".encode() + data[root_end:]
    ).decode("utf-8")


@st.composite
def images(draw):
    prolog = draw(st.sampled_from(["", '<?xml version="1.0" encoding="UTF-8"?>\n', "<!-- é -->"]))
    declare = draw(st.sampled_from(["", ' xmlns:openbadges="http://openbadges.org"']))
    title = draw(TEXT).replace("&", "&amp;").replace("<", "&lt;").replace("]]>", "]]&gt;")
    title = title.replace('"', "&quot;")
    old = draw(
        st.sampled_from(
            [
                "",
                '\n  <openbadges:assertion verify="a>b"/>',
                '\n\t<openbadges:assertion verify="x"><![CDATA[{"a": 1}]]></openbadges:assertion>',
            ]
        )
    )
    if old and not declare:
        declare = ' xmlns:openbadges="http://openbadges.org"'
    return (
        f'{prolog}<svg xmlns="http://www.w3.org/2000/svg" title="{title}" a=\'>\'{declare}>'
        f"{old}<title>{title}</title><g/></svg>\n"
    )


@settings(max_examples=60, deadline=None)
@given(svgs=st.lists(images(), min_size=1, max_size=3), payloads=st.lists(TEXT, min_size=1))
def test_cached_baking_equals_parsing_each_time(svgs, payloads):
    module._split.cache_clear()
    for n, payload in enumerate(payloads):
        svg = svgs[n % len(svgs)]
        baked = bake_svg_ob2(svg, verify=payload, assertion=payload if n % 2 else None)
        escaped = payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        escaped = escaped.replace('"', "&quot;")
        cdata = "<![CDATA[" + payload.replace("]]>", "]]]]><![CDATA[>") + "]]>"
        element = (
            f'<openbadges:assertion verify="{escaped}">{cdata}</openbadges:assertion>'
            if n % 2
            else f'<openbadges:assertion verify="{escaped}"/>'
        )
        expected = reference_insert(svg, module.OB2_SVG_NAMESPACE, module._OB2_ELEMENT, element)
        assert baked == expected
        if "xmlns:openbadges" not in svg:
            ob3 = f"<openbadges:credential>{cdata}</openbadges:credential>"
            assert bake_svg(svg, payload) == reference_insert(
                svg, module.OB3_SVG_NAMESPACE, module._OB3_ELEMENT, ob3
            )
