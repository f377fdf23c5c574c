"""`badgeflow keys` as an operator uses it: list, rotate (publishing did.json), legacy keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from badgeflow.cli import app
from badgeflow.credentials.keyring import Keyring, read_manifest
from badgeflow.credentials.keys import generate_key_file

REPO = Path(__file__).resolve().parents[3]
DID_WEB = "did:web:localhost%3A8000"
PASS = "correct horse"

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BADGEFLOW_CONFIG", raising=False)
    monkeypatch.setenv("BADGEFLOW_SIGNING__PASSPHRASE", PASS)
    monkeypatch.setenv("BADGEFLOW_CATALOG_DIR", str(REPO / "badge_catalog"))
    return tmp_path


def keys(*args):
    return runner.invoke(app, ["keys", *args])


def _secrets(env):
    ring = Keyring.load(env / "var" / "keys", PASS)
    return [ring._key.private_bytes_raw().hex(), "PRIVATE KEY", PASS]


def test_list_shows_public_information_only(env):
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = keys("list")
    assert result.exit_code == 0, result.output
    [record] = read_manifest(env / "var" / "keys")
    assert f"key-1  current  created {record.created.isoformat()}" in result.output
    assert f"method      {DID_WEB}#key-1" in result.output
    assert f"public key  {record.public_key_multibase}" in result.output
    assert not [s for s in _secrets(env) if s in result.output]


def test_rotate_publishes_a_did_document_listing_every_key(env):
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = keys("rotate")
    assert result.exit_code == 0, result.output
    assert "key-1 (retired) -> key-2 (current)" in result.output
    assert f"new method      {DID_WEB}#key-2" in result.output
    assert "re-published" in result.output
    did = json.loads((env / "var" / "site" / ".well-known" / "did.json").read_text())
    assert [m["id"] for m in did["verificationMethod"]] == [f"{DID_WEB}#key-1", f"{DID_WEB}#key-2"]
    assert not [s for s in _secrets(env) if s in result.output]
    listed = keys("list").output
    assert "key-1  retired " in listed and "key-2  current " in listed


def test_rotate_without_publishing_says_what_to_do_next(env):
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = keys("rotate", "--no-publish")
    assert result.exit_code == 0, result.output
    assert "badgeflow keys publish" in result.output
    assert not (env / "var" / "site").exists()
    published = keys("publish")
    assert published.exit_code == 0, published.output
    did = json.loads((env / "var" / "site" / ".well-known" / "did.json").read_text())
    assert len(did["verificationMethod"]) == 2


def test_rotate_reports_a_site_it_could_not_publish(env, monkeypatch):
    assert runner.invoke(app, ["init"]).exit_code == 0
    monkeypatch.setenv("BADGEFLOW_CATALOG_DIR", str(env / "no-catalog"))
    result = keys("rotate")
    assert result.exit_code == 1
    assert "site not published" in result.output and "badgeflow keys publish" in result.output
    assert [r.key_id for r in read_manifest(env / "var" / "keys")] == ["key-1", "key-2"]


def test_wrong_passphrase_is_a_configuration_error(env, monkeypatch):
    assert runner.invoke(app, ["init"]).exit_code == 0
    monkeypatch.setenv("BADGEFLOW_SIGNING__PASSPHRASE", "battery staple")
    result = keys("rotate")
    assert result.exit_code == 2
    assert "configuration error" in result.output and "wrong passphrase" in result.output
    assert [r.key_id for r in read_manifest(env / "var" / "keys")] == ["key-1"]


def test_did_key_rotation_changes_the_issuer(env, monkeypatch):
    monkeypatch.setenv("BADGEFLOW_SIGNING__METHOD", "did:key")
    init = runner.invoke(app, ["init"])
    assert init.exit_code == 0, init.output
    [record] = read_manifest(env / "var" / "keys")
    assert f"issuer          did:key:{record.public_key_multibase}" in init.output
    refused = keys("rotate")
    assert refused.exit_code == 2
    assert "refusing to rotate" in refused.output and "--new-issuer" in refused.output
    assert len(read_manifest(env / "var" / "keys")) == 1
    result = keys("rotate", "--new-issuer")
    assert result.exit_code == 0, result.output
    new = read_manifest(env / "var" / "keys")[1]
    mk = new.public_key_multibase
    assert f"new method      did:key:{mk}#{mk}" in result.output
    assert "the issuer id changes" in result.output
    profile = json.loads((env / "var" / "site" / "issuer" / "profile.json").read_text())
    assert profile["id"] == f"did:key:{mk}"


def test_a_legacy_key_file_is_listed_then_adopted_by_init(env):
    legacy = env / "var" / "keys" / "issuer-ed25519.pem"
    generate_key_file(legacy, PASS)
    listed = keys("list")
    assert listed.exit_code == 0, listed.output
    assert "legacy key file" in listed.output and "key-1  current" in listed.output
    init = runner.invoke(app, ["init"])
    assert init.exit_code == 0, init.output
    assert "adopted" in init.output
    assert [r.file for r in read_manifest(env / "var" / "keys")] == ["issuer-ed25519.pem"]
    assert "(kept)" in runner.invoke(app, ["init"]).output


def test_vc_jwt_keys_are_made_by_init_rotated_with_alg_and_listed(env, monkeypatch):
    monkeypatch.setenv("BADGEFLOW_ISSUANCE__FORMATS", '["data-integrity", "vc-jwt"]')
    monkeypatch.setenv("BADGEFLOW_ISSUANCE__JWT_ALG", "ES256")
    init = runner.invoke(app, ["init"])
    assert init.exit_code == 0 and "VC-JWT key      p256-1 (ES256)" in init.output
    rotated = keys("rotate", "--alg", "ES256")
    assert rotated.exit_code == 0, rotated.output
    assert f"new method      {DID_WEB}#p256-2" in rotated.output
    assert keys("rotate", "--alg", "RS256").exit_code == 0  # the first RS256 key: rsa-1
    did = json.loads((env / "var" / "site" / ".well-known" / "did.json").read_text())
    assert [m["id"].rpartition("#")[2] for m in did["verificationMethod"]] == [
        "key-1",
        "p256-1",
        "p256-2",
        "rsa-1",
    ]
    listed = keys("list")
    assert "p256-1  ES256 retired" in listed.output and "p256-2  ES256 current" in listed.output
    assert "rsa-1  RS256 current" in listed.output and "thumbprint" in listed.output
    assert "PRIVATE" not in listed.output and PASS not in listed.output
    assert keys("rotate", "--alg", "HS256").exit_code == 2
