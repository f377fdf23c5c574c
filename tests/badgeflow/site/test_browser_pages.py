"""The learner and employer pages in Chromium: axe-core finds no violations, the keyboard
reaches the main actions in order, and share redirect pages really forward."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from badgeflow.site.layout import SHARE_CHANNELS
from badgeflow.site.serve import serve
from tests.badgeflow.site.factories import (
    accept_token,
    build,
    make_achievements,
    make_credentials,
    make_hostile_inputs,
    with_accept_tokens,
)
from tests.site_js import ensure_site_js

pytestmark = pytest.mark.slow

CID0 = "00000000-0000-4000-8000-000000000000"
CID1 = "00000000-0000-4000-8000-000000000001"
HOSTILE = "00000000-0000-4000-8000-00000000beef"
TOKEN0 = accept_token(CID0)

PAGES = {
    "index": "",
    "issuer": "issuer/",
    "achievement": "achievements/sql-basics/",
    "credential": f"credentials/{CID0}/",
    "credential-revoked": f"credentials/{CID1}/",
    "credential-hostile": f"credentials/{HOSTILE}/",
    "accept": f"accept/{TOKEN0}/",
    "accepted": f"accept/{TOKEN0}/accepted/",
    "share": f"credentials/{CID0}/share/",
    "redirect": f"credentials/{CID0}/share/linkedin-profile/",
}

AXE_RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
  });
  return result.violations.map((v) =>
    `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("pages")
    achievements, hostile = make_hostile_inputs(root)
    build(
        root,
        achievements=[*make_achievements(root)[1:], *achievements],
        credentials=[*with_accept_tokens(make_credentials(3)), *hostile],
    )
    with serve(root / "site", port=0) as server:
        yield server


@pytest.fixture(scope="module")
def axe_path():
    return ensure_site_js() / "node_modules" / "axe-core" / "axe.min.js"


def open_page(page, site, relative: str) -> None:
    url = site.url + relative
    if "/share/" in relative and relative.count("/") > 3:
        # A redirect page forwards at once: serve it with its refresh removed, to audit it.
        html = page.context.request.get(url).text()
        assert 'http-equiv="refresh"' in html
        stripped = re.sub(r'<meta http-equiv="refresh"[^>]*>', "", html)
        page.route(url, lambda route: route.fulfill(body=stripped, content_type="text/html"))
    response = page.goto(url)
    assert response is not None and response.ok, url


# Every page type in the light scheme; the dark palette on the pages that use all its colours.
DARK = ("index", "credential", "credential-revoked", "accept", "share")


@pytest.mark.parametrize(
    ("kind", "scheme"), [*((k, "light") for k in PAGES), *((k, "dark") for k in DARK)]
)
def test_axe_finds_no_violations(page, site, axe_path, kind, scheme):
    page.emulate_media(color_scheme=scheme)
    open_page(page, site, PAGES[kind])
    page.add_script_tag(path=str(axe_path))
    assert page.evaluate(AXE_RUN) == []


def tab_through(page, count: int) -> list[dict]:
    stops = []
    for _ in range(count):
        page.keyboard.press("Tab")
        stops.append(
            page.evaluate(
                """() => { const e = document.activeElement; const s = getComputedStyle(e);
                return {text: (e.innerText || e.value || "").trim(), tag: e.tagName,
                        outline: s.outlineStyle, width: parseFloat(s.outlineWidth)}; }"""
            )
        )
    return stops


@pytest.mark.parametrize(
    ("kind", "actions"),
    [
        ("credential", ["Add to LinkedIn", "Share", "Download badge (PNG)"]),
        ("accept", ["Accept badge", "Add to LinkedIn", "Share", "Download badge (PNG)"]),
        ("share", [*("Add to your LinkedIn profile", "Post on LinkedIn", "Post on X")]),
    ],
)
def test_tab_reaches_the_main_actions_in_order_with_visible_focus(page, site, kind, actions):
    open_page(page, site, PAGES[kind])
    stops = tab_through(page, 12)
    assert stops[0]["text"] == "Skip to content"
    texts = [stop["text"] for stop in stops]
    positions = [texts.index(action) for action in actions]  # ValueError: never reached
    assert positions == sorted(positions), texts
    for stop in stops:
        assert stop["outline"] != "none" and stop["width"] >= 2, stop


def test_skip_link_moves_focus_to_the_content(page, site):
    open_page(page, site, PAGES["accept"])
    page.keyboard.press("Tab")
    box = page.locator(".skip-link").bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0  # visible once focused
    page.keyboard.press("Enter")
    page.wait_for_url("**#main", timeout=5000)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.innerText.trim()") == "Accept badge"


@pytest.mark.parametrize("channel", [c for c in SHARE_CHANNELS if c != "email"])
def test_redirect_page_forwards_the_browser(browser, site, channel):
    context = browser.new_context()
    reached: list[str] = []

    def offsite(route):
        # Stand in for the network: record where the browser went, answer with a stub.
        reached.append(route.request.url)
        route.fulfill(body="<!DOCTYPE html><title>stub</title>", content_type="text/html")

    context.route(lambda url: urlsplit(url).hostname != "127.0.0.1", offsite)
    try:
        page = context.new_page()
        source = page.context.request.get(f"{site.url}{PAGES['share']}{channel}/").text()
        target = re.search(r'id="share-target" href="([^"]+)"', source).group(1)
        target = target.replace("&amp;", "&")
        with page.expect_navigation(url=target):
            page.goto(f"{site.url}{PAGES['share']}{channel}/")
        assert reached[-1] == target
        assert page.title() == "stub"
    finally:
        context.close()
