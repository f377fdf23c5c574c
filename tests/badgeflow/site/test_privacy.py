"""No learner email anywhere in the published site, and accept tokens only on accept pages."""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from badgeflow.credentials.bake import bake_png
from badgeflow.site.build import SiteCredential
from tests.badgeflow.site.factories import (
    LEARNER_EMAILS,
    build,
    credential_document,
    make_credentials,
    make_hostile_inputs,
    tiny_png,
    with_accept_tokens,
)

PLAIN_EMAIL = "Eve.Private@Example.COM"
NAME_IS_EMAIL = "mallory.name@example.com"
EMAILS = (*LEARNER_EMAILS, PLAIN_EMAIL, NAME_IS_EMAIL)


def png_texts(data: bytes) -> list[str]:
    """The text of every tEXt, zTXt and iTXt chunk of a PNG, decompressed."""
    texts, offset = [], 8
    while offset + 8 <= len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        offset += 12 + length
        if kind == b"tEXt":
            texts.append(body.split(b"\0", 1)[1].decode("latin-1"))
        elif kind == b"zTXt":
            texts.append(zlib.decompress(body.split(b"\0", 1)[1][1:]).decode("latin-1"))
        elif kind == b"iTXt":
            _keyword, rest = body.split(b"\0", 1)
            compressed, rest = rest[0], rest[2:]
            _language, _translated, text = rest.split(b"\0", 2)
            texts.append((zlib.decompress(text) if compressed else text).decode("utf-8"))
    return texts


def readable(path: Path) -> str:
    """A file's content as text to search, lower-cased; PNG chunk texts decompressed."""
    data = path.read_bytes()
    text = data.decode("utf-8", errors="replace")
    if data.startswith(b"\x89PNG"):
        text += "\n".join(png_texts(data))
    return text.lower()


def spellings(email: str) -> list[str]:
    """Ways an address can appear in HTML, JSON or a URL."""
    local, domain = email.lower().split("@")
    return [
        f"{local}@{domain}",
        f"{local}%40{domain}",
        f"{local}&#64;{domain}",
        f"{local}&#x40;{domain}",
        f"{local}\\u0040{domain}",
        local,
    ]


def plain_email_credential(cid: str) -> SiteCredential:
    document = json.loads(credential_document(cid, PLAIN_EMAIL, "s", "sql-basics"))
    identity = document["credentialSubject"]["identifier"][0]
    identity.update(hashed=False, identityHash=PLAIN_EMAIL)
    del identity["salt"]
    text = json.dumps(document)
    return SiteCredential(
        credential_id=cid,
        document=text,
        achievement_slug="sql-basics",
        awarded_at=datetime(2026, 1, 1, tzinfo=UTC),
        learner_name="Eve Private",
        baked_png=bake_png(tiny_png(), text),
        baked_svg=lambda: f"<svg><!-- {PLAIN_EMAIL} --></svg>",
        accept_token="e" * 32,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[Path, list[SiteCredential]]:
    root = tmp_path_factory.mktemp("privacy")
    achievements, hostile = make_hostile_inputs(root)
    credentials = [
        replace(c, learner_name=f"Learner {n}", baked_png=bake_png(tiny_png(), c.document))
        for n, c in enumerate(with_accept_tokens(make_credentials(3)))
    ]
    credentials += [
        plain_email_credential("00000000-0000-4000-8000-0000000000e1"),
        replace(
            credentials[0],
            credential_id="00000000-0000-4000-8000-0000000000e2",
            learner_name=NAME_IS_EMAIL,
            accept_token="f" * 32,
        ),
        *[replace(c, achievement_slug="data-foundations") for c in hostile],
    ]
    from tests.badgeflow.site.factories import make_achievements

    build(root, achievements=[*make_achievements(root)[1:], *achievements], credentials=credentials)
    return root / "site", credentials


def test_no_learner_email_in_any_file_in_any_spelling(site):
    root, _credentials = site
    files = [p for p in root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".png" and png_texts(p.read_bytes()) for p in files)  # scanner works
    for path in files:
        text = readable(path)
        for email in EMAILS:
            for spelling in spellings(email):
                assert spelling not in text, (email, spelling, path.relative_to(root))
        assert path.name.lower() not in {e.lower() for e in EMAILS}


def test_the_scanner_would_see_a_baked_email(tmp_path):
    baked = bake_png(tiny_png(), json.dumps({"email": PLAIN_EMAIL}))
    # The same text in a compressed iTXt chunk, which a byte search would miss.
    body = b"k\0\x01\x00\0\0" + zlib.compress(PLAIN_EMAIL.encode())
    chunk = struct.pack(">I", len(body)) + b"iTXt" + body + b"\0\0\0\0"
    hidden = tiny_png()[:-12] + chunk + tiny_png()[-12:]
    assert PLAIN_EMAIL.encode() not in hidden
    for data in (baked, hidden):
        (tmp_path / "x.png").write_bytes(data)
        assert PLAIN_EMAIL.lower() in readable(tmp_path / "x.png")


def test_accept_tokens_appear_only_on_their_own_accept_page(site):
    root, credentials = site
    tokens = {c.accept_token for c in credentials if c.accept_token}
    assert len(tokens) == len(credentials)
    pages_with_token = {t: [] for t in tokens}
    for path in (p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root)
        text = path.read_bytes().decode("utf-8", errors="replace")
        for token in tokens:
            if token in text or token in relative.as_posix():
                assert relative.parts[:2] == ("accept", token), (token, relative)
                pages_with_token[token].append(relative.as_posix())
    for token, paths in pages_with_token.items():
        assert f"accept/{token}/index.html" in paths
        assert f"accept/{token}/accepted/index.html" in paths


def test_plain_email_credential_accept_page_offers_no_files(site):
    root, _credentials = site
    text = (root / "accept" / ("e" * 32) / "index.html").read_text("utf-8")
    assert "0000000000e1.json" not in text and "0000000000e1.png" not in text
    assert "sent to you by email" in text
