"""No page over 200 KB before its images: the page plus the CSS and JavaScript it loads."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tests.badgeflow.site.factories import (
    build,
    make_achievements,
    make_credentials,
    make_hostile_inputs,
    with_accept_tokens,
)

LIMIT = 200 * 1024


class Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and "stylesheet" in (a.get("rel") or "").split() and a.get("href"):
            self.assets.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.assets.append(a["src"])


def weight(page: Path, site: Path) -> tuple[int, list[Path]]:
    parser = Assets()
    parser.feed(page.read_text("utf-8"))
    files = []
    for href in parser.assets:
        parts = urlsplit(href)
        assert not parts.scheme and not parts.netloc, f"{page}: {href} loads from elsewhere"
        target = (page.parent / unquote(parts.path)).resolve()
        assert target.is_file() and site.resolve() in target.parents, f"{page}: {href}"
        files.append(target)
    return page.stat().st_size + sum(f.stat().st_size for f in set(files)), files


def test_every_page_with_its_css_and_js_is_under_200_kb(tmp_path):
    achievements, hostile = make_hostile_inputs(tmp_path)
    build(
        tmp_path,
        achievements=[*make_achievements(tmp_path)[1:], *achievements],
        credentials=[*with_accept_tokens(make_credentials(3)), *hostile],
    )
    site = tmp_path / "site"
    pages = sorted(site.rglob("*.html"))
    kinds = {p.relative_to(site).parts[0] for p in pages}
    assert {"index.html", "issuer", "achievements", "credentials", "accept"} <= kinds
    stylesheets = 0
    for page in pages:
        total, files = weight(page, site)
        stylesheets += any(f.suffix == ".css" for f in files)
        assert total < LIMIT, f"{page.relative_to(site)}: {total} bytes with its CSS/JS"
    assert stylesheets == len(pages)  # the scan did find what each page loads
