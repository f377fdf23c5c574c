"""Accept, share and redirect pages, evidence, Open Graph tags, indexing (robots, sitemap)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from badgeflow.credentials.ob3.credential import Evidence
from badgeflow.site._learner_pages import evidence_views, public_name
from badgeflow.site.build import SiteCredential
from badgeflow.site.layout import SHARE_CHANNELS
from badgeflow.site.share import ShareSubject, share_target
from tests.badgeflow.site.factories import (
    BASE_URL,
    accept_token,
    build,
    credential_document,
    make_credentials,
    with_accept_tokens,
)

CID0 = "00000000-0000-4000-8000-000000000000"
CID1 = "00000000-0000-4000-8000-000000000001"
TOKEN0 = accept_token(CID0)


class Head(HTMLParser):
    """Collects meta tags, links (tag, attribute, value) and the element ids of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: list[tuple[str, str]] = []
        self.ids: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        key = a.get("property") or a.get("name") or a.get("http-equiv")
        if tag == "meta" and key and a.get("content") is not None:
            self.meta[key] = a["content"]
        if tag == "a" and a.get("href"):
            self.links.append((a["href"], a.get("id") or ""))
        if a.get("id"):
            self.ids[a["id"]] = a


def read(path: Path) -> Head:
    parser = Head()
    parser.feed(path.read_text("utf-8"))
    return parser


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("learner")
    build(root, credentials=with_accept_tokens(make_credentials()))
    return root / "site"


def test_accept_pages_exist_only_for_credentials_with_a_token(tmp_path, site):
    assert {p.name for p in (site / "accept").iterdir()} == {
        accept_token(c.credential_id) for c in make_credentials()
    }
    assert (site / "accept" / TOKEN0 / "accepted" / "index.html").is_file()
    build(tmp_path, credentials=make_credentials())
    assert not (tmp_path / "site" / "accept").exists()


def test_accept_page_welcomes_offers_files_and_an_explicit_accept_link(site):
    page = site / "accept" / TOKEN0 / "index.html"
    text = page.read_text("utf-8")
    head = read(page)
    assert "Congratulations, <bdi>Ada &lt;script&gt;alert(1)&lt;/script&gt;</bdi>!" in text
    assert head.meta["robots"] == "noindex"
    assert head.meta["referrer"] == "same-origin"
    hrefs = [href for href, _ in head.links]
    # The explicit acceptance is a plain link to a second static page (the access log sees it).
    assert head.ids["accept-badge"]["href"] == "accepted/"
    for wanted in (f"{CID0}.png", f"{CID0}.json", f"{CID0}.svg"):
        assert f"../../credentials/{wanted}" in hrefs
    assert f"../../credentials/{CID0}/share/linkedin-profile/" in hrefs
    assert f"../../credentials/{CID0}/share/" in hrefs
    assert "wallet" in text
    accepted = site / "accept" / TOKEN0 / "accepted" / "index.html"
    assert "Badge accepted" in accepted.read_text("utf-8")
    assert read(accepted).meta["robots"] == "noindex"


def test_accept_page_of_a_credential_without_png_offers_no_png(site):
    cid2 = "00000000-0000-4000-8000-000000000002"  # the factory gives it no baked PNG
    text = (site / "accept" / accept_token(cid2) / "index.html").read_text("utf-8")
    assert f"{cid2}.png" not in text and f"{cid2}.json" in text


def test_no_page_links_to_an_accept_page(site):
    for page in site.rglob("*.html"):
        if page.relative_to(site).parts[0] == "accept":
            continue
        assert "accept/" not in page.read_text("utf-8").replace('id="accept"', ""), page
    assert "accept" not in (site / "sitemap.xml").read_text()


def test_share_page_links_each_channel_through_its_redirect_page(site):
    head = read(site / "credentials" / CID0 / "share" / "index.html")
    assert head.meta["robots"] == "noindex"
    assert [href for href, _ in head.links if not href.startswith(("../", "http", "#"))] == [
        f"{channel}/" for channel in SHARE_CHANNELS
    ]
    assert head.ids["share-url"]["value"] == f"{BASE_URL}/credentials/{CID0}/"


