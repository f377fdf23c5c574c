"""Bridge to the Digital Bazaar verifier harness in ``interop/`` (Node.js).

The harness verifies credentials with ``@digitalbazaar/vc`` and the
``eddsa-rdfc-2022`` cryptosuite against the *official* JSON-LD contexts shipped in
npm packages (OB 3.0.x, VC, DID, Multikey, Data Integrity, Bitstring Status List),
never against badgeflow's own copies; ``extra_contexts`` adds contexts that no npm
package ships (e.g. the W3C examples context) from the shared reference pack. Other tests call
:func:`verify_with_digitalbazaar`; :func:`sign_with_digitalbazaar` lets a test
produce credentials signed by Digital Bazaar's own issuer.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tests.npm_packages import NpmInstallError, ensure_npm_packages, npm_packages_ready

REPO_ROOT = Path(__file__).resolve().parents[2]
INTEROP_DIR = REPO_ROOT / "interop"
REFERENCE_DIR = REPO_ROOT.parent / "shared" / "reference" / "openbadges"
CONTEXTS_DIR = REFERENCE_DIR / "contexts"
PROVENANCE = REFERENCE_DIR / "provenance.json"

DID_WEB = "did:web:localhost%3A8000"
KEY_1 = f"{DID_WEB}#key-1"
OB_CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
# README vector: sha256 of "a@example.com" + salt "Kosher".
_IDENTITY_HASH = "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_ED25519_PUB_HEADER = b"\xed\x01"
_TIMEOUT_S = 300


class NodeHarnessError(RuntimeError):
    """The Node harness could not run (npm/node missing, install or usage error)."""


def node_modules_ready() -> bool:
    """True when every dependency of interop/package.json is installed at its pin."""
    return npm_packages_ready(INTEROP_DIR)


def ensure_node_modules() -> float:
    """Install the harness's npm packages unless already installed.

    Returns:
        Seconds spent in ``npm ci`` (0.0 when nothing was installed).

    Raises:
        NodeHarnessError: node or npm is missing, or the install failed.
    """
    try:
        return ensure_npm_packages(INTEROP_DIR)
    except NpmInstallError as exc:
        raise NodeHarnessError(str(exc)) from exc


def _context_args(extra_contexts: bool) -> list[str]:
    if not extra_contexts:
        return []
    return ["--contexts", str(CONTEXTS_DIR), "--provenance", str(PROVENANCE)]


def npm_contexts(*urls: str) -> dict[str, Any]:
    """Return the contexts the harness serves from npm (all, or only ``urls``), by URL."""
    ensure_node_modules()
    proc = subprocess.run(
        ["node", str(INTEROP_DIR / "contexts.mjs"), *urls],
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_S,
        check=False,
    )
    if proc.returncode != 0:
        raise NodeHarnessError(f"contexts.mjs exited {proc.returncode}: {proc.stderr.strip()}")
    contexts: dict[str, Any] = json.loads(proc.stdout)
    return contexts


def run_verifier(
    credential_paths: list[Path],
    did_documents: list[Path],
    *,
    now: str | None = None,
    proof_only: bool = False,
    status_lists: list[Path] | None = None,
    extra_contexts: bool = False,
) -> tuple[int, list[dict[str, Any]], str]:
    """Run ``interop/verify.mjs`` and return (exit code, parsed lines, stderr)."""
    ensure_node_modules()
    args = ["node", str(INTEROP_DIR / "verify.mjs"), *_context_args(extra_contexts)]
    for doc in did_documents:
        args += ["--did-document", str(doc)]
    for listing in status_lists or []:
        args += ["--status-list", str(listing)]
    if now is not None:
        args += ["--now", now]
    if proof_only:
        args.append("--proof-only")
    args += [str(path) for path in credential_paths]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return proc.returncode, lines, proc.stderr


def verify_with_digitalbazaar(
    credential_paths: list[Path],
    did_documents: list[Path],
    *,
    now: str | None = None,
    proof_only: bool = False,
    status_lists: list[Path] | None = None,
    extra_contexts: bool = False,
) -> list[dict[str, Any]]:
    """Verify credentials with Digital Bazaar's ``vc.verifyCredential``, offline.

    Args:
        credential_paths: Credential JSON files, or folders of ``*.json`` files.
        did_documents: Controller documents (e.g. ``<site>/.well-known/did.json``)
            that resolve each proof's ``verificationMethod``; ``did:key`` needs none.
        now: ISO date-time used for ``validFrom``/``validUntil`` checks (default: now).
        proof_only: Skip the "issuer must be the key's controller" check.
        status_lists: BitstringStatusListCredential files, served at their ``id``; a
            credential with ``credentialStatus`` is checked against them (a set bit, or a
            missing list, fails it). Digital Bazaar verifies each list's proof against the
            wall clock (it passes no ``now`` on), so sign lists with a past ``validFrom``.
        extra_contexts: also serve the shared reference pack's contexts for URLs no npm
            package provides (the W3C test vectors need ``credentials/examples/v2``).

    Returns:
        One dict per credential: ``{"file", "verified", "error", "status", "ms"}``;
        ``status`` maps each checked status purpose to whether its bit is set.

    Raises:
        NodeHarnessError: The harness could not run (usage/setup error, exit 2).
    """
    code, lines, stderr = run_verifier(
        credential_paths,
        did_documents,
        now=now,
        proof_only=proof_only,
        status_lists=status_lists,
        extra_contexts=extra_contexts,
    )
    if code not in (0, 1) or not lines:
        raise NodeHarnessError(f"verify.mjs exited {code}: {stderr.strip()}")
    return lines


def sign_with_digitalbazaar(
    credential: dict[str, Any],
    *,
    seed: bytes,
    verification_method: str,
    created: str | None = None,
) -> dict[str, Any]:
    """Sign ``credential`` with Digital Bazaar's ``vc.issue`` (eddsa-rdfc-2022).

    Args:
        credential: Unsigned credential.
        seed: 32-byte Ed25519 seed (the private key's raw bytes).
        verification_method: Key id written into the proof.
        created: ``proof.created`` value (default: now).

    Returns:
        The signed credential.
    """
    ensure_node_modules()
    with tempfile.TemporaryDirectory() as tmp:
        unsigned = Path(tmp) / "unsigned.json"
        unsigned.write_text(json.dumps(credential), encoding="utf-8")
        args = ["node", str(INTEROP_DIR / "sign.mjs"), "--seed", seed.hex()]
        args += ["--verification-method", verification_method]
        if created is not None:
            args += ["--created", created]
        proc = subprocess.run(
            [*args, str(unsigned)], capture_output=True, text=True, timeout=_TIMEOUT_S, check=False
        )
    if proc.returncode != 0:
        raise NodeHarnessError(f"sign.mjs exited {proc.returncode}: {proc.stderr.strip()}")
    signed: dict[str, Any] = json.loads(proc.stdout)
    return signed


def base58btc(data: bytes) -> str:
    """Encode bytes as base58 (Bitcoin alphabet), keeping leading zero bytes."""
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rem = divmod(number, 58)
        out = _B58_ALPHABET[rem] + out
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + out


def ed25519_multikey(public_key: bytes) -> str:
    """Multibase (``z`` + base58btc) Multikey for a raw 32-byte Ed25519 public key."""
    return "z" + base58btc(_ED25519_PUB_HEADER + public_key)


def controller_document(
    controller: str, method_id: str, public_key_multibase: str
) -> dict[str, Any]:
    """A DID-style controller document with one Multikey assertion method."""
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": controller,
        "verificationMethod": [
            {
                "id": method_id,
                "type": "Multikey",
                "controller": controller,
                "publicKeyMultibase": public_key_multibase,
            }
        ],
        "assertionMethod": [method_id],
    }


def sample_ob3_credential(issuer: str) -> dict[str, Any]:
    """A small unsigned OB 3.0 OpenBadgeCredential issued by ``issuer``."""
    return {
        "@context": OB_CONTEXTS,
        "id": "urn:uuid:2f6a3a5e-3f0e-4c6f-9d0e-6f1b0f3c8a11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Python Foundations",
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Example Academy"},
        "validFrom": "2024-05-01T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": _IDENTITY_HASH,
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": "Kosher",
                }
            ],
            "achievement": {
                "id": "https://localhost:8000/achievements/python-foundations",
                "type": ["Achievement"],
                "name": "Python Foundations",
                "description": "Completed the Python Foundations course.",
                "criteria": {"narrative": "Pass every module quiz."},
            },
        },
    }
