"""The credential tests' fixed key, issuer and achievement, reused for status lists."""

from __future__ import annotations

from tests.badgeflow.credentials.conftest import (  # noqa: F401 (fixtures)
    achievement,
    did_documents,
    issuer,
    signer,
)
