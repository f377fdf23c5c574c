from __future__ import annotations

import html
import json
import re
import subprocess
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from badgeflow.errors import CatalogError, CredentialError
from badgeflow.site.build import SiteCredential, SiteReport
from badgeflow.site.layout import SHARE_CHANNELS
from tests.badgeflow.site.factories import (
    BASE_URL,
    LEARNER_EMAILS,
    build,
    credential_document,
    identity_hash,
    make_credentials,
    make_did_document,
)

CID0 = "00000000-0000-4000-8000-000000000000"
CID1 = "00000000-0000-4000-8000-000000000001"
CID2 = "00000000-0000-4000-8000-000000000002"
MANIFEST = ".site.badgeflow-site.json"  # beside the site, never in it


class PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append((tag, name, value))
            if name == "id" and value:
                self.ids.add(value)


def parse(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text("utf-8"))
    return parser


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def rel(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in all_files(root)}


def test_writes_every_expected_file(tmp_path):
    report = build(tmp_path)
    site = tmp_path / "site"
    assert report == SiteReport(
        output_dir=site,
        pages_written=8 + 3 * (1 + len(SHARE_CHANNELS)),  # + share and redirect pages
        credentials_published=3,
        files_written=report.files_written,
        files_changed=report.files_written,  # a first build writes everything
    )
    expected = {
        "index.html",
        "static/site.css",
        "static/verifier.js",
        "static/verifier-config.json",
        "contexts/index.json",
        "contexts/purl.imsglobal.org-spec-ob-v3p0-context-3.0.3.json",
        "contexts/www.w3.org-ns-credentials-v2.json",
        "contexts/www.w3.org-ns-did-v1.json",
        "verify/index.html",
        ".well-known/did.json",
        "issuer/index.html",
        "issuer/profile.json",
        "issuer/logo.svg",
        "achievements/data-foundations/index.html",
        "achievements/data-foundations.json",
        "achievements/data-foundations.png",
        "achievements/data-foundations.svg",
        "achievements/sql-basics/index.html",
        "achievements/sql-basics.json",
        "achievements/sql-basics.png",
        f"credentials/{CID0}/index.html",
        f"credentials/{CID0}.json",
        f"credentials/{CID0}.png",
        f"credentials/{CID0}.svg",
        f"credentials/{CID1}/index.html",
        f"credentials/{CID1}.json",
        f"credentials/{CID1}.png",
        f"credentials/{CID1}.svg",
        f"credentials/{CID2}/index.html",
        f"credentials/{CID2}.json",
        "robots.txt",
        "sitemap.xml",
    }
    for cid in (CID0, CID1, CID2):
        expected.add(f"credentials/{cid}/share/index.html")
        expected.update(f"credentials/{cid}/share/{c}/index.html" for c in SHARE_CHANNELS)
    assert rel(site) == expected
    assert report.files_written == len(expected)


def test_credential_json_is_byte_exact(tmp_path):
    credentials = make_credentials()
    build(tmp_path, credentials=credentials)
    for credential in credentials:
        path = tmp_path / "site" / "credentials" / f"{credential.credential_id}.json"
        assert path.read_bytes() == credential.document.encode("utf-8")
        if credential.baked_png is not None:
            png = path.with_suffix(".png").read_bytes()
            assert png == credential.baked_png


def test_did_document_profile_and_achievement_json(tmp_path):
    build(tmp_path)
    site = tmp_path / "site"
    assert json.loads((site / ".well-known/did.json").read_text()) == make_did_document()
    assert (site / ".well-known/did.json").read_text().startswith('{\n  "@context"')
    assert not (site / "did.json").exists()  # no path in base_url: .well-known only
    profile = json.loads((site / "issuer/profile.json").read_text())
    assert profile == {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "did:web:badges.example.org",
        "type": ["Profile"],
        "name": "Example Academy",
        "url": "https://academy.example.org",
        "email": "badges@academy.example.org",
        "description": "Short courses in data skills.",
        "image": {"id": f"{BASE_URL}/issuer/logo.png", "type": "Image"},
    }
    achievement = json.loads((site / "achievements/data-foundations.json").read_text())
    assert achievement["type"] == ["Achievement"]
    assert achievement["id"] == f"{BASE_URL}/achievements/data-foundations/"
    assert achievement["criteria"]["narrative"].startswith("Complete all modules.")
    assert achievement["tag"] == ["data", "python"]


def test_base_url_with_a_path_also_publishes_root_did_json(tmp_path):
    build(tmp_path, base_url="https://example.org/badges")
    site = tmp_path / "site"
    assert (site / "did.json").read_bytes() == (site / ".well-known/did.json").read_bytes()
    assert "https://example.org/badges/did.json" in (site / "issuer/index.html").read_text()