@pytest.mark.parametrize("channel", SHARE_CHANNELS)
def test_redirect_page_forwards_to_the_channel(site, channel):
    credential = make_credentials()[0]
    subject = ShareSubject(
        credential_id=CID0,
        page_url=f"{BASE_URL}/credentials/{CID0}/",
        achievement_name="Data Foundations",
        issuer_name="Example Academy",
        issued=credential.awarded_at.date(),
        expires=credential.valid_until.date(),
    )
    head = read(site / "credentials" / CID0 / "share" / channel / "index.html")
    target = share_target(channel, subject)
    assert head.meta["refresh"] == f"0; url={target}"
    assert head.ids["share-target"]["href"] == target
    assert head.meta["robots"] == "noindex"
    assert head.meta["referrer"] == "no-referrer"


def test_credential_page_offers_linkedin_and_share_and_shows_criteria(site):
    page = site / "credentials" / CID0 / "index.html"
    hrefs = [href for href, _ in read(page).links]
    assert f"../../credentials/{CID0}/share/linkedin-profile/" in hrefs
    assert f"../../credentials/{CID0}/share/" in hrefs
    text = page.read_text("utf-8")
    assert "<li>Pass the <strong>final</strong> quiz</li>" in text  # criteria, rendered


def test_open_graph_tags_on_public_pages(site):
    pages = {
        "index.html": (f"{BASE_URL}/", "Badges from Example Academy"),
        "issuer/index.html": (f"{BASE_URL}/issuer/", "Example Academy"),
        "achievements/data-foundations/index.html": (
            f"{BASE_URL}/achievements/data-foundations/",
            "Data Foundations",
        ),
        f"credentials/{CID0}/index.html": (
            f"{BASE_URL}/credentials/{CID0}/",
            "Data Foundations awarded by Example Academy",
        ),
    }
    for relative, (url, title) in pages.items():
        meta = read(site / relative).meta
        assert meta["og:url"] == url, relative
        assert meta["og:title"] == title, relative
        assert meta["og:site_name"] == "Example Academy"
        assert meta["og:type"] == "website"
        assert meta["twitter:card"] == "summary"
        assert meta["og:image"].startswith("https://") and meta["og:image"].endswith(".png")
        assert meta["og:description"]
    credential = read(site / f"credentials/{CID0}/index.html").meta
    assert credential["og:image"] == f"{BASE_URL}/achievements/data-foundations.png"
    assert credential["og:description"].startswith("Ada <script>alert(1)</script> earned")


def test_indexing_default_credential_pages_noindex_public_pages_indexable(site):
    for relative in ("index.html", "issuer/index.html", "achievements/sql-basics/index.html"):
        assert "robots" not in read(site / relative).meta, relative
    assert read(site / "credentials" / CID0 / "index.html").meta["robots"] == "noindex"
    robots = (site / "robots.txt").read_text()
    assert "Disallow" not in robots
    assert f"Sitemap: {BASE_URL}/sitemap.xml" in robots
    sitemap = (site / "sitemap.xml").read_text()
    assert f"<loc>{BASE_URL}/achievements/sql-basics/</loc>" in sitemap
    assert "credentials/" not in sitemap


def test_issuer_can_opt_in_to_indexing_credential_pages(tmp_path):
    build(tmp_path, credentials=with_accept_tokens(make_credentials(2)), index_credentials=True)
    site = tmp_path / "site"
    assert "robots" not in read(site / "credentials" / CID0 / "index.html").meta
    sitemap = (site / "sitemap.xml").read_text()
    assert f"<loc>{BASE_URL}/credentials/{CID0}/</loc>" in sitemap
    assert "/share/" not in sitemap and "accept" not in sitemap
    # Accept, share and redirect pages stay out of search results whatever the setting.
    for page in [*site.glob("accept/**/index.html"), *site.glob("credentials/*/share/**/*.html")]:
        assert read(page).meta["robots"] == "noindex", page


