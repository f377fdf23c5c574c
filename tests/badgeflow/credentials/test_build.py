"""Building unsigned OpenBadgeCredentials."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest

from badgeflow.credentials.build import build_credential, identity_hash, normalise_email
from badgeflow.credentials.proof import canonicalize, issue
from badgeflow.errors import CredentialError

from .conftest import ISSUED_AT, REFERENCE


def test_identity_hash_matches_the_ob_spec_example():
    # OB spec example: identity a@example.com, salt "Kosher".
    expected = "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
    assert identity_hash("a@example.com", "Kosher") == expected
    assert identity_hash("  A@Example.COM ", "Kosher") == expected


def test_normalise_email():
    assert normalise_email("  Ada.Lovelace@Example.ORG\n") == "ada.lovelace@example.org"


def test_credential_shape(unsigned, achievement):
    assert unsigned["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert unsigned["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert unsigned["name"] == achievement.name
    assert unsigned["validFrom"] == "2025-03-01T12:00:00Z"
    assert unsigned["validUntil"] == "2026-03-01T12:00:00Z"
    assert unsigned["awardedDate"] == "2025-02-28T12:00:00Z"
    assert unsigned["issuer"] == {
        "id": "did:web:badges.example.edu",
        "type": ["Profile"],
        "name": "Example Academy",
        "url": "https://badges.example.edu",
        "email": "badges@example.edu",
        "image": {"id": "https://badges.example.edu/logo.png", "type": "Image"},
    }
    assert unsigned["credentialSchema"] == [
        {
            "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
            "ob_v3p0_achievementcredential_schema.json",
            "type": "JsonSchema",
        }
    ]
    subject = unsigned["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["identifier"] == [
        {
            "type": "IdentityObject",
            "identityHash": identity_hash("ada.lovelace@example.org", "c2FsdHktc2FsdA"),
            "identityType": "emailAddress",
            "hashed": True,
            "salt": "c2FsdHktc2FsdA",
        }
    ]
    badge = subject["achievement"]
    assert badge["criteria"] == {
        "id": achievement.criteria_url,
        "narrative": achievement.criteria_narrative,
    }
    assert badge["tag"] == ["data", "sql"]
    assert badge["resultDescription"][0]["resultType"] == "Percent"
    assert subject["result"] == [
        {
            "type": ["Result"],
            "resultDescription": badge["resultDescription"][0]["id"],
            "value": "87.5",
        }
    ]
    assert unsigned["evidence"] == [
        {"type": ["Evidence"], "narrative": "Completed 12 of 12 modules."}
    ]


def test_plaintext_email_never_appears(unsigned):
    text = json.dumps(unsigned).lower()
    assert "lovelace" not in text


def test_optional_parts_are_omitted(issuer, achievement):
    doc = build_credential(
        credential_id="urn:uuid:0b8f1c9e-1111-4222-8333-944455566677",
        issuer=issuer,
        achievement=achievement,
        recipient_email="a@example.com",
        salt="salt",
        valid_from=ISSUED_AT,
        valid_until=None,
        awarded_at=ISSUED_AT,
        score=None,
    )
    assert "validUntil" not in doc and "evidence" not in doc
    assert "result" not in doc["credentialSubject"]
    assert "resultDescription" not in doc["credentialSubject"]["achievement"]
    assert "null" not in json.dumps(doc)


def test_every_term_is_defined_by_the_pinned_contexts(unsigned):
    # Would raise UndefinedTermError if the builder used a term no context defines.
    nquads = canonicalize(unsigned)
    assert "https://purl.imsglobal.org/spec/vc/ob/vocab.html#identityHash" in nquads
    assert "https://www.w3.org/2018/credentials#JsonSchema" in nquads


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"credential_id": "3f1c2a9e"}, "absolute URI"),
        ({"score": 101.0}, "percentage"),
        ({"recipient_email": "   "}, "must not be empty"),
        ({"valid_until": ISSUED_AT}, "after validFrom"),
    ],
)
def test_invalid_input_is_refused(issuer, achievement, change, message):
    arguments = {
        "credential_id": "urn:uuid:0b8f1c9e-1111-4222-8333-944455566677",
        "issuer": issuer,
        "achievement": achievement,
        "recipient_email": "a@example.com",
        "salt": "salt",
        "valid_from": ISSUED_AT,
        "valid_until": ISSUED_AT + timedelta(days=1),
        "awarded_at": ISSUED_AT,
        "score": 50.0,
    }
    with pytest.raises(CredentialError, match=message):
        build_credential(**{**arguments, **change})


def test_signed_credential_validates_against_the_ob_schema(unsigned, signer):
    """Development check against 1EdTech's AchievementCredential JSON Schema."""
    import jsonschema  # a dev dependency

    schema_path = REFERENCE / "schemas" / "ob_v3p0_achievementcredential_schema.json"
    assert schema_path.exists(), f"reference schema not available at {schema_path}"
    schema = json.loads(schema_path.read_text("utf-8"))
    signed = issue(unsigned, signer, created=ISSUED_AT)
    # The schema's `proof` is an array; VC 2.0 allows a single object. Check both forms.
    as_array = copy.deepcopy(signed)
    as_array["proof"] = [as_array["proof"]]
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [error.message for error in validator.iter_errors(as_array)]
    assert errors == []
