"""`badgeflow verify --online`: offline stays the default; fetch failures are named checks."""

from __future__ import annotations

import json
import socket

import pytest
from typer.testing import CliRunner

from badgeflow.cli import app
from tests.badgeflow import test_cli

runner = CliRunner()
env = test_cli.env
files = test_cli.files
AT = "2025-06-01T00:00:00Z"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def loopback_credential(files, tmp_path):
    """The signed credential, re-issued as a did:web on a loopback port nothing listens on."""
    signed, *_ = files
    did = f"did:web:127.0.0.1%3A{_closed_port()}"
    document = {**signed, "issuer": {**signed["issuer"], "id": did}}
    path = tmp_path / "loopback.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return did, path


def test_online_reports_an_unreachable_did_web_under_the_issuer_check(env, loopback_credential):
    did, path = loopback_credential
    result = runner.invoke(app, ["verify", str(path), "--online", "--at", AT, "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    issuer = next(c for c in report["checks"] if c["name"] == "issuer")
    port = did.rsplit("%3A", 1)[1]
    assert issuer["passed"] is False
    assert issuer["detail"].startswith(
        f"did:web resolution of {did} failed: https://127.0.0.1:{port}/.well-known/did.json: "
        "cannot fetch (ConnectError"
    )


def test_offline_is_the_default_and_fetches_nothing(env, loopback_credential):
    did, path = loopback_credential
    result = runner.invoke(app, ["verify", str(path), "--at", AT, "--json"])
    assert result.exit_code == 1
    issuer = next(c for c in json.loads(result.output)["checks"] if c["name"] == "issuer")
    assert "resolution" not in issuer["detail"]


def test_online_uses_a_given_did_document_first(env, files):
    _, credential, _, did = files
    result = runner.invoke(
        app, ["verify", str(credential), "--online", "--did-document", str(did), "--at", AT]
    )
    assert result.exit_code == 0, result.output
