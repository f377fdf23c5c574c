"""OB 2.0 verification: hosted and signed, the rules that fail them, and the 1EdTech samples."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from badgeflow.credentials import ob2, unbake_png
from badgeflow.credentials.ob2 import OB2_CHECK_NAMES, site_resolver, verify_ob2
from tests.badgeflow.credentials.ob2 import factories as f

OB20 = Path(__file__).resolve().parents[5] / "shared/reference/openbadges/examples/ob20/validator"
NOW = f.ISSUED + timedelta(days=30)


def _checks(result):
    assert [c.name for c in result.checks] == list(OB2_CHECK_NAMES)
    return {c.name: c.passed for c in result.checks}


def _verify(payload, docs, **kwargs):
    return verify_ob2(payload, resolve=site_resolver(None, None, docs), now=NOW, **kwargs)


def test_hosted_assertion_verifies_from_its_hosted_copy():
    doc = f.assertion()
    result = _verify(json.dumps(doc), f.documents(doc), recipient_email=" ada@example.org")
    assert result.verified, result.errors
    assert result.credential_id == doc["id"] and result.issuer == f.ISSUER
    assert all(_checks(result).values())


def test_hosted_assertion_given_by_url():
    doc = f.assertion()
    assert _verify(doc["id"], f.documents(doc)).verified


def test_hosted_assertion_not_hosted_fails_proof_without_crashing():
    result = _verify(f.assertion(), f.documents())
    assert not result.verified
    checks = _checks(result)
    assert checks["proof"] is False and checks["status"] is None
    assert "could not be retrieved offline" in result.errors[0]


def test_hosted_copy_is_the_source_of_truth():
    local = f.assertion()
    hosted = ob2.revoked_assertion(local, "awarded in error")
    result = _verify(local, f.documents(hosted))
    assert _checks(result)["status"] is False
    assert "revoked by the issuer (awarded in error)" in result.errors[0]


def test_hosted_assertion_on_another_origin_fails_issuer():
    doc = {**f.assertion(), "id": "https://evil.example.net/a1.json"}
    result = _verify(doc, f.documents(doc))
    assert _checks(result)["issuer"] is False


def test_signed_assertion_verifies_and_revocation_list_is_checked():
    doc = f.assertion(signed=True)
    token = ob2.sign_assertion(doc, f.rsa_key())
    assert _verify(token, f.documents(signed=True)).verified
    revoked = _verify(token, f.documents(signed=True, revoked=(doc["id"],)))
    assert _checks(revoked)["status"] is False and "revoked (cheating)" in revoked.errors[0]


def test_signed_assertion_rules():
    doc = f.assertion(signed=True)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = _verify(ob2.sign_assertion(doc, other), f.documents(signed=True))
    assert _checks(forged)["proof"] is False
    unlisted = {**doc, "verification": {"type": "signed", "creator": f.BASE + "/keys/rsa-9.json"}}
    result = _verify(ob2.sign_assertion(unlisted, f.rsa_key()), f.documents(signed=True))
    assert _checks(result)["issuer"] is False and "not listed" in result.errors[0]
    docs = f.documents(signed=True)
    docs[f.KEY] = {**docs[f.KEY], "owner": "https://evil.example.net/issuer.json"}
    assert _checks(_verify(ob2.sign_assertion(doc, f.rsa_key()), docs))["issuer"] is False
    no_list = f.documents(signed=True)
    del no_list[f.REVOCATIONS]
    missing = _verify(ob2.sign_assertion(doc, f.rsa_key()), no_list)
    assert _checks(missing)["status"] is False


def test_bare_json_of_a_signed_assertion_is_not_trusted():
    result = _verify(f.assertion(signed=True), f.documents(signed=True))
    assert _checks(result)["format"] is False


def test_expired_and_future_assertions_fail_validity():
    doc = f.assertion(expires=f.ISSUED + timedelta(days=1))
    assert _checks(_verify(doc, f.documents(doc)))["validity"] is False
    early = verify_ob2(
        doc,
        resolve=site_resolver(None, None, f.documents(doc)),
        now=f.ISSUED - timedelta(seconds=1),
    )
    assert "in the future" in early.errors[0]


def test_wrong_recipient_and_bad_hash_fail_recipient():
    doc = f.assertion()
    assert (
        _checks(_verify(doc, f.documents(doc), recipient_email="bob@example.org"))["recipient"]
        is False
    )
    bad = {**doc, "recipient": {**doc["recipient"], "identity": "sha256$xyz"}}
    assert _checks(_verify(bad, f.documents(bad)))["recipient"] is False


@pytest.mark.parametrize("payload", ["not json", "a.b.c", "[1]"])
def test_unreadable_input_is_a_failed_format_check(payload):
    result = _verify(payload, {})
    assert not result.verified and _checks(result)["format"] is False


def _sample_documents():
    docs = {}
    for name in ("key1.json", "organization.json", "robotics-badge.json"):
        doc = json.loads((OB20 / name).read_text())
        docs[doc["id"]] = doc
    return docs


def test_1edtech_signed_sample_verifies_with_its_documents():
    result = _verify((OB20 / "simple.jwt").read_text(), _sample_documents())
    assert result.verified, result.errors
    checks = _checks(result)
    assert checks["proof"] is True and checks["issuer"] is True
    assert checks["status"] is None  # the sample issuer declares no revocationList


def test_1edtech_signed_sample_without_documents_is_unresolved():
    result = _verify((OB20 / "simple.jwt").read_text(), {})
    assert _checks(result)["documents"] is False
    assert "could not be retrieved offline" in result.errors[0]


def test_1edtech_hosted_sample_cannot_be_fetched_offline():
    result = _verify((OB20 / "basic-assertion.json").read_text(), _sample_documents())
    checks = _checks(result)
    assert not result.verified and checks["proof"] is False
    assert checks["documents"] is True and checks["issuer"] is True
    assert (
        "https://example.org/beths-robotics-badge.json could not be retrieved offline"
        in result.errors[0]
    )


def test_1edtech_baked_png_unbakes_to_the_hosted_sample():
    text = unbake_png((OB20 / "baked/simple-badge.png").read_bytes())
    assert json.loads(text)["id"] == "https://example.org/beths-robotics-badge.json"
    assert ob2.is_ob2(json.loads(text))


def test_site_resolver_reads_the_site_folder_and_stays_inside(tmp_path):
    (tmp_path / "ob2").mkdir()
    (tmp_path / "ob2" / "issuer.json").write_text(json.dumps(f.issuer()))
    (tmp_path.parent / "secret.json").write_text("{}")
    resolve = site_resolver(tmp_path, "https://badges.example.org/")
    assert resolve(f.ISSUER)["id"] == f.ISSUER
    assert resolve("https://badges.example.org/../secret.json") is None
    assert resolve("https://other.example.org/ob2/issuer.json") is None
    assert resolve(f.BADGE) is None
