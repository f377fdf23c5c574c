"""OB 2.0 files made with each credential (`SiteCredential.extra_files`, as the publish stage
streams them) are the same bytes as `ob2_site_files` made up front."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest

from badgeflow.credentials import ob2 as docs
from badgeflow.site.ob2 import (
    Ob2Signing,
    ob2_assertions,
    ob2_fixed_documents,
    ob2_site_files,
)
from tests.badgeflow.site import factories
from tests.badgeflow.site.test_ob2 import SVG, URLS, _credentials, _key


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _achievements(tmp_path: Path):
    svg = tmp_path / "badge.svg"
    svg.write_text(SVG)
    return [
        replace(a, image_svg=svg if a.image_svg else None)
        for a in factories.make_achievements(tmp_path)
    ]


def _both(tmp_path: Path, signing: Ob2Signing | None, processes: int | None = None):
    achievements = _achievements(tmp_path)
    images = [(a.info, a.image_png, a.image_svg) for a in achievements]
    issuer = factories.make_issuer()
    items = _credentials()
    upfront = ob2_site_files(
        urls=URLS, issuer=issuer, achievements=images, credentials=items, signing=signing
    )
    factories.build(
        tmp_path,
        tmp_path / "upfront",
        achievements=achievements,
        extra_json=upfront.documents,
        extra_files=upfront.files,
        processes=processes,
    )
    assertions = ob2_assertions(URLS, images, signing)
    streamed = []
    for credential, item in zip(factories.make_credentials(), items, strict=True):
        jws = None
        if signing is not None:
            jws = docs.sign_assertion(assertions.assertion(item), signing.private_key)
        streamed.append(replace(credential, extra_files=partial(assertions.files, item, jws)))
    revoked = [(URLS.assertion(i.credential_id), i.reason) for i in items if i.revoked]
    fixed = ob2_fixed_documents(
        urls=URLS, issuer=issuer, achievements=images, signing=signing, revoked=revoked
    )
    factories.build(
        tmp_path,
        tmp_path / "streamed",
        achievements=achievements,
        credentials=streamed,
        extra_json=fixed,
        processes=processes,
    )
    return _tree(tmp_path / "upfront"), _tree(tmp_path / "streamed")


def _signing() -> Ob2Signing:
    key = _key()
    return Ob2Signing("rsa-1", key, {"rsa-1": key.public_key()})


@pytest.mark.slow  # two site builds: about 2 s
@pytest.mark.parametrize("signed", [False, True])
def test_streamed_ob2_files_are_the_upfront_bytes(tmp_path, signed):
    upfront, streamed = _both(tmp_path, _signing() if signed else None)
    assert any(path.startswith("ob2/assertions/") for path in upfront)
    assert streamed == upfront


@pytest.mark.slow
def test_streamed_ob2_files_made_in_workers_are_the_same_bytes(tmp_path):
    upfront, streamed = _both(tmp_path, None, processes=2)
    assert any(path.endswith(".png") and path.startswith("ob2/") for path in streamed)
    assert streamed == upfront
