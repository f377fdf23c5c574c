"""Hostile names and course texts come out as text on every page type, attributes included."""

from __future__ import annotations

from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from badgeflow.site.layout import SHARE_CHANNELS
from tests.badgeflow.site.factories import (
    HOSTILE_LEARNER,
    HOSTILE_TEXT,
    LEARNER_RTL,
    NAME_RTL,
    build,
    make_hostile_inputs,
    make_issuer,
)

CID = "00000000-0000-4000-8000-00000000beef"
HOSTILE_ISSUER = "Acad\"emy' <script>alert(7)</script> </title>"
ATTRIBUTES = {
    "alt", "aria-label", "aria-labelledby", "aria-live", "autocomplete", "charset", "class",
    "content", "data-hash", "data-salt", "datetime", "dir", "download", "for", "height", "href",
    "http-equiv", "id", "lang", "name", "property", "readonly", "rel", "required", "role", "src",
    "type", "value", "width",
    # the in-browser verifier's panel and script tag
    "aria-hidden", "data-credential", "data-root", "data-verify-panel", "data-verify-state",
    "defer",
}  # fmt: skip


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.title = ""
        self.h1 = 0
        self.scripts: list[str] = []
        self.body_text: list[tuple[str, tuple[str, ...]]] = []
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        self.attributes += [(tag, k, v) for k, v in a.items()]
        if tag == "meta" and (a.get("property") or a.get("name")):
            self.meta[a.get("property") or a.get("name")] = a.get("content", "")
        self.h1 += tag == "h1"
        if tag not in ("meta", "link", "img", "input", "br"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert tag in self.stack, f"</{tag}> closes nothing"
        while self.stack.pop() != tag:
            pass

    def handle_data(self, data):
        if "title" in self.stack:
            self.title += data
        elif "script" in self.stack:
            self.scripts.append(data)
        elif "body" in self.stack:
            self.body_text.append((data, tuple(self.stack)))

    def text(self) -> str:
        return "".join(data for data, _ in self.body_text)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    achievements, credentials = make_hostile_inputs(root)
    issuer = replace(make_issuer(), name=HOSTILE_ISSUER, description=f"About {HOSTILE_TEXT}")
    build(root, achievements=achievements, credentials=credentials, issuer=issuer)
    return root / "site"


def pages(site: Path) -> dict[str, Path]:
    token = next((site / "accept").iterdir()).name
    found = {
        "index": site / "index.html",
        "issuer": site / "issuer" / "index.html",
        "achievement": site / "achievements" / "data-foundations" / "index.html",
        "credential": site / "credentials" / CID / "index.html",
        "accept": site / "accept" / token / "index.html",
        "accepted": site / "accept" / token / "accepted" / "index.html",
        "share": site / "credentials" / CID / "share" / "index.html",
    }
    for channel in SHARE_CHANNELS:
        found[f"redirect-{channel}"] = site / "credentials" / CID / "share" / channel / "index.html"
    return found


# What each page type must show as plain text (in its body, else its title).
SHOWN = {
    "index": (HOSTILE_TEXT, HOSTILE_ISSUER),
    "issuer": (HOSTILE_ISSUER, HOSTILE_TEXT),
    "achievement": (HOSTILE_TEXT,),
    "credential": (HOSTILE_TEXT, HOSTILE_LEARNER.strip()),
    "accept": (HOSTILE_TEXT, HOSTILE_LEARNER.strip()),
    "accepted": (HOSTILE_TEXT, HOSTILE_LEARNER.strip()),
    "share": (HOSTILE_TEXT,),
}


def test_every_page_type_is_built(site):
    assert all(path.is_file() for path in pages(site).values())


@pytest.mark.parametrize(
    "kind",
    [*SHOWN, *(f"redirect-{c}" for c in SHARE_CHANNELS)],
)
def test_hostile_text_is_text(site, kind):
    path = pages(site)[kind]
    source = path.read_text("utf-8")
    page = Page()
    page.feed(source)
    page.close()
    assert source.count("</title>") == 1 and source.count("<title>") == 1
    assert page.h1 == 1
    assert not any("alert" in script for script in page.scripts), "a hostile script runs"
    assert "<script>alert" not in source and "<img src=x" not in source
    for tag, name, value in page.attributes:
        assert name in ATTRIBUTES, f"<{tag} {name}=...>: a quote broke out of an attribute"
        assert not value.strip().lower().startswith("javascript:"), (tag, name, value)
        assert "url=javascript:" not in value.replace(" ", "").lower()
    for wanted in SHOWN.get(kind, ()):
        assert wanted in page.text(), f"{kind}: {wanted!r} is not shown verbatim"
    # The title is text too: the achievement's name, or the issuer's on its own pages.
    named = HOSTILE_ISSUER if kind in ("index", "issuer") else f"Data {HOSTILE_TEXT} {NAME_RTL}"
    assert named in page.title


def test_open_graph_attributes_round_trip_exactly(site):
    for kind in ("credential", "achievement", "index", "issuer"):
        page = Page()
        page.feed(pages(site)[kind].read_text("utf-8"))
        meta = page.meta
        assert meta["og:site_name"] == HOSTILE_ISSUER, kind
        assert HOSTILE_TEXT in meta["og:title"] + meta["og:description"], kind
    credential = Page()
    credential.feed(pages(site)["credential"].read_text("utf-8"))
    assert (
        credential.meta["og:title"] == f"Data {HOSTILE_TEXT} {NAME_RTL} awarded by {HOSTILE_ISSUER}"
    )
    assert credential.meta["og:description"].startswith(f"{HOSTILE_LEARNER.strip()} earned ")


@pytest.mark.parametrize(
    "kind", ["index", "achievement", "credential", "accept", "accepted", "share"]
)
def test_right_to_left_names_are_isolated(site, kind):
    page = Page()
    page.feed(pages(site)[kind].read_text("utf-8"))
    seen = 0
    for data, stack in page.body_text:
        if NAME_RTL in data or LEARNER_RTL in data:
            assert "bdi" in stack, f"{kind}: {data!r} is not isolated"
            seen += 1
    assert seen


def test_a_javascript_evidence_url_is_never_a_link(site):
    source = pages(site)["credential"].read_text("utf-8")
    assert "Doc evidence" in source and "Catalog evidence" in source
    assert 'href="javascript:' not in source.lower()
