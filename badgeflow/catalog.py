"""Load and check the badge catalog (``badge_catalog/``): issuer, achievements, pathways."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from badgeflow.catalog_branding import Branding
from badgeflow.catalog_courses import Course
from badgeflow.catalog_ob3 import (
    CatalogAlignment,
    CatalogEvidence,
    endorsements_for,
    to_alignment,
    to_evidence,
)
from badgeflow.catalog_pathways import Pathway
from badgeflow.credentials.ob3 import ACHIEVEMENT_TYPES
from badgeflow.criteria import Clause, held_achievements
from badgeflow.criteria.narrative import narrate
from badgeflow.criteria.problems import raise_problems
from badgeflow.errors import CatalogError
from badgeflow.models import AchievementInfo, IssuerInfo, JSONDict

__all__ = [
    "ACHIEVEMENT_TYPES",
    "Achievement",
    "Catalog",
    "Course",
    "IssuerProfile",
    "Pathway",
    "load_catalog",
]


_SLUG = r"^[a-z0-9][a-z0-9-]*$"
_FROZEN = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
_IMAGE_SUFFIXES = (".svg", ".png")


class Criteria(BaseModel):
    """Human-readable criteria."""

    model_config = _FROZEN

    narrative: str = Field(min_length=1, description="Markdown text.")


class Achievement(BaseModel):
    """One achievement (badge) of the catalog."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, arbitrary_types_allowed=True
    )

    slug: str = Field(pattern=_SLUG)
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    achievement_type: str = Field("Badge", alias="achievementType")
    criteria: Criteria | None = Field(
        None, description="Written criteria; when absent the narrative is generated from the rule."
    )
    tags: tuple[str, ...] = ()
    image: str = Field(
        description="SVG path relative to the catalog folder; a PNG twin sits beside."
    )
    valid_for_days: int | None = Field(None, ge=1)
    renewal_window_days: int | None = Field(
        None,
        ge=1,
        description="Days before an award expires in which meeting the criteria again renews "
        "it (the new period starts then); default: only after it expires.",
    )
    rule: Clause = Field(exclude=True, description="The criteria as a clause tree (`rules:`).")
    alignment: tuple[CatalogAlignment, ...] = ()
    evidence: tuple[CatalogEvidence, ...] = ()
    endorsements: tuple[str, ...] = Field((), description="Signed endorsement files (JSON).")
    version: str | None = None
    in_language: str | None = Field(None, alias="inLanguage")
    human_code: str | None = Field(None, alias="humanCode")
    field_of_study: str | None = Field(None, alias="fieldOfStudy")
    credits_available: float | None = Field(None, ge=0, alias="creditsAvailable")
    email_message: str | None = Field(
        None,
        min_length=1,
        max_length=2000,
        description="Shown in the award email (markdown-lite: paragraphs, lists, **bold**, "
        "*italic*, [links](https://...)); escaped, never HTML.",
    )

    @property
    def dependencies(self) -> tuple[str, ...]:
        """Achievements that must be evaluated first: every badge the rule refers to."""
        return held_achievements(self.rule)


class IssuerProfile(BaseModel):
    """The issuer as described in ``issuer.yaml`` (its id is derived at run time)."""

    model_config = _FROZEN

    name: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://")
    email: str | None = None
    description: str | None = None
    image: str | None = None


