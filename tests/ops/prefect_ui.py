"""Headless Chromium on a local Prefect server's UI: the clicks an admin makes, as helpers.

`prefect_ui` launches Debian's Chromium through Playwright's sync API (never a downloaded
browser) with a context whose requests may only reach 127.0.0.1, and yields an `AdminUI`.
Use it inside the test, not as a long-lived fixture: while Playwright's sync API runs, the
thread has a running event loop and Prefect's sync client calls would return coroutines, so
the tests talk to Prefect through its REST API (httpx) meanwhile.

Prefect 3.9's default UI lists only runs that started before the current minute and shows
an error while the server answers 503 (its SQLite database is busy), so `AdminUI.open_run`
reloads until the run's link shows. Every step that fails saves a screenshot and names it
in the assertion message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.badgeflow.site.conftest import CHROMIUM_ARGS, chromium_path

# A step is retried (page reloaded) for at most this long before it fails.
STEP_TIMEOUT_S = 120.0


@dataclass
class AdminUI:
    """One browser page on the Prefect UI, with the admin's steps and failure screenshots."""

    page: Any
    ui_url: str
    shots: Path
    off_site: list[str] = field(default_factory=list)

    def screenshot(self, name: str) -> Path:
        """Save a full-page screenshot as ``<shots>/<name>.png`` and return its path."""
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Run one step; on any failure, screenshot the page and fail naming the file."""
        try:
            yield
        except Exception as exc:
            shot = self.screenshot(f"failed-{name}")
            raise AssertionError(f"UI step {name!r} failed ({exc}); screenshot: {shot}") from exc

    def until(
        self, name: str, check: Callable[[], bool], *, timeout: float = STEP_TIMEOUT_S
    ) -> None:
        """Reload the page until `check()` holds (the list lags; 503s while SQLite is busy)."""
        with self.step(name):
            deadline = time.monotonic() + timeout
            while not check():
                if time.monotonic() > deadline:
                    raise AssertionError(f"still not true after {timeout} s")
                self.page.wait_for_timeout(2000)
                self.page.reload(wait_until="domcontentloaded")

    def open_run(self, run_name: str) -> None:
        """Open the UI, go to Runs, wait until the run is listed, and open it by its name."""
        with self.step("open-runs"):
            self.page.goto(self.ui_url, wait_until="domcontentloaded")
            runs = self.page.get_by_role("link", name="Runs", exact=True)
            runs = runs.or_(self.page.get_by_role("button", name="Runs", exact=True))
            runs.first.click()
            self.page.wait_for_url(lambda url: "/runs" in url)
        link = self.page.get_by_role("link", name=run_name, exact=True)
        self.until(f"find-{run_name}", lambda: _shows(link))
        with self.step("open-run"):
            link.first.click()
            self.page.wait_for_url("**/runs/flow-run/**")

    def retry(self, run_name: str) -> None:
        """Click Retry in the run's header, then Retry in the confirmation dialog."""
        with self.step("click-retry"):
            self.page.get_by_role("button", name="Retry", exact=True).first.click()
        with self.step("confirm-retry"):
            dialog = self.page.get_by_role("dialog")
            dialog.get_by_text(f"This will retry flow run {run_name}").wait_for()
            dialog.get_by_role("button", name="Retry", exact=True).click()
            dialog.wait_for(state="hidden")

    def shows_state(self, state: str) -> bool:
        """Whether the open run's page shows the state badge `state` (e.g. "Completed")."""
        return _shows(self.page.get_by_text(state, exact=True))


def _shows(locator: Any) -> bool:
    try:
        locator.first.wait_for(state="visible", timeout=5000)
    except Exception:  # Playwright's TimeoutError: not there (yet)
        return False
    return True


@contextmanager
def prefect_ui(ui_url: str, shots: Path) -> Iterator[AdminUI]:
    """Chromium on `ui_url` for the block; requests beyond 127.0.0.1 are aborted and listed.

    Args:
        ui_url: the server's UI root, e.g. ``http://127.0.0.1:4200``.
        shots: folder for screenshots of failed steps.

    Yields:
        The admin's browser.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=list(CHROMIUM_ARGS)
        )
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            ui = AdminUI(page=None, ui_url=ui_url, shots=shots)

            def guard(route: Any) -> None:
                # Offline at run time: the UI must work with nothing beyond the server.
                if urlsplit(route.request.url).hostname == "127.0.0.1":
                    route.continue_()
                else:
                    ui.off_site.append(route.request.url)
                    route.abort()

            context.route("**/*", guard)
            ui.page = context.new_page()
            yield ui
        finally:
            browser.close()