def test_no_learner_email_or_private_key_is_published(tmp_path):
    build(tmp_path)
    for path in all_files(tmp_path / "site"):
        data = path.read_bytes()
        for email in LEARNER_EMAILS:
            assert email.encode() not in data, (email, path)
            assert email.split("@")[0].encode() not in data, (email, path)
        assert b"PRIVATE KEY" not in data, path
        assert b"secretKeyMultibase" not in data, path


def test_a_plain_email_credential_gets_its_page_but_never_its_files(tmp_path):
    document = json.loads(credential_document(CID0, "eve@example.com", "s", "sql-basics"))
    identity = document["credentialSubject"]["identifier"][0]
    identity.update(hashed=False, identityHash="eve@example.com")
    del identity["salt"]
    private = SiteCredential(
        credential_id=CID0,
        document=json.dumps(document),
        achievement_slug="sql-basics",
        awarded_at=datetime(2026, 1, 1, tzinfo=UTC),
        baked_png=b"\x89PNG eve@example.com",
        baked_svg=lambda: "<svg>eve@example.com</svg>",
    )
    build(tmp_path, credentials=[private])
    site = tmp_path / "site"
    assert not list((site / "credentials").glob(f"{CID0}.*"))
    for path in all_files(site):
        assert b"eve@example.com" not in path.read_bytes(), path
    page = (site / "credentials" / CID0 / "index.html").read_text("utf-8")
    assert "does not\n  publish the credential file here" in page
    assert "badgeflow verify &lt;file&gt;" in page
    assert f"credentials/{CID0}.json" not in page


def test_refuses_a_mailto_subject_and_keeps_the_old_site(tmp_path):
    build(tmp_path)
    before = rel(tmp_path / "site")
    document = json.loads(credential_document(CID0, "eve@example.com", "s", "sql-basics"))
    document["credentialSubject"]["id"] = "mailto:eve@example.com"
    leaky = SiteCredential(
        credential_id=CID0,
        document=json.dumps(document),
        achievement_slug="sql-basics",
        awarded_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    with pytest.raises(CredentialError, match="plaintext email"):
        build(tmp_path, credentials=[leaky])
    assert rel(tmp_path / "site") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST, "images", "logo.svg", "site"]


@pytest.mark.parametrize(
    "did_document",
    [
        {**make_did_document(), "secretKeyMultibase": "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8X"},
        {"id": "did:web:x", "verificationMethod": [{"publicKeyJwk": {"kty": "OKP", "d": "abc"}}]},
        {"id": "did:web:x", "note": "-----BEGIN PRIVATE KEY-----\nMC4CAQ..."},
    ],
)
def test_refuses_private_key_material_in_the_did_document(tmp_path, did_document):
    with pytest.raises(CredentialError, match="private key"):
        build(tmp_path, did_document=did_document)
    assert not (tmp_path / "site").exists()


def test_refuses_private_key_material_in_a_credential(tmp_path):
    credential = make_credentials(1)[0]
    document = json.loads(credential.document)
    document["proof"][0]["privateKeyMultibase"] = "zsecret"
    bad = SiteCredential(**{**credential.__dict__, "document": json.dumps(document)})
    with pytest.raises(CredentialError, match="private key"):
        build(tmp_path, credentials=[bad])


def test_publishes_a_vc_jwt_as_text_and_links_it(tmp_path):
    from cryptography.hazmat.primitives.asymmetric import ec

    from badgeflow.credentials.jws import b64url_encode, sign_compact

    credential = make_credentials(1)[0]
    key = ec.generate_private_key(ec.SECP256R1())
    token = sign_compact(json.loads(credential.document), key, kid="did:web:x#p256-1", typ="JWT")
    with_jwt = SiteCredential(**{**credential.__dict__, "jwt": token})
    build(tmp_path, credentials=[with_jwt])
    cid = credential.credential_id
    assert (tmp_path / "site" / "credentials" / f"{cid}.jwt").read_text() == token
    page = (tmp_path / "site" / "credentials" / cid / "index.html").read_text()
    assert f"credentials/{cid}.jwt" in page

    # A header carrying a private JWK (``d``) is never published.
    header = {"alg": "ES256", "jwk": {"kty": "EC", "crv": "P-256", "x": "a", "y": "b", "d": "c"}}
    leaky = b64url_encode(json.dumps(header).encode()) + token[token.index(".") :]
    bad = SiteCredential(**{**credential.__dict__, "jwt": leaky})
    with pytest.raises(CredentialError, match="private key"):
        build(tmp_path, tmp_path / "again", credentials=[bad])


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"achievement_slug": "unknown"}, CatalogError, "unknown achievement"),
        ({"credential_id": "../../etc"}, CredentialError, "not a safe file name"),
        ({"document": "{not json"}, CredentialError, "not valid JSON"),
        ({"document": "[1, 2]"}, CredentialError, "not a JSON object"),
    ],
)
def test_bad_credentials_raise_and_publish_nothing(tmp_path, change, error, match):
    credential = make_credentials(1)[0]
    bad = SiteCredential(**{**credential.__dict__, **change})
    with pytest.raises(error, match=match):
        build(tmp_path, credentials=[bad])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images", "logo.svg"]


