"""The OB 3.0 extras of a catalog achievement: alignments, evidence and endorsement files.

``alignment`` and ``evidence`` entries become `badgeflow.credentials.ob3` models.
OB 3.0 ``Evidence`` has no assessor or duration property, so ``assessor`` and ``duration``
are written into the evidence narrative (``**Assessor:** ...``, ``**Duration:** ...``);
a score is a ``Result`` of the credential subject, not evidence.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from badgeflow.credentials.ob3 import Alignment, Evidence
from badgeflow.errors import CatalogError, CredentialError
from badgeflow.models import JSONDict

__all__ = [
    "CatalogAlignment",
    "CatalogEvidence",
    "endorsements_for",
    "load_endorsement",
    "to_alignment",
    "to_evidence",
]

logger = logging.getLogger(__name__)

_FROZEN = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
_warned: set[tuple[str, str]] = set()


class CatalogAlignment(BaseModel):
    """An ``alignment`` entry: a skill, competency or standard the achievement aligns to."""

    model_config = _FROZEN

    target_name: str = Field(min_length=1, alias="targetName")
    target_url: str = Field(alias="targetUrl")
    target_description: str | None = Field(None, alias="targetDescription")
    target_framework: str | None = Field(None, alias="targetFramework")
    target_code: str | None = Field(None, alias="targetCode")
    target_type: str | None = Field(None, alias="targetType")


class CatalogEvidence(BaseModel):
    """An ``evidence`` entry every credential of the achievement carries."""

    model_config = _FROZEN

    name: str | None = None
    description: str | None = None
    narrative: str | None = Field(None, description="Markdown.")
    genre: str | None = Field(None, description="Kind of evidence, e.g. Assessment, Project.")
    audience: str | None = None
    assessor: str | None = Field(None, description="Who assessed it (goes in the narrative).")
    duration: str | None = Field(None, description="How long it took (goes in the narrative).")
    url: str | None = Field(None, description="A page showing the evidence (the Evidence id).")


def to_alignment(entry: CatalogAlignment, where: Path) -> Alignment:
    """Return the OB 3.0 ``Alignment`` of a catalog entry.

    Raises:
        CatalogError: the URL is not absolute or the target type is not an OB 3.0 one.
    """
    try:
        return Alignment(**entry.model_dump())
    except CredentialError as exc:
        raise CatalogError(f"{where}: alignment {entry.target_name!r}: {exc}") from exc


def to_evidence(entry: CatalogEvidence, where: Path) -> Evidence:
    """Return the OB 3.0 ``Evidence`` of a catalog entry (assessor and duration in the narrative).

    Raises:
        CatalogError: the entry is empty or its URL is not absolute.
    """
    parts = [
        entry.narrative,
        f"**Assessor:** {entry.assessor}" if entry.assessor else None,
        f"**Duration:** {entry.duration}" if entry.duration else None,
    ]
    narrative = "\n\n".join(p.strip() for p in parts if p) or None
    if not (narrative or entry.name or entry.description or entry.url):
        raise CatalogError(f"{where}: an evidence entry needs a name, description or narrative")
    try:
        return Evidence(
            id=entry.url,
            narrative=narrative,
            name=entry.name,
            description=entry.description,
            genre=entry.genre,
            audience=entry.audience,
        )
    except CredentialError as exc:
        raise CatalogError(f"{where}: evidence: {exc}") from exc


def load_endorsement(path: Path) -> JSONDict:
    """Read a signed ``EndorsementCredential`` file and check its outline.

    Raises:
        CatalogError: missing, not JSON, not an EndorsementCredential, unsigned, or without
            a subject id.
    """
    try:
        document: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"endorsement file {path} is missing") from None
    except ValueError as exc:
        raise CatalogError(f"endorsement file {path} is not JSON: {exc}") from exc
    types = document.get("type") if isinstance(document, dict) else None
    if not isinstance(types, list) or "EndorsementCredential" not in types:
        raise CatalogError(f"{path}: not an EndorsementCredential")
    if "proof" not in document:
        raise CatalogError(f"{path}: the endorsement is not signed (no proof)")
    subject = document.get("credentialSubject")
    if not isinstance(subject, dict) or not isinstance(subject.get("id"), str):
        raise CatalogError(f"{path}: the endorsement has no credentialSubject.id")
    return dict(document)


def endorsements_for(
    documents: tuple[tuple[str, JSONDict], ...], achievement_id: str
) -> tuple[JSONDict, ...]:
    """Return the endorsements about ``achievement_id`` (their subject id equals it).

    An endorsement signed for the same achievement published under another site URL is
    left out (with one warning per file and id): its signature covers that other id.

    Args:
        documents: (file name, endorsement) pairs listed by the achievement.
        achievement_id: the achievement's id at this site.
    """
    found: list[JSONDict] = []
    for name, document in documents:
        if document["credentialSubject"]["id"] == achievement_id:
            found.append(document)
        elif (name, achievement_id) not in _warned:
            _warned.add((name, achievement_id))
            logger.warning(
                "endorsement %s is about %s, not %s: left out",
                name,
                document["credentialSubject"]["id"],
                achievement_id,
            )
    return tuple(found)