class Catalog(BaseModel):
    """The whole, checked catalog. Build it with `load_catalog`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    root: Path
    issuer: IssuerProfile
    achievements: Mapping[str, Achievement]
    pathways: Mapping[str, Pathway] = Field(default_factory=dict)
    courses: Mapping[str, Course] = Field(
        default_factory=dict, description="The course registry (courses.yaml), by id."
    )
    endorsement_documents: Mapping[str, tuple[tuple[str, JSONDict], ...]] = Field(
        default_factory=dict, description="slug -> (file, signed endorsement) pairs"
    )
    branding: Branding = Field(
        default_factory=Branding, description="How emails look (branding.yaml)."
    )

    @property
    def achievement_slugs(self) -> tuple[str, ...]:
        """Every achievement slug, prerequisites first (see `topological_order`)."""
        return self.topological_order()

    def achievement(self, slug: str) -> Achievement:
        """Return one achievement.

        Args:
            slug: the achievement's slug.

        Returns:
            The achievement.

        Raises:
            CatalogError: when the catalog has no such achievement.
        """
        try:
            return self.achievements[slug]
        except KeyError:
            raise CatalogError(f"unknown achievement {slug!r}") from None

    def topological_order(self) -> tuple[str, ...]:
        """Slugs ordered so every achievement comes after those it depends on.

        Ties are broken alphabetically, so the order is stable.
        """
        return _topological_order(self.achievements)

    def image_path(self, slug: str, suffix: str = ".png") -> Path:
        """Path of an achievement's image file.

        Args:
            slug: the achievement's slug.
            suffix: ``.png`` (for baking) or ``.svg``.

        Returns:
            The path of the file (checked to exist when the catalog was loaded).
        """
        return _with_suffix(self.root / self.achievement(slug).image, suffix)

    def issuer_image_path(self, suffix: str = ".png") -> Path | None:
        """Path of the issuer logo, or None when the issuer has none."""
        if self.issuer.image is None:
            return None
        return _with_suffix(self.root / self.issuer.image, suffix)

    def logo_path(self) -> Path | None:
        """The PNG logo emails embed: branding's ``logo``, else the issuer image's PNG."""
        if self.branding.logo is not None:
            return self.root / self.branding.logo
        return self.issuer_image_path(".png")

    def achievement_info(self, slug: str, *, site_base_url: str) -> AchievementInfo:
        """Describe an achievement as credentials and the site show it.

        Args:
            slug: the achievement's slug.
            site_base_url: public base URL of the verification site.

        Returns:
            The achievement, with absolute ids and URLs under ``{base}/achievements/{slug}``.
        """
        achievement = self.achievement(slug)
        page = f"{site_base_url.rstrip('/')}/achievements/{slug}"
        where = self.root / "achievements" / f"{slug}.yaml"
        return AchievementInfo(
            id=page,
            slug=slug,
            name=achievement.name,
            description=achievement.description,
            criteria_narrative=self.criteria_narrative(slug),
            criteria_url=f"{page}#criteria",
            image_url=f"{page}.png",
            achievement_type=achievement.achievement_type,
            tags=achievement.tags,
            valid_for_days=achievement.valid_for_days,
            alignments=tuple(to_alignment(a, where) for a in achievement.alignment),
            endorsements=endorsements_for(self.endorsement_documents.get(slug, ()), page),
            evidence=tuple(to_evidence(e, where) for e in achievement.evidence),
            version=achievement.version,
            in_language=achievement.in_language,
            human_code=achievement.human_code,
            field_of_study=achievement.field_of_study,
            credits_available=achievement.credits_available,
        )

    def criteria_narrative(self, slug: str) -> str:
        """The criteria narrative: the written one when there is one, else generated.

        Args:
            slug: the achievement's slug.

        Returns:
            Markdown text.
        """
        achievement = self.achievement(slug)
        if achievement.criteria is not None:
            return achievement.criteria.narrative
        return self.generated_narrative(slug)

    def generated_narrative(self, slug: str) -> str:
        """The criteria narrative generated from the achievement's rule (Markdown)."""
        achievement = self.achievement(slug)
        return narrate(
            achievement.rule,
            courses={c.id: c.name for c in self.courses.values()},
            badges={s: a.name for s, a in self.achievements.items()},
            valid_for_days=achievement.valid_for_days,
            renewal_window_days=achievement.renewal_window_days,
        )

    def issuer_info(self, *, issuer_did: str, site_base_url: str) -> IssuerInfo:
        """Describe the issuer as credentials show it.

        Args:
            issuer_did: the issuer's DID (from `SiteSettings.issuer_did`).
            site_base_url: public base URL of the verification site.

        Returns:
            The issuer profile; its logo is published at ``{base}/issuer/logo.png``.
        """
        image_url = None
        if self.issuer.image is not None:
            image_url = f"{site_base_url.rstrip('/')}/issuer/logo.png"
        return IssuerInfo(
            id=issuer_did,
            name=self.issuer.name,
            url=self.issuer.url,
            email=self.issuer.email,
            description=self.issuer.description,
            image_url=image_url,
        )


def load_catalog(path: Path) -> Catalog:
    """Load a catalog folder and check it (see `badgeflow.catalog_check.check_catalog`).

    Args:
        path: the catalog folder (``issuer.yaml``, ``courses.yaml``, ``achievements/``,
            ``pathways/``, ``images/``).

    Returns:
        The checked catalog.

    Raises:
        CatalogError: listing every problem found, each as ``file:line: message``: a file
            missing or malformed, a malformed rule, an unknown course or achievement, a
            cycle, a pathway tier that does not hold the tier before it, a narrative that
            disagrees with its rule, a missing image.
    """
    from badgeflow.catalog_check import check_catalog  # it builds these models

    checked = check_catalog(path)
    raise_problems(checked.problems)
    if checked.catalog is None:  # pragma: no cover - no problems implies a catalog
        raise CatalogError(f"{path}: the catalog could not be built")
    return checked.catalog


def _topological_order(achievements: Mapping[str, Achievement]) -> tuple[str, ...]:
    pending = {slug: set(a.dependencies) for slug, a in achievements.items()}
    order: list[str] = []
    while pending:
        ready = sorted(slug for slug, needs in pending.items() if not needs - set(order))
        if not ready:
            cycle = " -> ".join(sorted(pending))
            raise CatalogError(f"cyclic prerequisites among: {cycle}")
        order.extend(ready)
        for slug in ready:
            del pending[slug]
    return tuple(order)


def _with_suffix(path: Path, suffix: str) -> Path:
    if suffix not in _IMAGE_SUFFIXES:
        raise CatalogError(f"image suffix must be one of {_IMAGE_SUFFIXES}, got {suffix!r}")
    return path.with_suffix(suffix)
