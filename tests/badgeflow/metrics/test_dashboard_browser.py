"""The dashboard in Chromium: axe-core finds no WCAG A/AA violations in either colour scheme,
the page loads nothing from elsewhere, and the data tables open from the keyboard."""

from __future__ import annotations

import shutil

import pytest

from badgeflow import store
from badgeflow.metrics.dashboard import write_dashboard
from badgeflow.site.serve import serve
from tests.badgeflow.metrics.rows import GENERATED, fill, migrated
from tests.badgeflow.site.conftest import browser, page  # noqa: F401 - fixtures
from tests.badgeflow.site.test_browser_pages import AXE_RUN
from tests.site_js import ensure_site_js

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("dash-browser")
    engine = migrated(f"sqlite:///{root / 'm.db'}")
    fill(engine)
    with engine.connect() as connection:
        write_dashboard(connection, root / "full", clock=lambda: GENERATED)
    engine.dispose()  # checkpoints the write-ahead log into the file copied next
    shutil.copyfile(root / "m.db", root / "e.db")
    empty = store.make_engine(f"sqlite:///{root / 'e.db'}")
    with empty.begin() as connection:
        for table in ("credential_engagement", "metric_rollups", "pathway_funnel"):
            connection.exec_driver_sql(f"DELETE FROM {table}")
        write_dashboard(connection, root / "empty", clock=lambda: GENERATED)
    empty.dispose()
    with serve(root, port=0) as server:
        yield server


@pytest.mark.parametrize(
    ("which", "scheme"), [("full", "light"), ("full", "dark"), ("empty", "light")]
)
def test_axe_finds_no_violations(page, served, which, scheme):  # noqa: F811
    page.emulate_media(color_scheme=scheme)
    response = page.goto(f"{served.url}{which}/index.html")
    assert response is not None and response.ok
    page.add_script_tag(path=str(ensure_site_js() / "node_modules" / "axe-core" / "axe.min.js"))
    assert page.evaluate(AXE_RUN) == []


def test_a_data_table_opens_from_the_keyboard(page, served):  # noqa: F811
    page.goto(f"{served.url}full/index.html")
    summary = page.locator("#time-to-accept summary")
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("#time-to-accept details").evaluate("d => d.open")
    assert page.locator("#time-to-accept table tbody tr").count() == 7
    assert page.locator("svg[role=img]").count() == 4
