"""The in-browser verifier's files: bundle, configuration, contexts, and the pages' weight."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from badgeflow.credentials.document_loader import PINNED_URLS, strict_document_loader
from badgeflow.errors import ConfigurationError
from badgeflow.site import layout
from badgeflow.site.build import SiteCredential
from badgeflow.site.verifier_assets import (
    BUNDLE_PATH,
    CONFIG_PATH,
    CONTEXT_INDEX_PATH,
    context_file,
    verifier_assets,
    verifier_bundle,
)
from tests.badgeflow.site.factories import BASE_URL, build, credential_document, make_did_document
from tests.site_js import SITE_JS_DIR, ensure_site_js

PAGE_BUDGET = 200 * 1024
CID0 = "00000000-0000-4000-8000-000000000000"


def test_publishes_exactly_the_contexts_the_python_loader_serves():
    files = verifier_assets(base_url=BASE_URL, did_document=make_did_document())
    index = json.loads(files[CONTEXT_INDEX_PATH])
    assert set(index) == set(PINNED_URLS)
    for url, relative in index.items():
        assert layout.check_relative_path(relative) == relative
        assert json.loads(files[relative]) == strict_document_loader(url)["document"]
    contexts = {path for path in files if path.startswith("contexts/")}
    assert contexts == {CONTEXT_INDEX_PATH, *index.values()}


def test_context_file_names_are_flat_and_safe():
    assert context_file("https://www.w3.org/ns/credentials/v2") == (
        "contexts/www.w3.org-ns-credentials-v2.json"
    )
    assert context_file("https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json") == (
        "contexts/purl.imsglobal.org-spec-ob-v3p0-context-3.0.3.json"
    )


@pytest.mark.parametrize(
    ("base_url", "did_path"),
    [
        ("https://badges.example.org", ".well-known/did.json"),
        ("https://example.org/badges/", "did.json"),
    ],
)
def test_config_names_the_base_url_issuer_and_did_document(base_url, did_path):
    files = verifier_assets(base_url=base_url, did_document=make_did_document())
    assert json.loads(files[CONFIG_PATH]) == {
        "baseUrl": base_url.rstrip("/") + "/",
        "issuer": "did:web:badges.example.org",
        "didDocument": did_path,
        "contextIndex": CONTEXT_INDEX_PATH,
    }
    assert files[BUNDLE_PATH] == verifier_bundle()


def test_a_did_document_without_id_is_refused():
    with pytest.raises(ConfigurationError, match="no id"):
        verifier_assets(base_url=BASE_URL, did_document={"verificationMethod": []})


def test_the_bundle_is_self_contained():
    bundle = verifier_bundle().decode("utf-8")
    assert len(bundle) > 50_000  # jsonld.js and rdf-canonize are in it
    for leak in ("/home/", "/work/", "/tmp/", "node_modules", "sourceMappingURL", "http://127"):
        assert leak not in bundle
    assert "Digital Bazaar" in bundle  # the bundled packages' licences are kept


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "script" and found.get("src"):
            self.assets.append(found["src"])
        if tag == "link" and found.get("rel") == "stylesheet":
            self.assets.append(found["href"])


def _weight(page: Path) -> tuple[int, list[str]]:
    parser = _Assets()
    parser.feed(page.read_text("utf-8"))
    total = page.stat().st_size
    for src in parser.assets:
        total += (page.parent / src).resolve().stat().st_size
    return total, parser.assets


def test_credential_and_verify_pages_weigh_under_200_kb_before_images(tmp_path):
    build(tmp_path)
    site = tmp_path / "site"
    for page in (site / "credentials" / CID0 / "index.html", site / "verify" / "index.html"):
        total, assets = _weight(page)
        assert any(src.endswith(BUNDLE_PATH) for src in assets), page
        assert total < PAGE_BUDGET, (page, total)


def test_the_verify_page_is_in_the_navigation_of_every_page(tmp_path):
    build(tmp_path)
    site = tmp_path / "site"
    for page in site.rglob("*.html"):
        depth = len(page.relative_to(site).parts) - 1
        assert f'href="{"../" * depth}verify/index.html"' in page.read_text("utf-8"), page


def test_a_withheld_credential_page_points_to_the_verify_page(tmp_path):
    document = json.loads(credential_document(CID0, "eve@example.com", "s", "sql-basics"))
    identity = document["credentialSubject"]["identifier"][0]
    identity.update(hashed=False, identityHash="eve@example.com")
    del identity["salt"]
    private = SiteCredential(
        credential_id=CID0,
        document=json.dumps(document),
        achievement_slug="sql-basics",
        awarded_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    build(tmp_path, credentials=[private])
    page = (tmp_path / "site" / "credentials" / CID0 / "index.html").read_text("utf-8")
    assert "Cannot verify here" in page
    assert 'href="../../verify/index.html">verify a badge</a>' in page
    assert "data-verify-panel" not in page and "verifier.js" not in page


@pytest.mark.slow
def test_the_committed_bundle_is_what_its_sources_build(tmp_path):
    ensure_site_js()
    rebuilt = tmp_path / "verifier.js"
    subprocess.run(
        ["node", str(SITE_JS_DIR / "build.mjs"), "--outfile", str(rebuilt)],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert rebuilt.read_bytes() == verifier_bundle(), "run `make site-js` and commit the bundle"
