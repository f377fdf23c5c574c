"""`badgeflow verify` on the 1EdTech OB 2.0 samples: signed verifies, hosted is unresolved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from badgeflow.cli import app

OB20 = Path(__file__).resolve().parents[4] / "shared/reference/openbadges/examples/ob20/validator"
DOCUMENTS = ["key1.json", "organization.json", "robotics-badge.json"]
runner = CliRunner()


@pytest.fixture(autouse=True)
def _empty_config(tmp_path, monkeypatch):
    config = tmp_path / "badgeflow.toml"
    config.write_text(f'[site]\noutput_dir = "{tmp_path / "site"}"\n', encoding="utf-8")
    monkeypatch.setenv("BADGEFLOW_CONFIG", str(config))


def _verify(name, *documents):
    args = ["verify", str(OB20 / name), "--json", "--at", "2026-01-01T00:00:00Z"]
    for document in documents:
        args += ["--document", str(OB20 / document)]
    result = runner.invoke(app, args)
    report = json.loads(result.output)
    return result.exit_code, {c["name"]: c["passed"] for c in report["checks"]}, report


def test_signed_sample_verifies_with_its_documents():
    code, checks, report = _verify("simple.jwt", *DOCUMENTS)
    assert code == 0, report
    assert report["issuer"] == "https://example.org/organization.json"
    assert checks == {
        "format": True,
        "documents": True,
        "proof": True,
        "issuer": True,
        "recipient": True,
        "validity": True,
        "status": None,
    }


def test_signed_sample_alone_is_unresolved_not_a_crash():
    code, checks, _ = _verify("simple.jwt")
    assert code == 1 and checks["documents"] is False


@pytest.mark.parametrize("name", ["basic-assertion.json", "baked/simple-badge.png"])
def test_hosted_sample_cannot_be_fetched_offline(name):
    code, checks, report = _verify(name, *DOCUMENTS)
    assert code == 1 and checks["proof"] is False
    assert report["credential_id"] == "https://example.org/beths-robotics-badge.json"
    assert "could not be retrieved offline" in report["errors"][0]


def test_text_output_names_the_ob2_checks():
    result = runner.invoke(
        app,
        ["verify", str(OB20 / "simple.jwt")]
        + sum((["--document", str(OB20 / d)] for d in DOCUMENTS), []),
    )
    assert result.exit_code == 0
    assert "source: JWS, OB 2.0" in result.output and "– status" in result.output
