"""The verification site in a real headless Chromium: what a learner or employer does."""

from __future__ import annotations

import pytest

from badgeflow.site.serve import serve
from tests.badgeflow.site.factories import LEARNER_EMAILS, build

pytestmark = pytest.mark.slow

CID0 = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    build(root)
    with serve(root / "site", port=0) as server:
        yield server


def test_learner_checks_the_badge_is_theirs(page, site, tmp_path):
    page.goto(f"{site.url}/credentials/{CID0}/")
    assert "Data Foundations" in page.title() or "Data Foundations" in page.content()
    page.fill("#recipient-email", f"  {LEARNER_EMAILS[0].upper()} ")
    page.click("#recipient-check button[type=submit]")
    result = page.locator("#recipient-result")
    result.filter(has_text="Match").wait_for(timeout=5000)
    assert "this credential was issued to that email address" in result.inner_text()
    page.screenshot(path=str(tmp_path / "credential.png"), full_page=True)


def test_someone_else_gets_no_match(page, site):
    page.goto(f"{site.url}/credentials/{CID0}/")
    page.fill("#recipient-email", LEARNER_EMAILS[1])
    page.click("#recipient-check button[type=submit]")
    result = page.locator("#recipient-result")
    result.filter(has_text="No match").wait_for(timeout=5000)


def test_links_from_the_home_page_lead_to_working_pages(page, site):
    page.goto(f"{site.url}/")
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    local = sorted({h.split("#")[0] for h in hrefs if h.startswith(site.url)})
    assert local, "the home page links to nothing on the site"
    for href in local:
        response = page.goto(href)
        assert response is not None and response.ok, href
    response = page.goto(f"{site.url}/credentials/{CID0}.json")
    assert response.ok and response.json()["id"] == f"urn:uuid:{CID0}"
