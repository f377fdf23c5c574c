"""Development check: each catalog achievement and recipient option against the OB schemas."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from badgeflow.catalog import load_catalog
from badgeflow.credentials import build_credential, issue, verify_credential
from badgeflow.credentials.fast import BatchSigner
from badgeflow.credentials.ob3 import IdentityObject
from badgeflow.models import JSONDict
from badgeflow.status import status_entry

from .conftest import ISSUED_AT, ISSUER_DID, reference_path

REPO = Path(__file__).resolve().parents[3]
BASE = "http://localhost:8000"  # the demo's site URL, which the demo endorsement names
ENDORSEMENT = REPO / "badge_catalog" / "endorsements" / "data-applied-northwind.json"
CATALOG = load_catalog(REPO / "badge_catalog")


def schema_errors(schema_name: str, document: JSONDict) -> list[str]:
    schema = json.loads(reference_path(f"schemas/{schema_name}").read_text("utf-8"))
    validator = jsonschema.validators.validator_for(schema)(
        schema, format_checker=jsonschema.FormatChecker()
    )
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def demo_credential(slug: str, recipient: str, score: float | None = 82.0) -> JSONDict:
    issuer = CATALOG.issuer_info(issuer_did=ISSUER_DID, site_base_url=BASE)
    return build_credential(
        credential_id="urn:uuid:3f1c2a9e-6b7d-4c1e-9a0b-2d4e6f8a0c1e",
        issuer=issuer,
        achievement=CATALOG.achievement_info(slug, site_base_url=BASE),
        recipient_email=" Ada.Lovelace@Example.org ",
        salt="c2FsdHktc2FsdA",
        valid_from=ISSUED_AT,
        valid_until=ISSUED_AT + timedelta(days=365),
        awarded_at=ISSUED_AT,
        score=score,
        evidence_narrative="Completed DS201 on 2025-02-27.",
        credential_status=[
            status_entry(list_url=f"{BASE}/status/1", index=7, purpose="revocation")
        ],
        recipient_identity=recipient,  # type: ignore[arg-type]
        recipient_did="did:key:z6MkfH9mYJy93Xa3oS5848vsdhKNTkWCzKzwiUdDjPPXwinj",
    )


@pytest.mark.parametrize("recipient", ["hashed_email", "email", "did"])
@pytest.mark.parametrize("slug", sorted(CATALOG.achievements))
def test_every_catalog_credential_validates_and_verifies(slug, recipient, signer, did_documents):
    unsigned = demo_credential(slug, recipient)
    signed = issue(unsigned, signer, created=ISSUED_AT, proof_as_array=True)
    assert schema_errors("ob_v3p0_achievementcredential_schema.json", signed) == []
    fast = BatchSigner(signer, created=ISSUED_AT, proof_as_array=True)
    assert fast.sign([unsigned]) == [signed]
    result = verify_credential(signed, did_documents=did_documents, now=ISSUED_AT)
    assert result.verified, result.errors


def test_the_demo_catalog_exercises_alignment_evidence_and_endorsement():
    achievement = demo_credential("data-applied", "hashed_email")["credentialSubject"]
    badge = achievement["achievement"]
    assert badge["alignment"][0]["targetUrl"].startswith("https://www.onetonline.org/")
    assert badge["endorsement"] == [json.loads(ENDORSEMENT.read_text("utf-8"))]
    assert badge["fieldOfStudy"] == "Data analysis" and badge["inLanguage"] == "en"
    evidence = demo_credential("data-applied", "hashed_email")["evidence"]
    assert [e.get("genre") for e in evidence] == ["Assessment", None]
    assert "**Assessor:** graded by a Badgeflow Academy instructor" in evidence[0]["narrative"]
    assert "**Duration:**" in evidence[0]["narrative"]
    sql = demo_credential("sql-essentials", "hashed_email")["credentialSubject"]["achievement"]
    assert sql["humanCode"] == "SQL110" and sql["alignment"][0]["targetCode"] == "15-1242.00"


def test_recipient_options():
    hashed = demo_credential("sql-essentials", "hashed_email")["credentialSubject"]
    assert "lovelace" not in json.dumps(hashed).lower()
    assert hashed["identifier"] == [
        IdentityObject.hashed_email("ada.lovelace@example.org", "c2FsdHktc2FsdA").to_json()
    ]
    plain = demo_credential("sql-essentials", "email")["credentialSubject"]
    assert plain["identifier"][0]["identityHash"] == "ada.lovelace@example.org"
    assert plain["identifier"][0]["hashed"] is False and "salt" not in plain["identifier"][0]
    did = demo_credential("sql-essentials", "did")["credentialSubject"]
    assert did["id"].startswith("did:key:") and "identifier" not in did


def test_the_demo_endorsement_validates_and_verifies():
    endorsement = json.loads(ENDORSEMENT.read_text("utf-8"))
    assert schema_errors("ob_v3p0_endorsementcredential_schema.json", endorsement) == []
    created = endorsement["proof"][0]["created"]

    now = datetime.fromisoformat(created.replace("Z", "+00:00")) + timedelta(days=1)
    result = verify_credential(endorsement, did_documents={}, now=now)
    assert result.verified, result.errors
    assert endorsement["credentialSubject"]["id"] == f"{BASE}/achievements/data-applied"


def test_a_tampered_endorsement_fails_verification():
    endorsement = json.loads(ENDORSEMENT.read_text("utf-8"))
    endorsement["credentialSubject"]["endorsementComment"] = "Not what they said."
    now = ISSUED_AT + timedelta(days=3650)
    assert not verify_credential(endorsement, did_documents={}, now=now).verified
