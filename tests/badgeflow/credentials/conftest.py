"""Shared fixtures of the credential tests: reference paths, a fixed test key, sample records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from badgeflow.credentials import Ed25519Signer, build_credential, did_document
from badgeflow.models import AchievementInfo, IssuerInfo, JSONDict

REFERENCE = Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "openbadges"
"""The read-only reference pack beside the repository (CI has it too)."""

TEST_SEED = bytes(range(32))
"""Fixed Ed25519 seed: the same seed always gives the same DID and signature."""
ISSUER_DID = "did:web:badges.example.edu"
ISSUED_AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def reference_path(relative: str) -> Path:
    """Path of a file in the reference pack; fails loudly when the pack is missing."""
    path = REFERENCE / relative
    if not path.exists():
        pytest.fail(f"reference file missing: {path} (the shared/ folder must sit beside the repo)")
    return path


@pytest.fixture
def issuer() -> IssuerInfo:
    return IssuerInfo(
        id=ISSUER_DID,
        name="Example Academy",
        url="https://badges.example.edu",
        email="badges@example.edu",
        image_url="https://badges.example.edu/logo.png",
    )


@pytest.fixture
def achievement() -> AchievementInfo:
    return AchievementInfo(
        id="https://badges.example.edu/achievements/data-foundations",
        slug="data-foundations",
        name="Data Foundations",
        description="Shows a working knowledge of tabular data.",
        criteria_narrative="Complete all modules and score **80%** or more.",
        criteria_url="https://badges.example.edu/achievements/data-foundations#criteria",
        image_url="https://badges.example.edu/img/data-foundations.png",
        tags=("data", "sql"),
        valid_for_days=365,
    )


@pytest.fixture
def signer() -> Ed25519Signer:
    return Ed25519Signer.from_seed(TEST_SEED, f"{ISSUER_DID}#key-1")


@pytest.fixture
def did_documents(signer: Ed25519Signer) -> dict[str, JSONDict]:
    return {ISSUER_DID: did_document(ISSUER_DID, [("key-1", signer.public_key)])}


@pytest.fixture
def unsigned(issuer: IssuerInfo, achievement: AchievementInfo) -> JSONDict:
    return build_credential(
        credential_id="urn:uuid:3f1c2a9e-6b7d-4c1e-9a0b-2d4e6f8a0c1e",
        issuer=issuer,
        achievement=achievement,
        recipient_email="  Ada.Lovelace@Example.org ",
        salt="c2FsdHktc2FsdA",
        valid_from=ISSUED_AT,
        valid_until=ISSUED_AT + timedelta(days=365),
        awarded_at=ISSUED_AT - timedelta(days=1),
        score=87.5,
        evidence_narrative="Completed 12 of 12 modules.",
    )
