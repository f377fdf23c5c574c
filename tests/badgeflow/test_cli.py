"""The `badgeflow` command as an operator uses it: init, verify, run without sources."""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from badgeflow.cli import app
from badgeflow.credentials import Ed25519Signer, bake_png, bake_svg, did_document, issue
from tests.badgeflow.credentials import conftest as credential_fixtures
from tests.badgeflow.credentials.conftest import ISSUED_AT, ISSUER_DID, TEST_SEED, reference_path
from tests.badgeflow.site.factories import tiny_png

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BADGEFLOW_CONFIG", raising=False)
    monkeypatch.setenv("BADGEFLOW_SIGNING__PASSPHRASE", "correct horse")
    return tmp_path


@pytest.fixture
def files(tmp_path):
    """A signed credential, its baked PNG and the issuer's DID document, as files."""
    signer = Ed25519Signer.from_seed(TEST_SEED, f"{ISSUER_DID}#key-1")
    unsigned = credential_fixtures.unsigned.__wrapped__(
        credential_fixtures.issuer.__wrapped__(), credential_fixtures.achievement.__wrapped__()
    )
    did_documents = {ISSUER_DID: did_document(ISSUER_DID, [("key-1", signer.public_key)])}
    signed = issue(unsigned, signer, created=ISSUED_AT)
    credential = tmp_path / "credential.json"
    credential.write_text(json.dumps(signed, indent=2))
    baked = tmp_path / "badge.png"
    baked.write_bytes(bake_png(tiny_png(), json.dumps(signed)))
    did = tmp_path / "did.json"
    did.write_text(json.dumps(next(iter(did_documents.values()))))
    return signed, credential, baked, did


def verify(*args):
    return runner.invoke(app, ["verify", *map(str, args)])


def test_init_creates_an_encrypted_key_and_the_database(env):
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    key = env / "var" / "keys" / "key-1.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (env / "var" / "keys" / "keyring.json").is_file()
    assert b"ENCRYPTED PRIVATE KEY" in key.read_bytes()
    assert (env / "var" / "badgeflow.db").is_file()
    assert "did:web:localhost%3A8000" in result.output
    again = runner.invoke(app, ["init"])
    assert again.exit_code == 0 and "(kept)" in again.output


def test_verify_accepts_the_json_and_the_baked_png(env, files):
    _, credential, baked, did = files
    for path in (credential, baked):
        result = verify(path, "--did-document", did, "--at", "2025-06-01T00:00:00Z")
        assert result.exit_code == 0, result.output
        assert result.output.startswith("VERIFIED: Data Foundations")


CATALOG_SVG = Path(__file__).parents[2] / "badge_catalog" / "images" / "data-foundations.svg"
CHECKS = ["format", "context", "proof", "issuer", "validity", "status"]


def test_verify_accepts_a_baked_svg_and_lists_the_checks(env, files, tmp_path):
    signed, _, _, did = files
    svg = tmp_path / "badge.svg"
    svg.write_text(bake_svg(CATALOG_SVG.read_text("utf-8"), json.dumps(signed)), "utf-8")
    result = verify(svg, "--did-document", did, "--at", "2025-06-01T00:00:00Z")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("VERIFIED: Data Foundations")
    assert "source: baked SVG" in lines[1]
    marks = {line.split()[1]: line.split()[0] for line in lines[2:8]}
    assert marks == {**dict.fromkeys(CHECKS[:5], "✓"), "status": "–"}


