"""OB 2.0 signed assertions verify with `jose` (Node.js), an independent JWS implementation."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.interop.digitalbazaar import INTEROP_DIR, REFERENCE_DIR, ensure_node_modules

pytestmark = pytest.mark.slow

OB20 = REFERENCE_DIR / "examples" / "ob20" / "validator"


def _run(key, tokens):
    ensure_node_modules()
    args = ["node", str(INTEROP_DIR / "verify-ob2.mjs"), str(key), *map(str, tokens)]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    return proc.returncode, [json.loads(line) for line in proc.stdout.splitlines()]


def test_jose_verifies_our_signed_assertions_and_rejects_a_forgery(tmp_path):
    from badgeflow.site.ob2 import Ob2Signing
    from tests.badgeflow.site.test_ob2 import _key, _publish

    site = _publish(tmp_path, Ob2Signing("rsa-1", _key(), {"rsa-1": _key().public_key()}))
    tokens = sorted((site / "ob2" / "assertions").glob("*.jwt"))
    assert len(tokens) == 3
    code, lines = _run(site / "ob2" / "keys" / "rsa-1.json", tokens)
    assert code == 0 and all(line["verified"] and line["alg"] == "RS256" for line in lines)
    header, payload, signature = tokens[0].read_text().split(".")
    forged = tmp_path / "forged.jwt"
    forged.write_text(f"{header}.{payload[:-4]}AAAA.{signature}")
    code, lines = _run(site / "ob2" / "keys" / "rsa-1.json", [forged])
    assert code == 1 and not lines[0]["verified"]


def test_jose_verifies_the_1edtech_sample_as_our_verifier_does():
    code, lines = _run(OB20 / "key1.json", [OB20 / "simple.jwt"])
    assert code == 0 and lines[0]["id"] == "https://example.org/beths-robotics-badge.json"
