"""OB 2.0 builders: required fields, refusals, and every term defined by the OB 2.0 context."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from pyld import jsonld

from badgeflow.credentials import ob2
from badgeflow.credentials.jws import decode_compact, verify_compact
from badgeflow.errors import CredentialError
from tests.badgeflow.credentials.ob2 import factories as f

REFERENCE = Path(__file__).resolve().parents[5] / "shared/reference/openbadges"
OB2_CONTEXT_FILE = REFERENCE / "contexts/ob-v2p0.json"


def test_assertion_has_the_required_fields_and_hashed_recipient():
    doc = f.assertion()
    assert doc["@context"] == "https://w3id.org/openbadges/v2"
    assert doc["type"] == "Assertion"
    assert {"id", "recipient", "badge", "verification", "issuedOn"} <= set(doc)
    assert doc["recipient"] == {
        "type": "email",
        "hashed": True,
        "salt": f.SALT,
        "identity": "sha256$" + __import__("hashlib").sha256(b"ada@example.orgc0ffee").hexdigest(),
    }
    assert doc["verification"] == {"type": "hosted"}
    assert doc["issuedOn"] == "2026-03-01T09:00:00Z"
    assert "expires" not in doc


def test_signed_assertion_names_its_creator_key():
    assert f.assertion(signed=True)["verification"] == {"type": "signed", "creator": f.KEY}


def test_badge_class_and_issuer_have_the_required_fields():
    badge = f.badge()
    assert {"id", "type", "name", "description", "image", "criteria", "issuer"} <= set(badge)
    assert badge["criteria"] == {
        "id": "https://badges.example.org/achievements/sql/",
        "narrative": "Pass the final exam.",
    }
    assert badge["alignment"] == [
        {"targetName": "SQL", "targetUrl": "https://example.org/fw/sql", "targetCode": "S1"}
    ]
    issuer = f.issuer(signed=True)
    assert {"id", "type", "name", "url", "email"} <= set(issuer)
    assert issuer["publicKey"] == f.KEY and issuer["revocationList"] == f.REVOCATIONS
    assert "publicKey" not in f.issuer()


@pytest.mark.parametrize(
    "call",
    [
        lambda: ob2.issuer_profile(issuer_id="urn:x", name="n", url="https://a", email="a@b"),
        lambda: ob2.issuer_profile(issuer_id="https://a/i", name="n", url="https://a", email=""),
        lambda: ob2.badge_class(
            badge_id="https://a/b",
            name="n",
            description="d",
            image="https://a/i",
            issuer_id="https://a/i",
        ),
        lambda: ob2.recipient_identity("sha256$abc", "salt"),
        lambda: ob2.recipient_identity("sha256$" + "0" * 64, ""),
        lambda: ob2.assertion(
            assertion_id="https://a/1",
            badge_id="https://a/b",
            recipient=ob2.recipient_identity("sha256$" + "0" * 64, "s"),
            issued_on=f.ISSUED,
            expires=f.ISSUED - timedelta(days=1),
        ),
        lambda: ob2.sign_assertion(f.assertion(), f.rsa_key()),
    ],
    ids=[
        "non-url-id",
        "no-email",
        "no-criteria",
        "short-hash",
        "no-salt",
        "expires-first",
        "sign-hosted",
    ],
)
def test_builders_refuse_bad_input(call):
    with pytest.raises(CredentialError):
        call()


def test_sign_assertion_is_rs256_over_the_assertion_json():
    doc = f.assertion(signed=True)
    token = ob2.sign_assertion(doc, f.rsa_key())
    decoded = verify_compact(token, f.rsa_key().public_key())
    assert decoded.header == {"alg": "RS256"} and decoded.payload == doc
    assert decode_compact(token).payload["verification"]["creator"] == f.KEY


def test_key_document_carries_the_public_pem_only():
    key = f.key_document()
    assert key["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert key["owner"] == f.ISSUER and "PRIVATE" not in json.dumps(key)


def test_revocation_list_and_revoked_hosted_assertion():
    listing = ob2.revocation_list(
        list_id=f.REVOCATIONS,
        issuer_id=f.ISSUER,
        revoked=[("https://a/1", "cheating"), ("https://a/2", None)],
    )
    assert listing["revokedAssertions"] == [
        {"id": "https://a/1", "revocationReason": "cheating"},
        {"id": "https://a/2"},
    ]
    revoked = ob2.revoked_assertion(f.assertion(), "cheating")
    assert revoked["revoked"] is True and revoked["revocationReason"] == "cheating"


def _documents():
    listing = ob2.revocation_list(
        list_id=f.REVOCATIONS, issuer_id=f.ISSUER, revoked=[("https://a/1", "x")]
    )
    revoked = ob2.revoked_assertion(f.assertion(expires=f.ISSUED + timedelta(days=9)), "x")
    return [
        f.issuer(signed=True),
        f.badge(),
        f.assertion(signed=True),
        revoked,
        f.key_document(),
        listing,
    ]


@pytest.mark.parametrize("doc", _documents(), ids=lambda d: d["type"])
def test_every_term_is_defined_by_the_ob20_context(doc):
    """Development check: expanding with the official OB 2.0 context drops no property."""
    context = json.loads(OB2_CONTEXT_FILE.read_text())

    def loader(url, options=None):
        assert url == "https://w3id.org/openbadges/v2", url
        return {"contextUrl": None, "documentUrl": url, "document": context}

    dropped: list[str] = []
    expanded = jsonld.expand(
        doc, {"documentLoader": loader}, on_property_dropped=lambda p: dropped.append(str(p))
    )
    assert dropped == []
    assert expanded[0]["@id"] == doc["id"]
