"""Digital Bazaar's verifier (with vc-bitstring-status-list) sees badgeflow's revocations."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from badgeflow.credentials import Ed25519Signer, build_credential, did_document, issue
from badgeflow.models import AchievementInfo, IssuerInfo
from badgeflow.status import build_status_list_credential, status_entry, status_list_url
from tests.interop.digitalbazaar import verify_with_digitalbazaar

pytestmark = pytest.mark.slow

DID = "did:web:badges.example.edu"
BASE = "https://badges.example.edu"
SEED = bytes(range(32))
# Digital Bazaar checks the status list credential against the wall clock, so the lists
# and credentials are dated in the past; the credentials' own check uses NOW.
ISSUED = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)
NOW = "2024-06-01T00:00:00Z"
REVOCATION = status_list_url(BASE, "revocation", 1)
SUSPENSION = status_list_url(BASE, "suspension", 1)


def _credential(signer, number: int, revocation_index: int, suspension_index: int | None):
    entries = [status_entry(list_url=REVOCATION, index=revocation_index, purpose="revocation")]
    if suspension_index is not None:
        entries.append(
            status_entry(list_url=SUSPENSION, index=suspension_index, purpose="suspension")
        )
    unsigned = build_credential(
        credential_id=f"urn:uuid:00000000-0000-4000-8000-{number:012d}",
        issuer=IssuerInfo(id=DID, name="Example Academy", url=BASE),
        achievement=AchievementInfo(
            id=f"{BASE}/achievements/sql",
            slug="sql",
            name="SQL Essentials",
            description="Writes correct SQL.",
            criteria_narrative="Pass the exam.",
            criteria_url=f"{BASE}/achievements/sql/",
            image_url=f"{BASE}/achievements/sql.png",
        ),
        recipient_email=f"learner{number}@example.org",
        salt="c2FsdA",
        valid_from=ISSUED,
        valid_until=None,
        awarded_at=ISSUED,
        score=None,
        credential_status=entries,
    )
    return issue(unsigned, signer, created=ISSUED)


@pytest.fixture
def files(tmp_path):
    signer = Ed25519Signer.from_seed(SEED, f"{DID}#key-1")
    did = tmp_path / "did.json"
    did.write_text(json.dumps(did_document(DID, [("key-1", signer.public_key)])))
    credentials = {
        "active": _credential(signer, 1, 10, 20),
        "revoked": _credential(signer, 2, 11, 21),
        "suspended": _credential(signer, 3, 12, 22),
        "revocation-only": _credential(signer, 4, 13, None),
    }
    paths = {}
    for name, credential in credentials.items():
        paths[name] = tmp_path / f"{name}.json"
        paths[name].write_text(json.dumps(credential))
    lists = []
    for url, purpose, indices in (
        (REVOCATION, "revocation", [11]),
        (SUSPENSION, "suspension", [22]),
    ):
        listing = build_status_list_credential(
            list_url=url,
            purpose=purpose,
            issuer_id=DID,
            set_indices=indices,
            valid_from=ISSUED + timedelta(days=30),
            signer=signer,
        )
        lists.append(tmp_path / f"{purpose}-list.json")
        lists[-1].write_text(json.dumps(listing))
    return paths, did, lists


def test_revoked_and_suspended_credentials_fail_the_others_verify(files):
    paths, did, lists = files
    names = list(paths)
    results = verify_with_digitalbazaar(
        [paths[n] for n in names], [did], now=NOW, status_lists=lists
    )
    by_name = dict(zip(names, results, strict=True))
    assert by_name["active"]["verified"], by_name["active"]
    assert by_name["active"]["status"] == {"revocation": False, "suspension": False}
    assert by_name["revocation-only"]["verified"], by_name["revocation-only"]
    assert (by_name["revoked"]["verified"], by_name["revoked"]["error"]) == (False, "revoked")
    assert by_name["revoked"]["status"] == {"revocation": True, "suspension": False}
    assert (by_name["suspended"]["verified"], by_name["suspended"]["error"]) == (
        False,
        "suspended",
    )


def test_a_missing_status_list_fails_verification(files):
    paths, did, lists = files
    [result] = verify_with_digitalbazaar([paths["active"]], [did], now=NOW, status_lists=lists[:1])
    assert not result["verified"]
    assert "Could not load" in result["error"] and SUSPENSION in result["error"]
