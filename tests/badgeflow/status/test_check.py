"""Status list credentials and the status check in `verify_credential`."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest

from badgeflow.credentials import build_credential, issue, verify_credential
from badgeflow.status import (
    build_status_list_credential,
    decode_bitstring,
    set_bits,
    status_entry,
    status_list_url,
)
from tests.badgeflow.credentials.conftest import ISSUER_DID, reference_path

BASE = "https://badges.example.edu"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
REVOCATION = status_list_url(BASE, "revocation", 1)
SUSPENSION = status_list_url(BASE, "suspension", 1)


def _credential(issuer, achievement, signer, *entries):
    unsigned = build_credential(
        credential_id="urn:uuid:6d1c7f3e-2a4b-4c5d-8e9f-0a1b2c3d4e5f",
        issuer=issuer,
        achievement=achievement,
        recipient_email="ada@example.org",
        salt="c2FsdA",
        valid_from=NOW - timedelta(days=1),
        valid_until=None,
        awarded_at=NOW - timedelta(days=1),
        score=None,
        credential_status=list(entries),
    )
    return issue(unsigned, signer, created=NOW - timedelta(days=1))


def _lists(signer, revoked=(), suspended=()):
    return {
        url: build_status_list_credential(
            list_url=url,
            purpose=purpose,
            issuer_id=ISSUER_DID,
            set_indices=indices,
            valid_from=NOW,
            signer=signer,
        )
        for url, purpose, indices in (
            (REVOCATION, "revocation", revoked),
            (SUSPENSION, "suspension", suspended),
        )
    }


@pytest.fixture
def both(issuer, achievement, signer):
    return _credential(
        issuer,
        achievement,
        signer,
        status_entry(list_url=REVOCATION, index=41, purpose="revocation"),
        status_entry(list_url=SUSPENSION, index=7, purpose="suspension"),
    )


def test_entries_have_the_w3c_shape(issuer, achievement, signer):
    one = _credential(
        issuer,
        achievement,
        signer,
        status_entry(list_url=REVOCATION, index=41, purpose="revocation"),
    )
    assert one["credentialStatus"] == {
        "id": f"{REVOCATION}#41",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "41",
        "statusListCredential": REVOCATION,
    }
    assert REVOCATION == "https://badges.example.edu/status/revocation/1"


def test_one_entry_fits_the_ob_schema_two_do_not(issuer, achievement, signer, both):
    """OB 3.0 allows one credentialStatus (an object); VC 2.0 allows an array."""
    import jsonschema

    one = _credential(
        issuer,
        achievement,
        signer,
        status_entry(list_url=REVOCATION, index=41, purpose="revocation"),
    )
    schema_path = reference_path("schemas/ob_v3p0_achievementcredential_schema.json")
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)

    def errors(credential):
        as_array = {**credential, "proof": [credential["proof"]]}  # see test_build
        return [error.message for error in validator.iter_errors(as_array)]

    assert errors(one) == []
    assert len(errors(both)) == 1 and "is not of type 'object'" in errors(both)[0]


def test_the_status_list_credential_is_signed_and_carries_its_bits(signer, did_documents):
    listing = _lists(signer, revoked=[41, 3])[REVOCATION]
    assert listing["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    subject = listing["credentialSubject"]
    assert subject["type"] == "BitstringStatusList" and subject["id"] == f"{REVOCATION}#list"
    assert listing["validFrom"] == "2026-12-01T09:00:00Z"
    assert set_bits(decode_bitstring(subject["encodedList"])) == [3, 41]
    assert verify_credential(listing, did_documents=did_documents, now=NOW).verified


def test_an_active_credential_verifies(both, signer, did_documents):
    result = verify_credential(
        both, did_documents=did_documents, now=NOW, status_lists=_lists(signer, revoked=[40, 42])
    )
    assert result.verified, result.errors
    assert result.warnings == []


def test_a_revoked_credential_is_reported_revoked(both, signer, did_documents):
    result = verify_credential(
        both, did_documents=did_documents, now=NOW, status_lists=_lists(signer, revoked=[41])
    )
    assert not result.verified
    assert result.errors == [
        f"status: credential has been REVOKED by its issuer (list {REVOCATION}, index 41)"
    ]


def test_a_suspended_credential_is_reported_suspended(both, signer, did_documents):
    result = verify_credential(
        both, did_documents=did_documents, now=NOW, status_lists=_lists(signer, suspended=[7])
    )
    assert [e for e in result.errors if "SUSPENDED" in e] == [
        f"status: credential is SUSPENDED by its issuer (list {SUSPENSION}, index 7)"
    ]


def test_a_missing_list_is_an_error(both, signer, did_documents):
    lists = _lists(signer)
    del lists[SUSPENSION]
    result = verify_credential(both, did_documents=did_documents, now=NOW, status_lists=lists)
    assert result.errors == [
        f"status: status list {SUSPENSION} is not available, so revocation cannot be ruled out"
    ]


def test_without_status_lists_the_check_is_skipped_with_a_warning(both, did_documents):
    result = verify_credential(both, did_documents=did_documents, now=NOW)
    assert result.verified
    assert result.warnings == ["credentialStatus was not checked (no status lists given)"]


def test_a_tampered_list_does_not_count(both, signer, did_documents):
    lists = _lists(signer, revoked=[41])
    forged = copy.deepcopy(lists[REVOCATION])
    forged["credentialSubject"]["encodedList"] = _lists(signer)[REVOCATION]["credentialSubject"][
        "encodedList"
    ]
    lists[REVOCATION] = forged
    result = verify_credential(both, did_documents=did_documents, now=NOW, status_lists=lists)
    assert not result.verified
    assert any("does not verify" in e and "altered" in e for e in result.errors), result.errors


def test_a_list_for_another_purpose_is_refused(both, signer, did_documents):
    lists = _lists(signer)
    lists[SUSPENSION] = lists[REVOCATION]
    result = verify_credential(both, did_documents=did_documents, now=NOW, status_lists=lists)
    assert any("has purpose 'revocation'" in e for e in result.errors), result.errors


def test_the_1edtech_revoked_example_is_reported_revoked():
    credential = json.loads(
        reference_path(
            "examples/ob30/validator/bitstring/credential-status-revoked.json"
        ).read_text(encoding="utf-8")
    )
    listing = json.loads(
        reference_path("examples/ob30/validator/bitstring/testlist").read_text(encoding="utf-8")
    )
    url = credential["credentialStatus"]["statusListCredential"]
    result = verify_credential(credential, did_documents={}, now=NOW, status_lists={url: listing})
    assert any("REVOKED" in e and "index 23" in e for e in result.errors), result.errors
