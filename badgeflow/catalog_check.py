"""Check a catalog folder and collect every problem, each with its file and line.

`check_catalog` is what ``badgeflow catalog check`` prints and what `load_catalog` raises
from: files that are missing or malformed, malformed rules (`badgeflow.criteria.parse`),
unknown courses and achievements, cycles among ``holds``, pathway tiers that do not hold the
tier before them, written narratives that disagree with their rule, missing images,
endorsements that do not load, email branding (``branding.yaml``) and email template
overrides that do not render.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from badgeflow.catalog import Achievement, Catalog, Course, IssuerProfile, Pathway
from badgeflow.catalog_branding import branding_problems
from badgeflow.catalog_courses import COURSES_FILE, load_courses
from badgeflow.catalog_ob3 import load_endorsement, to_alignment, to_evidence
from badgeflow.catalog_pathways import tier_problems
from badgeflow.credentials.ob3 import ACHIEVEMENT_TYPES
from badgeflow.criteria import AllOf, AssessmentPassed, CourseCompleted, HoldsBadge, Where, leaves
from badgeflow.criteria.graph import find_cycles, holds_edges
from badgeflow.criteria.narrative import lint_narrative
from badgeflow.criteria.parse import parse_rule
from badgeflow.criteria.problems import Problem, compose_file, construct, line_of
from badgeflow.errors import CatalogError
from badgeflow.notify.templates import template_problems

__all__ = ["CatalogCheck", "check_catalog"]

_M = TypeVar("_M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class CatalogCheck:
    """The result of checking a catalog: the catalog (None when broken) and every problem."""

    catalog: Catalog | None
    problems: tuple[Problem, ...]
    achievements: int
    pathways: int
    courses: int

    def summary(self) -> str:
        """One line: ``5 achievements, 1 pathway, 6 courses: OK`` (or the problem count)."""
        counts = ", ".join(
            f"{n} {word}{'' if n == 1 else 's'}"
            for n, word in (
                (self.achievements, "achievement"),
                (self.pathways, "pathway"),
                (self.courses, "course"),
            )
        )
        found = len(self.problems)
        return f"{counts}: " + (f"{found} problem{'' if found == 1 else 's'}" if found else "OK")


@dataclass(frozen=True, slots=True)
class _Loaded:
    achievement: Achievement
    top: yaml.MappingNode
    file: str


def check_catalog(path: Path) -> CatalogCheck:
    """Load a catalog folder, collecting every problem instead of stopping at the first.

    Args:
        path: the catalog folder.

    Returns:
        The check: the catalog when there is no problem, else None, and the problems.
    """
    problems: list[Problem] = []
    issuer = _issuer(path, problems)
    courses = load_courses(path, problems)
    files = sorted((path / "achievements").glob("*.yaml"))
    if not files:
        problems.append(Problem(Where(str(path / "achievements"), 1), "no achievement files"))
    loaded = {f.stem: a for f in files if (a := _achievement(path, f, problems)) is not None}
    achievements = {slug: item.achievement for slug, item in loaded.items()}
    slugs = {f.stem for f in files}  # a broken file is reported once, not as unknown too
    _check_references(achievements, slugs, courses, problems)
    problems.extend(find_cycles({s: holds_edges(a.rule) for s, a in achievements.items()}))
    _lint_narratives(loaded, courses, problems)
    pathway_files = sorted((path / "pathways").glob("*.yaml"))
    pathways = {f.stem: p for f in pathway_files if (p := _pathway(f, loaded, slugs, problems))}
    endorsements = _endorsements(path, loaded, problems)
    branding, found = branding_problems(path)
    problems.extend(found)
    problems.extend(template_problems(path, branding))
    catalog = None
    if not problems and issuer is not None:
        catalog = Catalog(
            root=path,
            issuer=issuer,
            achievements=achievements,
            pathways=pathways,
            courses=courses,
            endorsement_documents=endorsements,
            **({"branding": branding} if branding is not None else {}),
        )
    return CatalogCheck(catalog, tuple(problems), len(files), len(pathway_files), len(courses))


def _validate(
    model: type[_M], data: Any, top: yaml.Node, file: str, problems: list[Problem]
) -> _M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = [p for p in err["loc"] if isinstance(p, str | int)]
            if model is Pathway:  # `levels` is how the model keeps the written `tiers`
                loc = ["tiers" if p == "levels" else p for p in loc]
            where = Where(file, line_of(top, loc))
            problems.append(Problem(where, f"{'.'.join(map(str, loc)) or '(top)'}: {err['msg']}"))
        return None


def _issuer(root: Path, problems: list[Problem]) -> IssuerProfile | None:
    file = root / "issuer.yaml"
    top = compose_file(file, problems)
    if top is None:
        return None
    issuer = _validate(IssuerProfile, construct(top), top, str(file), problems)
    if issuer is not None and issuer.image is not None:
        for message in _image_problems(root, issuer.image):
            problems.append(Problem(Where(str(file), line_of(top, ["image"])), message))
    return issuer


def _achievement(root: Path, path: Path, problems: list[Problem]) -> _Loaded | None:
    file = str(path)
    top = compose_file(path, problems)
    if top is None:
        return None
    data = construct(top)
    before = len(problems)
    declared = data.pop("slug", path.stem)
    if declared != path.stem:
        where = Where(file, line_of(top, ["slug"]))
        problems.append(
            Problem(where, f"slug {declared!r} does not match the file name {path.stem!r}")
        )
    rules = next((v for k, v in top.value if k.value == "rules"), None)
    data.pop("rules", None)
    rule = None
    if rules is None:
        problems.append(Problem(Where(file, 1), "missing `rules`: the criteria as a clause"))
    else:
        rule, found = parse_rule(rules, file)
        problems.extend(found)
    data = {**data, "slug": path.stem, "rule": rule or AllOf(())}
    achievement = _validate(Achievement, data, top, file, problems)
    if achievement is None:
        return None
    kind = achievement.achievement_type
    if kind not in ACHIEVEMENT_TYPES and not re.fullmatch(r"ext:[A-Za-z0-9.|_-]+", kind):
        where = Where(file, line_of(top, ["achievementType"]))
        problems.append(
            Problem(where, f"achievementType {kind!r} is not an OB 3.0 AchievementType")
        )
    window, days = achievement.renewal_window_days, achievement.valid_for_days
    if window is not None and (days is None or window >= days):
        problems.append(
            Problem(
                Where(file, line_of(top, ["renewal_window_days"])),
                f"renewal_window_days ({window}) needs valid_for_days, and must be shorter "
                f"than it ({days})",
            )
        )
    for message in _image_problems(root, achievement.image):
        problems.append(Problem(Where(file, line_of(top, ["image"])), f"{path.stem}: {message}"))
    for n, alignment in enumerate(achievement.alignment):  # fail at load, not at issuance
        _try(
            partial(to_alignment, alignment, path),
            Where(file, line_of(top, ["alignment", n])),
            problems,
        )
    for n, evidence in enumerate(achievement.evidence):
        _try(
            partial(to_evidence, evidence, path),
            Where(file, line_of(top, ["evidence", n])),
            problems,
        )
    return None if len(problems) > before else _Loaded(achievement, top, file)


def _try(step: Callable[[], object], where: Where, problems: list[Problem]) -> None:
    try:
        step()
    except CatalogError as exc:
        problems.append(Problem(where, str(exc)))


def _check_references(
    achievements: Mapping[str, Achievement],
    slugs: set[str],
    courses: Mapping[str, Course],
    problems: list[Problem],
) -> None:
    for slug, achievement in achievements.items():
        for leaf in leaves(achievement.rule):
            where = leaf.where or Where(slug, 1)
            if isinstance(leaf, HoldsBadge) and leaf.achievement not in slugs:
                hint = _hint(leaf.achievement, slugs)
                problems.append(
                    Problem(where, f"holds unknown achievement {leaf.achievement!r}{hint}")
                )
            if not isinstance(leaf, CourseCompleted | AssessmentPassed):
                continue
            course = courses.get(leaf.course)
            if course is None:
                message = f"unknown course {leaf.course!r}: not listed in {COURSES_FILE}"
                problems.append(Problem(where, message + _hint(leaf.course, courses)))
            elif leaf.source and course.sources and leaf.source not in course.sources:
                problems.append(
                    Problem(
                        where,
                        f"source {leaf.source!r} does not deliver {leaf.course} "
                        f"(per {COURSES_FILE}: {', '.join(course.sources)})",
                    )
                )


def _hint(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _lint_narratives(
    loaded: Mapping[str, _Loaded], courses: Mapping[str, Course], problems: list[Problem]
) -> None:
    badges = {slug: item.achievement.name for slug, item in loaded.items()}
    for item in loaded.values():
        achievement = item.achievement
        if achievement.criteria is None:
            continue
        where = Where(item.file, line_of(item.top, ["criteria", "narrative"]))
        for message in lint_narrative(
            achievement.criteria.narrative,
            achievement.rule,
            courses=courses,
            badges=badges,
            valid_for_days=achievement.valid_for_days,
        ):
            problems.append(Problem(where, f"criteria.narrative {message}"))


def _pathway(
    path: Path, loaded: Mapping[str, _Loaded], slugs: set[str], problems: list[Problem]
) -> Pathway | None:
    file = str(path)
    top = compose_file(path, problems)
    if top is None:
        return None
    pathway = _validate(Pathway, {"slug": path.stem, **construct(top)}, top, file, problems)
    if pathway is None:
        return None
    rules = {slug: item.achievement.rule for slug, item in loaded.items()}
    found = tier_problems(pathway, rules, slugs)
    for n, message in found:
        problems.append(Problem(Where(file, line_of(top, ["tiers", n])), message))
    return None if found else pathway


def _endorsements(
    root: Path, loaded: Mapping[str, _Loaded], problems: list[Problem]
) -> dict[str, tuple[tuple[str, Any], ...]]:
    found: dict[str, tuple[tuple[str, Any], ...]] = {}
    for slug, item in loaded.items():
        documents = []
        for n, name in enumerate(item.achievement.endorsements):
            try:
                documents.append((name, load_endorsement(root / name)))
            except CatalogError as exc:
                where = Where(item.file, line_of(item.top, ["endorsements", n]))
                problems.append(Problem(where, str(exc)))
        if documents:
            found[slug] = tuple(documents)
    return found


def _image_problems(root: Path, image: str) -> list[str]:
    svg = root / image
    if svg.suffix != ".svg":
        return [f"image {image!r} must be an .svg path (a .png twin beside it)"]
    return [
        f"image file {candidate} is missing"
        for candidate in (svg, svg.with_suffix(".png"))
        if not candidate.is_file()
    ]
