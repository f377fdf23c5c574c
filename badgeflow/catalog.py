"""Load and check the badge catalog (``badge_catalog/``): issuer, achievements, pathways."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from badgeflow.catalog_ob3 import (
    CatalogAlignment,
    CatalogEvidence,
    endorsements_for,
    load_endorsement,
    to_alignment,
    to_evidence,
)
from badgeflow.credentials.ob3 import ACHIEVEMENT_TYPES
from badgeflow.criteria import AllOf, Clause, CourseCompleted, HoldsBadge, held_achievements
from badgeflow.errors import CatalogError
from badgeflow.models import AchievementInfo, IssuerInfo, JSONDict

__all__ = [
    "ACHIEVEMENT_TYPES",
    "Achievement",
    "Catalog",
    "CourseRule",
    "HoldsRule",
    "IssuerProfile",
    "Pathway",
    "Rule",
    "RuleSet",
    "load_catalog",
]


_SLUG = r"^[a-z0-9][a-z0-9-]*$"
_FROZEN = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
_IMAGE_SUFFIXES = (".svg", ".png")
_M = TypeVar("_M", bound=BaseModel)


class CourseRule(BaseModel):
    """A condition on one course: met by any single completion row that passes every check."""

    model_config = _FROZEN

    course: str = Field(min_length=1, description="LMS course id, e.g. SQL110.")
    completed: Literal[True] = Field(True, description="The course must be completed.")
    min_score: float | None = Field(None, ge=0, le=100, description="Minimum score (0-100).")
    min_modules: int | None = Field(None, ge=0, description="Minimum modules completed.")
    all_modules: bool = Field(False, description="modules_completed == modules_total, both set.")


class HoldsRule(BaseModel):
    """A condition on another award: held (and not expired) for at least ``for_days``."""

    model_config = _FROZEN

    holds: str = Field(pattern=_SLUG, description="Slug of the achievement to hold.")
    for_days: int = Field(0, ge=0, description="Days the award must have been held.")


Rule = CourseRule | HoldsRule


class RuleSet(BaseModel):
    """The machine-readable criteria of an achievement."""

    model_config = _FROZEN

    prerequisites: tuple[Annotated[str, Field(pattern=_SLUG)], ...] = ()
    all_of: tuple[Rule, ...] = Field(min_length=1)

    @property
    def course_rules(self) -> tuple[CourseRule, ...]:
        """The course conditions, in catalog order."""
        return tuple(r for r in self.all_of if isinstance(r, CourseRule))

    @property
    def holds_rules(self) -> tuple[HoldsRule, ...]:
        """The holding-period conditions, in catalog order."""
        return tuple(r for r in self.all_of if isinstance(r, HoldsRule))


class Criteria(BaseModel):
    """Human-readable criteria."""

    model_config = _FROZEN

    narrative: str = Field(min_length=1, description="Markdown text.")


class Achievement(BaseModel):
    """One achievement (badge) of the catalog."""

    model_config = _FROZEN

    slug: str = Field(pattern=_SLUG)
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    achievement_type: str = Field("Badge", alias="achievementType")
    criteria: Criteria
    tags: tuple[str, ...] = ()
    image: str = Field(
        description="SVG path relative to the catalog folder; a PNG twin sits beside."
    )
    valid_for_days: int | None = Field(None, ge=1)
    rules: RuleSet
    alignment: tuple[CatalogAlignment, ...] = ()
    evidence: tuple[CatalogEvidence, ...] = ()
    endorsements: tuple[str, ...] = Field((), description="Signed endorsement files (JSON).")
    version: str | None = None
    in_language: str | None = Field(None, alias="inLanguage")
    human_code: str | None = Field(None, alias="humanCode")
    field_of_study: str | None = Field(None, alias="fieldOfStudy")
    credits_available: float | None = Field(None, ge=0, alias="creditsAvailable")

    @property
    def rule(self) -> Clause:
        """The criteria as a clause tree (`badgeflow.criteria`): prerequisites, then all_of."""
        clauses: list[Clause] = [HoldsBadge(p) for p in self.rules.prerequisites]
        for rule in self.rules.all_of:
            if isinstance(rule, CourseRule):
                clauses.append(
                    CourseCompleted(
                        rule.course,
                        min_score=rule.min_score,
                        min_modules=rule.min_modules,
                        all_modules=rule.all_modules,
                    )
                )
            else:
                clauses.append(HoldsBadge(rule.holds, rule.for_days))
        return AllOf(tuple(clauses))

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


class Pathway(BaseModel):
    """An ordered ladder of achievements."""

    model_config = _FROZEN

    slug: str = Field(pattern=_SLUG)
    name: str = Field(min_length=1)
    description: str = ""
    tiers: tuple[str, ...] = Field(min_length=1)
    on_prerequisite_expiry: Literal["keep", "suspend"] = Field(
        "keep",
        description="What happens to a tier's award when an award it required expires: keep "
        "it (earned is earned) or suspend it until the prerequisite is renewed.",
    )


class Catalog(BaseModel):
    """The whole, checked catalog. Build it with `load_catalog`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    root: Path
    issuer: IssuerProfile
    achievements: Mapping[str, Achievement]
    pathways: Mapping[str, Pathway] = Field(default_factory=dict)
    endorsement_documents: Mapping[str, tuple[tuple[str, JSONDict], ...]] = Field(
        default_factory=dict, description="slug -> (file, signed endorsement) pairs"
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
            criteria_narrative=achievement.criteria.narrative,
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
    """Load a catalog folder and check it.

    Args:
        path: the catalog folder (``issuer.yaml``, ``achievements/``, ``pathways/``, ``images/``).

    Returns:
        The checked catalog.

    Raises:
        CatalogError: a file is missing or malformed, a rule has an unknown key, an image is
            missing, a prerequisite is unknown or prerequisites form a cycle.
    """
    issuer = _parse(IssuerProfile, _read_yaml(path / "issuer.yaml"), path / "issuer.yaml")
    if issuer.image is not None:
        _check_images(path, issuer.image, "issuer")
    achievements: dict[str, Achievement] = {}
    files = sorted((path / "achievements").glob("*.yaml"))
    if not files:
        raise CatalogError(f"{path / 'achievements'}: no achievement files (*.yaml)")
    for file in files:
        achievements[file.stem] = _load_achievement(path, file)
    pathways = {
        file.stem: _parse(Pathway, {"slug": file.stem, **_read_yaml(file)}, file)
        for file in sorted((path / "pathways").glob("*.yaml"))
    }
    _check_references(achievements, pathways)
    _topological_order(achievements)
    endorsements = {
        slug: tuple((name, load_endorsement(path / name)) for name in a.endorsements)
        for slug, a in achievements.items()
        if a.endorsements
    }
    return Catalog(
        root=path,
        issuer=issuer,
        achievements=achievements,
        pathways=pathways,
        endorsement_documents=endorsements,
    )


def _load_achievement(root: Path, file: Path) -> Achievement:
    data = _read_yaml(file)
    declared = data.pop("slug", file.stem)
    if declared != file.stem:
        raise CatalogError(f"{file}: slug {declared!r} does not match the file name {file.stem!r}")
    rules = data.get("rules")
    if isinstance(rules, dict):
        data["rules"] = {**rules, "all_of": _parse_rules(rules.get("all_of"), file)}
    achievement = _parse(Achievement, {"slug": file.stem, **data}, file)
    kind = achievement.achievement_type
    if kind not in ACHIEVEMENT_TYPES and not re.fullmatch(r"ext:[A-Za-z0-9.|_-]+", kind):
        raise CatalogError(f"{file}: achievementType {kind!r} is not an OB 3.0 AchievementType")
    _check_images(root, achievement.image, file.stem)
    for alignment in achievement.alignment:  # fail at load time, not at issuance
        to_alignment(alignment, file)
    for evidence in achievement.evidence:
        to_evidence(evidence, file)
    return achievement


def _parse_rules(items: Any, file: Path) -> list[Rule]:
    if not isinstance(items, list) or not items:
        raise CatalogError(f"{file}: rules.all_of must be a non-empty list of conditions")
    parsed: list[Rule] = []
    for n, item in enumerate(items, start=1):
        if isinstance(item, dict) and "course" in item:
            kind: type[CourseRule] | type[HoldsRule] = CourseRule
        elif isinstance(item, dict) and "holds" in item:
            kind = HoldsRule
        else:
            raise CatalogError(f"{file}: condition {n} needs a `course` or `holds` key: {item!r}")
        unknown = sorted(set(item) - set(kind.model_fields))
        if unknown:
            allowed = ", ".join(kind.model_fields)
            raise CatalogError(
                f"{file}: condition {n} has unknown key(s) {', '.join(unknown)} "
                f"(a {kind.__name__} allows: {allowed})"
            )
        parsed.append(_parse(kind, item, file))
    return parsed


def _check_images(root: Path, image: str, owner: str) -> None:
    svg = root / image
    if svg.suffix != ".svg":
        raise CatalogError(f"{owner}: image {image!r} must be an .svg path (a .png twin beside it)")
    for suffix in _IMAGE_SUFFIXES:
        candidate = _with_suffix(svg, suffix)
        if not candidate.is_file():
            raise CatalogError(f"{owner}: image file {candidate} is missing")


def _check_references(
    achievements: Mapping[str, Achievement], pathways: Mapping[str, Pathway]
) -> None:
    for slug, achievement in achievements.items():
        for needed in achievement.dependencies:
            if needed not in achievements:
                raise CatalogError(f"{slug}: unknown prerequisite or held achievement {needed!r}")
    for slug, pathway in pathways.items():
        for tier in pathway.tiers:
            if tier not in achievements:
                raise CatalogError(f"pathway {slug}: unknown achievement {tier!r}")
        for tier, previous in zip(pathway.tiers[1:], pathway.tiers, strict=False):
            if previous not in achievements[tier].rules.prerequisites:
                raise CatalogError(
                    f"pathway {slug}: tier {tier!r} must list {previous!r} as a prerequisite"
                )


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


def _read_yaml(file: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"{file}: missing") from None
    except yaml.YAMLError as exc:
        raise CatalogError(f"{file}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise CatalogError(f"{file}: expected a mapping at the top level")
    return data


def _parse(model: type[_M], data: Any, file: Path) -> _M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise CatalogError(f"{file}: {problems}") from exc