def test_verify_json_report_names_the_checks(env, files):
    signed, credential, _, did = files
    signed["name"] = "Data Grandmaster"
    credential.write_text(json.dumps(signed))
    result = verify(credential, "--did-document", did, "--at", "2025-06-01T00:00:00Z", "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert set(report) == {"verified", "credential_id", "issuer", "checks", "errors", "warnings"}
    assert report["verified"] is False and report["issuer"] == ISSUER_DID
    assert report["credential_id"] == signed["id"]
    assert [check["name"] for check in report["checks"]] == CHECKS
    passed = {check["name"]: check["passed"] for check in report["checks"]}
    assert passed == {**dict.fromkeys(CHECKS, True), "proof": False, "status": None}
    assert report["errors"] == ["proof: signature does not match: the credential was altered"]


@pytest.mark.parametrize("name", ["simple-json.png", "simple-json.svg"])
def test_verify_reads_the_1edtech_baked_samples(env, name):
    # Signed by 1EdTech's test key; the verificationMethod is <issuer https URL>#z6Mk..., so
    # the key comes from the fragment (as the 1EdTech validator does), with a warning.
    path = reference_path(f"examples/ob30/validator/baked/{name}")
    result = verify(path, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["verified"] is True
    assert report["issuer"] == "https://example.com/issuers/876543"
    assert report["credential_id"] == "http://example.com/credentials/3527"
    assert [w for w in report["warnings"] if "verification method fragment" in w]


@pytest.mark.parametrize("name", ["baked/simple-jwt.png", "baked/simple-jwt.svg"])
def test_verify_accepts_the_1edtech_baked_vc_jwt_samples(env, name):
    # Their header embeds the RSA key (jwk): the signature verifies, but nothing ties the key
    # to the issuer (a warning, as for a fragment key); they carry `aud`, not the `sub` claim.
    path = reference_path(f"examples/ob30/validator/{name}")
    report = json.loads(verify(path, "--json").output)
    assert report["verified"] is True, report
    passed = {check["name"]: check["passed"] for check in report["checks"]}
    assert passed == {**dict.fromkeys(CHECKS, True), "issuer": None, "status": None}
    assert any("embedded jwk" in w for w in report["warnings"])
    assert any("claim sub is missing" in w for w in report["warnings"])


def test_verify_reports_the_1edtech_simple_jwt_as_unresolvable(env):
    # Legacy `vc` claim, VC 1.1 contexts, and no kid or jwk: the key cannot be found offline.
    result = verify(reference_path("examples/ob30/validator/simple.jwt"), "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    passed = {check["name"]: check["passed"] for check in report["checks"]}
    assert passed["proof"] is None and passed["issuer"] is False and passed["context"] is False
    assert any("neither kid nor jwk" in e for e in report["errors"])
    assert any("legacy VC-JWT" in w for w in report["warnings"])


def test_verify_reports_a_malformed_svg_with_exit_2(env, tmp_path):
    path = tmp_path / "badge.svg"
    path.write_text('<!DOCTYPE svg [<!ENTITY a "a">]><svg xmlns="http://www.w3.org/2000/svg"/>')
    result = verify(path)
    assert result.exit_code == 2
    assert "cannot read" in result.output and "refused" in result.output


def test_verify_rejects_a_tampered_credential(env, files):
    signed, credential, _, did = files
    signed["credentialSubject"]["achievement"]["name"] = "Data Grandmaster"
    credential.write_text(json.dumps(signed))
    result = verify(credential, "--did-document", did, "--at", "2025-06-01T00:00:00Z")
    assert result.exit_code == 1
    assert result.output.startswith("NOT VERIFIED")
    assert "signature" in result.output


def test_verify_rejects_a_term_the_contexts_do_not_define(env, files):
    signed, credential, _, did = files
    signed["credentialSubject"]["favouriteColour"] = "blue"
    credential.write_text(json.dumps(signed))
    result = verify(credential, "--did-document", did, "--at", "2025-06-01T00:00:00Z")
    assert result.exit_code == 1
    assert "favouriteColour" in result.output


def test_verify_rejects_an_expired_credential(env, files):
    _, credential, _, did = files  # valid for a year from ISSUED_AT
    later = (ISSUED_AT + timedelta(days=366)).isoformat()
    result = verify(credential, "--did-document", did, "--at", later)
    assert result.exit_code == 1
    assert "expired" in result.output
    # ...and by default it is checked against the real clock, long after it expired.
    assert verify(credential, "--did-document", did).exit_code == 1


def test_verify_without_the_issuers_did_document_explains(env, files):
    _, credential, _, _ = files
    result = verify(credential)
    assert result.exit_code == 1
    assert "did:web:badges.example.edu" in result.output


def test_verify_reports_an_unreadable_file_with_exit_2(env, tmp_path):
    path = tmp_path / "nonsense.json"
    path.write_text("this is not JSON")
    result = runner.invoke(app, ["verify", str(path)])
    assert result.exit_code == 2
    assert "cannot read" in result.output


def test_run_without_sources_says_how_to_configure_them(env):
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 2
    assert "no sources configured" in result.output


def test_batches_and_quarantine_show_what_the_last_run_refused(env, tmp_path):
    from datetime import UTC, datetime

    import pandas as pd

    from badgeflow import store
    from badgeflow.models import QUARANTINE_COLUMNS

    assert runner.invoke(app, ["init"]).exit_code == 0
    engine = store.make_engine("sqlite:///var/badgeflow.db")
    at = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    rejected = pd.DataFrame(
        [
            [
                "export",
                7,
                "export:r7",
                "score 140 is outside 0-100",
                {"score": "140", "id": "r7"},
                "expect_column_values_to_be_between",
                "score",
                "140",
            ]
        ],
        columns=list(QUARANTINE_COLUMNS),
    )
    with store.session_factory(engine).begin() as session:
        store.start_batch(session, batch_id="b-1", as_of=at, started_at=at)
        store.record_quarantine(session, rejected, batch_id="b-1")
        store.finish_batch(
            session,
            "b-1",
            status="succeeded",
            finished_at=at,
            summary={"rows_read": 10, "rows_quarantined": 1},
        )
    engine.dispose()

    listing = runner.invoke(app, ["batches"])
    assert listing.exit_code == 0 and "b-1" in listing.output and "succeeded" in listing.output
    shown = runner.invoke(app, ["quarantine"])
    assert shown.exit_code == 0
    assert "export row 7 (export:r7): score 140 is outside 0-100" in shown.output
    assert "first failure: expect_column_values_to_be_between on score, value '140'" in shown.output
    out = tmp_path / "q.csv"
    assert runner.invoke(app, ["quarantine", "--batch", "b-1", "--csv", str(out)]).exit_code == 0
    lines = out.read_text().splitlines()
    assert lines[0] == (
        "source,row_number,record_key,reason,expectation,column_name,value,score,id"
    )
    assert lines[1] == (
        "export,7,export:r7,score 140 is outside 0-100,"
        "expect_column_values_to_be_between,score,140,140,r7"
    )


def test_batches_show_the_sources_and_overrides_each_batch_ran_with(env):
    from datetime import UTC, datetime

    from badgeflow import store
    from badgeflow.store.ledger import claim_batch

    assert runner.invoke(app, ["init"]).exit_code == 0
    engine = store.make_engine("sqlite:///var/badgeflow.db")
    at = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    recorded = {
        "as_of": at.isoformat(),
        "sources": ["moodle-demo", "canvas-demo"],
        "full_resync": True,
        "accept_contract_breach": False,
        "full_site_rebuild": True,
    }
    with store.session_factory(engine).begin() as session:
        claim_batch(
            session,
            "b-new",
            parameters=recorded,
            as_of=at,
            now=at,
            flow_run_id=None,
            owner_is_live=lambda _: False,
        )
        # A batch from before the ledger recorded parameters lists without the column.
        store.start_batch(session, batch_id="b-old", as_of=at, started_at=at.replace(hour=1))
    engine.dispose()

    listing = runner.invoke(app, ["batches"])
    assert listing.exit_code == 0
    new_line, old_line = (
        next(line for line in listing.output.splitlines() if line.startswith(batch))
        for batch in ("b-new", "b-old")
    )
    assert new_line.endswith("  sources: moodle-demo, canvas-demo; full resync; full site rebuild")
    assert "sources:" not in old_line


def test_commands_that_need_the_database_say_to_run_init(env):
    result = runner.invoke(app, ["batches"])
    assert result.exit_code == 2
    assert "badgeflow init" in result.output
