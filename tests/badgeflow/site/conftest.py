"""Browser fixtures for the site's Chromium tests: one Chromium per test module.

Not per session: while Playwright's sync API is running, the main thread has a running event
loop, and Prefect's sync-or-async functions (e.g. `Block.save`) called by later test modules
would then return coroutines instead of running.

`browser` launches Debian's Chromium (or ``$BADGEFLOW_CHROMIUM``) through Playwright, never a
downloaded browser. `page` is a fresh context whose requests may only reach 127.0.0.1 (the
site must work with no network beyond itself) and which fails the test on any page error.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def chromium_path() -> str:
    path = os.environ.get("BADGEFLOW_CHROMIUM") or shutil.which("chromium")
    assert path, "Chromium is needed (apt-get install chromium, or set BADGEFLOW_CHROMIUM)"
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_ARGS))
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    off_site: list[str] = []

    def guard(route: Any) -> None:
        # The site must work with no network beyond itself: no CDN, fonts or trackers.
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            off_site.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert off_site == []
    assert errors == []