def test_evidence_from_the_document_and_the_catalog(tmp_path):
    from dataclasses import replace

    from tests.badgeflow.site.factories import make_achievements

    achievements = make_achievements(tmp_path)
    catalog = (Evidence(name="Final exam", genre="Assessment", narrative="Scored **92%**"),)
    achievements[1] = replace(achievements[1], info=replace(achievements[1].info, evidence=catalog))
    document = json.loads(credential_document(CID1, "a@example.com", "s", "sql-basics"))
    document["evidence"] = [
        {"id": "https://lms.example.org/submissions/7", "type": ["Evidence"], "name": "Project"},
        catalog[0].to_json(),  # already in the document: shown once
    ]
    credential = SiteCredential(
        credential_id=CID1,
        document=json.dumps(document),
        achievement_slug="sql-basics",
        awarded_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    build(tmp_path, achievements=achievements, credentials=[credential])
    text = (tmp_path / "site" / "credentials" / CID1 / "index.html").read_text("utf-8")
    assert 'id="evidence"' in text
    assert (
        '<a href="https://lms.example.org/submissions/7" rel="nofollow noopener">Project</a>'
        in text
    )
    assert text.count("Final exam") == 1 and "Scored <strong>92%</strong>" in text
    assert "Assessment" in text


def test_evidence_views_never_link_a_script_or_data_url():
    views = evidence_views(
        [
            {"id": "javascript:alert(1)", "name": "a"},
            {"id": "data:text/html,<b>", "name": "b"},
            {"id": "HTTPS://ok.example/", "name": "c"},
            {"type": ["Evidence"]},  # nothing to show
            "not an object",
        ],
        (),
    )
    assert [(v.name, v.url) for v in views] == [
        ("a", None),
        ("b", None),
        ("c", "HTTPS://ok.example/"),
    ]
    assert evidence_views({"narrative": "one"}, ())[0].narrative_html == "<p>one</p>"
    assert evidence_views(None, ()) == []


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Ada Lovelace", "Ada Lovelace"),
        ("  Grace  ", "Grace"),
        ("ada@example.com", None),
        ("Ada <ADA@EXAMPLE.COM>", None),
        ("   ", None),
        (None, None),
        ("Ada @ Home", "Ada @ Home"),
    ],
)
def test_public_name_never_shows_an_email(name, shown):
    assert public_name(name) == shown


def test_accept_page_says_when_the_badge_is_no_longer_valid(site):
    for cid, word in (
        (CID0, None),
        (CID1, "Revoked."),
        ("00000000-0000-4000-8000-000000000002", "Suspended."),
    ):
        text = (site / "accept" / accept_token(cid) / "index.html").read_text("utf-8")
        if word is None:
            assert 'class="status' not in text
        else:
            assert f"<strong>{word}</strong>" in text


def test_award_email_accept_and_share_links_point_at_published_pages(site):
    from datetime import date
    from urllib.parse import urlsplit

    from badgeflow.notify.render import award_links
    from tests.badgeflow.site.factories import make_achievements, make_issuer

    links = award_links(
        BASE_URL,
        CID0,
        achievement=make_achievements(site.parent)[0].info,
        issuer=make_issuer(),
        issued=date(2026, 1, 15),
        expires=None,
        accept_token=TOKEN0,
    )
    for url in (links.accept, links.share):
        path = urlsplit(url).path.lstrip("/")
        assert (site / path / "index.html").is_file(), url
    assert links.accept == f"{BASE_URL}/accept/{TOKEN0}/"


def test_home_page_without_an_issuer_logo_previews_with_a_badge(tmp_path):
    from dataclasses import replace

    from tests.badgeflow.site.factories import make_issuer

    build(tmp_path, issuer=replace(make_issuer(), image_url=None), credentials=[])
    meta = read(tmp_path / "site" / "index.html").meta
    assert meta["og:image"] == f"{BASE_URL}/achievements/data-foundations.png"
    assert meta["og:image:alt"] == "Data Foundations badge"


def test_a_revoked_or_suspended_badge_offers_no_share_actions(site):
    for cid in (CID1, "00000000-0000-4000-8000-000000000002"):
        text = (site / "credentials" / cid / "index.html").read_text("utf-8")
        assert "Add to LinkedIn" not in text and f"{cid}/share/" not in text
    assert "Add to LinkedIn" in (site / "credentials" / CID0 / "index.html").read_text("utf-8")