def test_duplicate_credential_ids_are_refused(tmp_path):
    credential = make_credentials(1)[0]
    with pytest.raises(CredentialError, match="twice"):
        build(tmp_path, credentials=[credential, credential])


def test_rebuild_replaces_the_site_and_leaves_no_temporary_folders(tmp_path):
    build(tmp_path)
    (tmp_path / "site" / "stale.txt").write_text("from an old build")
    report = build(tmp_path, credentials=make_credentials(1))
    site = tmp_path / "site"
    assert report.credentials_published == 1
    assert not (site / "stale.txt").exists()
    assert not (site / "credentials" / f"{CID1}.json").exists()
    assert (site / "credentials" / f"{CID0}.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST, "images", "logo.svg", "site"]
    assert oct(site.stat().st_mode & 0o777) == oct(0o755)


def test_progress_is_reported(tmp_path):
    calls: list[tuple[int, int]] = []
    build(
        tmp_path,
        credentials=make_credentials(5),
        on_progress=lambda d, t: calls.append((d, t)),
        progress_every=2,
    )
    assert calls == [(2, 5), (4, 5), (5, 5)]
    calls.clear()
    build(tmp_path, credentials=[], on_progress=lambda d, t: calls.append((d, t)))
    assert calls == [(0, 0)]


def test_every_relative_link_resolves_and_nothing_loads_from_elsewhere(tmp_path):
    build(tmp_path)
    site = tmp_path / "site"
    pages = [p for p in all_files(site) if p.suffix == ".html"]
    assert len(pages) == 8 + 3 * (1 + len(SHARE_CHANNELS))
    checked = 0
    for page in pages:
        for tag, attribute, value in parse(page).links:
            parts = urlsplit(value)
            if parts.scheme or parts.netloc:
                # Resources (images, styles, scripts) must never come from another host.
                assert attribute == "href" and tag == "a", (page, value)
                assert parts.scheme in ("http", "https", "mailto"), (page, value)
                continue
            assert not value.startswith("/"), f"{page}: root-relative link {value}"
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if parts.path.endswith("/"):
                target = target / "index.html"
            assert target.is_file(), f"{page.relative_to(site)}: broken link {value}"
            assert site.resolve() in target.resolve().parents, f"{page}: link leaves the site"
            if parts.fragment:
                assert parts.fragment in parse(target).ids, f"{page}: missing anchor {value}"
            checked += 1
    assert checked > 50


def test_award_email_links_point_at_published_files(tmp_path):
    from datetime import date

    from badgeflow.notify.render import award_links
    from tests.badgeflow.site.factories import make_achievements, make_issuer

    build(tmp_path)
    links = award_links(
        BASE_URL,
        CID0,
        achievement=make_achievements(tmp_path)[0].info,
        issuer=make_issuer(),
        issued=date(2026, 1, 15),
        expires=None,
    )
    site = tmp_path / "site"
    for url in (links.credential_page, links.accept, links.download_json, links.download_png):
        parts = urlsplit(url)
        path = site / parts.path.lstrip("/")
        path = path / "index.html" if parts.path.endswith("/") else path
        assert path.is_file(), url
        if parts.fragment:
            assert parts.fragment in parse(path).ids


def test_credential_page_content(tmp_path):
    credentials = make_credentials()
    build(tmp_path, credentials=credentials)
    site = tmp_path / "site"
    active = (site / "credentials" / CID0 / "index.html").read_text()
    revoked = (site / "credentials" / CID1 / "index.html").read_text()
    suspended = (site / "credentials" / CID2 / "index.html").read_text()
    assert "<strong>Valid.</strong>" in active
    assert "<strong>Revoked.</strong>" in revoked
    assert "<strong>Suspended.</strong>" in suspended
    # learner names are escaped; the only scripts are the hash checker and the site's verifier
    assert "Ada &lt;script&gt;alert(1)&lt;/script&gt;" in active
    assert active.count("<script") == 2
    assert active.count('<script src="../../static/verifier.js"') == 1
    assert "15 January 2026" in active and "15 January 2028" in active
    assert "Does not expire" in revoked
    # the hash checker carries the document's hash and salt
    expected = identity_hash(LEARNER_EMAILS[0], "salt0")
    assert f'data-hash="{expected}"' in active and 'data-salt="salt0"' in active
    assert 'crypto.subtle.digest("SHA-256"' in active
    assert ".trim().toLowerCase()" in active
    assert 'id="accept"' in active and "eddsa-rdfc-2022" in active
    assert "did:web:badges.example.org#key-1" in active
    assert "https://badges.example.org/.well-known/did.json" in active
    assert f"urn:uuid:{CID0}" in active
    # no baked PNG for the third credential: no link to it
    assert f"{CID2}.png" not in suspended
    # baked SVGs: the first two credentials have one (a string, a function), the third none
    assert (
        f'href="../../credentials/{CID0}.svg" download' in active and f"{CID2}.svg" not in suspended
    )
    assert (site / "credentials" / f"{CID1}.svg").read_text() == "<svg>1</svg>"


def test_expired_credentials_are_marked(tmp_path):
    credential = make_credentials(1)[0]
    late = datetime(2030, 1, 1, tzinfo=UTC)
    build(tmp_path, credentials=[credential], generated_at=late)
    page = (tmp_path / "site" / "credentials" / CID0 / "index.html").read_text()
    assert "<strong>Expired.</strong>" in page


def test_achievement_page_renders_the_criteria_safely(tmp_path):
    build(tmp_path)
    page = (tmp_path / "site" / "achievements" / "data-foundations" / "index.html").read_text()
    assert 'id="criteria"' in page
    assert "<li>Pass the <strong>final</strong> quiz</li>" in page
    assert "<li>Score 80% &lt;b&gt;or more&lt;/b&gt;</li>" in page
    assert "achievements/data-foundations.svg" in page


def test_duplicate_slugs_and_bad_logo_are_refused(tmp_path):
    from tests.badgeflow.site.factories import make_achievements

    achievements = make_achievements(tmp_path)
    with pytest.raises(CatalogError, match="twice"):
        build(tmp_path, achievements=[achievements[0], achievements[0]])
    logo = tmp_path / "logo.gif"
    logo.write_bytes(b"GIF89a")
    with pytest.raises(CatalogError, match="logo"):
        build(tmp_path, issuer_logo=logo)


NODE_HARNESS = """
function check(email) { return new Promise((resolve) => {
  const result = {textContent: "", className: ""};
  const form = {dataset: DATASET, elements: {email: {value: email}},
    addEventListener: (event, handler) => handler({preventDefault() {}})};
  globalThis.document = {getElementById: (id) => id === "recipient-check" ? form : result};
  globalThis.window = globalThis;
  SCRIPT
  setTimeout(() => resolve(result.className), 200);
});}
(async () => { for (const e of EMAILS) console.log(await check(e)); })();
"""


@pytest.mark.slow
def test_hash_checker_script_agrees_with_the_credential_hash(tmp_path):
    # Runs the page's own inline script (WebCrypto in Node) against the published data-* values.
    build(tmp_path)
    page = (tmp_path / "site" / "credentials" / CID0 / "index.html").read_text()
    form = re.search(r'<form id="recipient-check"[^>]*>', page)
    assert form is not None
    dataset = {
        "salt": html.unescape(re.search(r'data-salt="([^"]*)"', form.group(0)).group(1)),
        "hash": html.unescape(re.search(r'data-hash="([^"]*)"', form.group(0)).group(1)),
    }
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    emails = [f"  {LEARNER_EMAILS[0].upper()} ", LEARNER_EMAILS[0], LEARNER_EMAILS[1]]
    code = (
        NODE_HARNESS.replace("DATASET", json.dumps(dataset))
        .replace("EMAILS", json.dumps(emails))
        .replace("SCRIPT", script)
    )
    run = subprocess.run(["node", "-e", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [
        "check-result",
        "match",
        "check-result",
        "match",
        "check-result",
        "no-match",
    ]


def test_extra_json_is_published_at_its_path_and_refuses_escaping_paths(tmp_path):
    from badgeflow.errors import CredentialError
    from tests.badgeflow.site.factories import build as build_with

    output = build_with(tmp_path, extra_json={"status/revocation/1": {"id": "list"}}).output_dir
    assert json.loads((output / "status" / "revocation" / "1").read_text("utf-8")) == {"id": "list"}
    with pytest.raises(CredentialError, match="not a safe relative path"):
        build_with(tmp_path, extra_json={"../outside": {"id": "list"}})
