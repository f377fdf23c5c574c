"""VC-JWTs issued by the pipeline, checked by panva's `jose` (interop/verify-jwt.mjs)."""

from __future__ import annotations

import base64
import json
import subprocess
from datetime import UTC, datetime

import pytest

from badgeflow.credentials.jws import jwk_thumbprint
from tests.badgeflow.pipeline.test_vc_jwt import AS_OF, COUNT, issue_with_vc_jwt
from tests.interop.digitalbazaar import INTEROP_DIR, verify_with_digitalbazaar

pytestmark = pytest.mark.slow


def _run_jose(*args):
    proc = subprocess.run(
        ["node", str(INTEROP_DIR / "verify-jwt.mjs"), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, [json.loads(line) for line in proc.stdout.splitlines()]


@pytest.mark.parametrize(("alg", "key_id"), [("RS256", "rsa-1"), ("ES256", "p256-1")])
def test_jose_verifies_our_vc_jwts_and_rejects_a_tampered_one(tmp_path, alg, key_id):
    site = issue_with_vc_jwt(tmp_path, alg).site.output_dir
    did_json = site / ".well-known" / "did.json"
    tokens = sorted((site / "credentials").glob("*.jwt"))
    assert len(tokens) == COUNT
    code, outcomes = _run_jose("--did-document", did_json, "--now", AS_OF.isoformat(), *tokens)
    assert code == 0, outcomes
    did = json.loads(did_json.read_text())
    assert {(o["alg"], o["kid"], o["issuer"]) for o in outcomes} == {
        (alg, f"{did['id']}#{key_id}", did["id"])
    }

    # One changed character of the payload: the signature no longer matches.
    header, payload, signature = tokens[0].read_text().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["name"] = "Data Grandmaster"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    tampered = tmp_path / "tampered.jwt"
    tampered.write_text(f"{header}.{forged.decode()}.{signature}")
    code, [outcome] = _run_jose("--did-document", did_json, "--now", AS_OF.isoformat(), tampered)
    assert code == 1 and outcome["verified"] is False
    assert "signature" in outcome["error"]

    # Too early: jose checks nbf (= validFrom) itself.
    early = datetime(2020, 1, 1, tzinfo=UTC).isoformat()
    code, outcomes = _run_jose("--did-document", did_json, "--now", early, tokens[0])
    assert code == 1 and '"nbf" claim' in outcomes[0]["error"]


def test_jwk_thumbprints_agree_and_digital_bazaar_still_reads_the_did_document(tmp_path):
    site = issue_with_vc_jwt(tmp_path, "ES256").site.output_dir
    did_json = site / ".well-known" / "did.json"
    did = json.loads(did_json.read_text())
    _, outcomes = _run_jose("--did-document", did_json, "--thumbprints")
    ours = {
        m["id"]: jwk_thumbprint(m["publicKeyJwk"])
        for m in did["verificationMethod"]
        if m["type"] == "JsonWebKey"
    }
    assert {o["id"]: o["thumbprint"] for o in outcomes} == ours and ours
    # The embedded proofs of the same run, against a did.json that now lists JsonWebKeys too.
    results = verify_with_digitalbazaar(
        sorted((site / "credentials").glob("*.json")),
        [did_json],
        now=AS_OF.isoformat(),
        status_lists=sorted((site / "status" / "revocation").iterdir()),
    )
    assert [(r["verified"], r["error"]) for r in results] == [(True, None)] * COUNT
