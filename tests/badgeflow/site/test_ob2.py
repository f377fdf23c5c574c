"""The OB 2.0 part of the site: published documents, baked images, revocation, verification."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from badgeflow.credentials import unbake_png, unbake_svg
from badgeflow.credentials.ob2 import site_resolver, verify_ob2
from badgeflow.errors import CatalogError
from badgeflow.site.ob2 import Ob2Credential, Ob2Signing, Ob2Urls, ob2_site_files
from tests.badgeflow.site import factories

NOW = datetime(2026, 6, 1, tzinfo=UTC)
URLS = Ob2Urls(factories.BASE_URL)
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="8"><rect/></svg>'


@cache
def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _credentials():
    return [
        Ob2Credential(
            credential_id=c.credential_id,
            achievement_slug=c.achievement_slug,
            document=c.document,
            awarded_at=c.awarded_at,
            valid_until=c.valid_until,
            revoked=c.status != "active",
            reason="plagiarism" if c.status == "revoked" else None,
        )
        for c in factories.make_credentials()
    ]


def _publish(tmp_path, signing=None):
    svg = tmp_path / "badge.svg"  # the factory's own SVG is an empty <svg/>
    svg.write_text(SVG)
    achievements = [
        replace(a, image_svg=svg if a.image_svg else None)
        for a in factories.make_achievements(tmp_path)
    ]
    out = ob2_site_files(
        urls=URLS,
        issuer=factories.make_issuer(),
        achievements=[(a.info, a.image_png, a.image_svg) for a in achievements],
        credentials=_credentials(),
        signing=signing,
    )
    factories.build(
        tmp_path, achievements=achievements, extra_json=out.documents, extra_files=out.files
    )
    return tmp_path / "site"


def _verify(site, path):
    text = (site / path).read_bytes()
    payload = unbake_png(text) if path.endswith(".png") else text.decode()
    if path.endswith(".svg"):
        payload = unbake_svg(payload)
    return verify_ob2(payload, resolve=site_resolver(site, factories.BASE_URL), now=NOW)


def test_hosted_site_layout_and_documents(tmp_path):
    site = _publish(tmp_path)
    ob2 = site / "ob2"
    issuer = json.loads((ob2 / "issuer.json").read_text())
    assert issuer["id"] == f"{factories.BASE_URL}/ob2/issuer.json"
    assert "publicKey" not in issuer and "revocationList" not in issuer
    badge = json.loads((ob2 / "badges" / "data-foundations.json").read_text())
    assert badge["issuer"] == issuer["id"] and badge["tags"] == ["data", "python"]
    first = "00000000-0000-4000-8000-000000000000"
    assertion = json.loads((ob2 / "assertions" / f"{first}.json").read_text())
    assert assertion["id"] == f"{factories.BASE_URL}/ob2/assertions/{first}.json"
    assert assertion["recipient"]["identity"] == factories.identity_hash(
        factories.LEARNER_EMAILS[0], "salt0"
    )
    assert assertion["expires"] == "2028-01-15T09:00:00Z"
    assert not (ob2 / "revocations.json").exists() and not (ob2 / "keys").exists()
    # data-foundations (credentials 0 and 2) has an SVG image, sql-basics (1) has not.
    expected = {"0": ("json", "png", "svg"), "1": ("json", "png"), "2": ("json", "png", "svg")}
    assert sorted(p.name for p in (ob2 / "assertions").iterdir()) == sorted(
        f"00000000-0000-4000-8000-00000000000{n}.{e}" for n, exts in expected.items() for e in exts
    )


@pytest.mark.parametrize("extension", ["json", "png", "svg"])
def test_hosted_assertions_verify_from_the_site_folder(tmp_path, extension):
    site = _publish(tmp_path)
    result = _verify(site, f"ob2/assertions/00000000-0000-4000-8000-000000000000.{extension}")
    assert result.verified, result.errors


def test_revoked_and_suspended_hosted_assertions_say_so(tmp_path):
    site = _publish(tmp_path)
    revoked = "ob2/assertions/00000000-0000-4000-8000-000000000001"
    document = json.loads((site / f"{revoked}.json").read_text())
    assert document["revoked"] is True and document["revocationReason"] == "plagiarism"
    result = _verify(site, f"{revoked}.png")  # the baked copy predates the revocation
    assert not result.verified and "revoked by the issuer (plagiarism)" in result.errors
    suspended = _verify(site, "ob2/assertions/00000000-0000-4000-8000-000000000002.json")
    assert not suspended.verified


def test_signed_site_publishes_keys_revocations_and_jws(tmp_path):
    retired = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    signing = Ob2Signing("rsa-2", _key(), {"rsa-1": retired, "rsa-2": _key().public_key()})
    site = _publish(tmp_path, signing)
    ob2 = site / "ob2"
    issuer = json.loads((ob2 / "issuer.json").read_text())
    assert issuer["publicKey"] == [URLS.key("rsa-1"), URLS.key("rsa-2")]
    assert issuer["revocationList"] == URLS.revocations
    key = json.loads((ob2 / "keys" / "rsa-2.json").read_text())
    assert key["owner"] == issuer["id"] and "PRIVATE" not in json.dumps(key)
    listing = json.loads((ob2 / "revocations.json").read_text())
    assert [e["id"] for e in listing["revokedAssertions"]] == [
        URLS.assertion(f"00000000-0000-4000-8000-00000000000{n}") for n in (1, 2)
    ]
    first = "ob2/assertions/00000000-0000-4000-8000-000000000000"
    jws = (site / f"{first}.jwt").read_text()
    assert unbake_png((site / f"{first}.png").read_bytes()) == jws
    assert unbake_svg((site / f"{first}.svg").read_text()) == jws
    for path in (f"{first}.jwt", f"{first}.png", f"{first}.svg"):
        result = _verify(site, path)
        assert result.verified, (path, result.errors)
    revoked = _verify(site, "ob2/assertions/00000000-0000-4000-8000-000000000001.jwt")
    assert "revoked (plagiarism)" in revoked.errors


def test_an_issuer_without_email_cannot_publish_ob2(tmp_path):
    with pytest.raises(CatalogError, match="email"):
        ob2_site_files(
            urls=URLS,
            issuer=replace(factories.make_issuer(), email=None),
            achievements=[],
            credentials=[],
        )
