"""`badgeflow endorse`: a partner's keyring signs an EndorsementCredential about an achievement."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from badgeflow.catalog import load_catalog
from badgeflow.cli import app
from badgeflow.credentials import verify_credential
from badgeflow.credentials.keyring import Keyring

REPO = Path(__file__).resolve().parents[3]
runner = CliRunner()


def test_endorse_writes_a_signed_endorsement_the_catalog_embeds(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BADGEFLOW_CONFIG", raising=False)
    monkeypatch.setenv("BADGEFLOW_CATALOG_DIR", str(REPO / "badge_catalog"))
    monkeypatch.setenv("BADGEFLOW_SITE__BASE_URL", "https://badges.example.org")
    monkeypatch.setenv("PARTNER_PASS", "partner-secret")
    now = datetime.now(UTC).replace(microsecond=0)
    Keyring.create(tmp_path / "partner", "partner-secret", now=now)
    out = tmp_path / "endorsement.json"
    result = runner.invoke(
        app,
        [
            "endorse",
            "sql-essentials",
            "--keys-dir",
            str(tmp_path / "partner"),
            "--passphrase-env",
            "PARTNER_PASS",
            "--name",
            "Guild",
            "--url",
            "https://guild.example.org",
            "--comment",
            "Solid.",
            "--valid-days",
            "30",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text("utf-8"))
    assert document["credentialSubject"] == {
        "id": "https://badges.example.org/achievements/sql-essentials",
        "type": ["EndorsementSubject"],
        "endorsementComment": "Solid.",
    }
    assert document["issuer"]["id"].startswith("did:key:z6Mk")
    assert isinstance(document["proof"], list)
    check = verify_credential(document, did_documents={}, now=now + timedelta(days=1))
    assert check.verified, check.errors
    assert not verify_credential(document, did_documents={}, now=now + timedelta(days=31)).verified


def test_endorse_reports_a_wrong_passphrase(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BADGEFLOW_CONFIG", raising=False)
    monkeypatch.setenv("BADGEFLOW_CATALOG_DIR", str(REPO / "badge_catalog"))
    monkeypatch.setenv("PARTNER_PASS", "wrong")
    Keyring.create(tmp_path / "partner", "right", now=datetime.now(UTC))
    result = runner.invoke(
        app,
        ["endorse", "sql-essentials", "--keys-dir", str(tmp_path / "partner"), "--name", "G"]
        + ["--passphrase-env", "PARTNER_PASS"],
    )
    assert result.exit_code == 2
    assert "cannot endorse" in result.output


def test_an_endorsement_for_another_site_url_is_left_out():
    catalog = load_catalog(REPO / "badge_catalog")
    here = catalog.achievement_info("data-applied", site_base_url="http://localhost:8000")
    elsewhere = catalog.achievement_info("data-applied", site_base_url="https://other.example")
    assert len(here.endorsements) == 1
    assert elsewhere.endorsements == ()
