"""Request targets → attributable pages, under a base URL with a path prefix."""

from __future__ import annotations

import pytest

from badgeflow.engagement.sitepaths import Page, PathClassifier

C1 = "11111111-1111-4111-8111-111111111111"
TOKEN = "a" * 32


@pytest.mark.parametrize(
    ("target", "page"),
    [
        (f"/badges/accept/{TOKEN}/", Page("accept_open", TOKEN, "")),
        (f"/badges/accept/{TOKEN}/index.html", Page("accept_open", TOKEN, "")),
        (f"/badges/accept/{TOKEN}/accepted/", Page("accept_confirm", TOKEN, "")),
        (f"/badges/credentials/{C1}/", Page("credential_view", C1, "")),
        (f"/badges/credentials/{C1}/?utm_source=linkedin#top", Page("credential_view", C1, "")),
        (f"/badges/credentials/{C1}", Page("credential_view", C1, "")),
        (f"/badges/credentials/{C1}/index.html", Page("credential_view", C1, "")),
        (f"/badges/credentials/{C1}.json", Page("credential_download", C1, "json")),
        (f"/badges/credentials/{C1}.json?download", Page("credential_download", C1, "json")),
        (f"/badges/credentials/{C1}.png", Page("credential_download", C1, "png")),
        (f"/badges/credentials/{C1}.svg", Page("credential_download", C1, "svg")),
        (f"/badges/credentials/{C1}.jwt", Page("credential_download", C1, "jwt")),
        (f"/badges/credentials/{C1}/share/", Page("share_page", C1, "")),
        (
            f"/badges/credentials/{C1}/share/linkedin-post/",
            Page("share_click", C1, "linkedin-post"),
        ),
        (f"/badges/credentials/{C1}/share/x/index.html", Page("share_click", C1, "x")),
        (f"/badges/%63redentials/{C1}/", Page("credential_view", C1, "")),
        (f"https://badges.example.org/badges/credentials/{C1}/", Page("credential_view", C1, "")),
        ("/badges/verify/", Page("verify_page", "", "")),
        ("/badges/verify/index.html", Page("verify_page", "", "")),
    ],
)
def test_attributable_pages(target, page):
    assert PathClassifier("https://badges.example.org/badges/").classify(target) == page


@pytest.mark.parametrize(
    "target",
    [
        f"/credentials/{C1}/",  # outside the site's path
        f"/badgesx/credentials/{C1}/",
        "/badges/",
        "/badges/index.html",
        "/badges/assets/site.css",
        "/badges/achievements/sql-essentials/",
        "/badges/credentials/",
        "/badges/accept/",
        f"/badges/accept/{TOKEN}/other/",
        f"/badges/credentials/{C1}.exe",
        f"/badges/credentials/{C1}/share/myspace/",
        f"/badges/credentials/{C1}/share/x/y/",
        f"/badges/credentials/{C1}/other/",
        f"/badges/credentials/{C1}.json/x",
        f"/badges/credentials/{C1}.json?check",  # the credential page's own verification
        "/badges/verify/more/",
        "/badges/verifyx/",
        "",
        "*",
    ],
)
def test_everything_else_is_not_counted(target):
    assert PathClassifier("https://badges.example.org/badges").classify(target) is None


def test_a_site_at_the_root():
    classifier = PathClassifier("http://localhost:8000")
    assert classifier.classify(f"/credentials/{C1}/") == Page("credential_view", C1, "")
    assert classifier.markers == ("/accept/", "/credentials/", "/verify")
