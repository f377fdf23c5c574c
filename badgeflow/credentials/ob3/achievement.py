"""OB 3.0 models of what is achieved: ``Achievement`` and its parts, and the issuer ``Profile``.

Every model is a frozen dataclass whose ``to_json()`` gives the OB 3.0 JSON: multi-valued
properties are arrays, empty values are omitted, and only terms of the OB 3.0.3 context are
used. Ids are checked on construction (see `check_id`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from badgeflow.credentials.ob3._base import (
    ACHIEVEMENT_TYPES,
    ALIGNMENT_TARGET_TYPES,
    RESULT_TYPES,
    check_enum,
    check_id,
    emit,
)
from badgeflow.errors import CredentialError
from badgeflow.models import JSONDict

__all__ = [
    "Achievement",
    "Alignment",
    "Criteria",
    "Image",
    "Profile",
    "ResultDescription",
    "RubricCriterionLevel",
]

_NAMED = frozenset({"name", "description"})
_NARRATIVE = frozenset({"narrative"})
_LANGUAGE = re.compile(r"^[a-z]{2,4}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")


@dataclass(frozen=True, kw_only=True)
class Image:
    """An ``Image``: its URL (or data URI) and an optional caption."""

    id: str
    caption: str | None = None

    def __post_init__(self) -> None:
        """Check the id."""
        check_id(self.id, "Image id")

    def to_json(self) -> JSONDict:
        """Return the OB 3.0 JSON (``type`` is the single IRI ``Image``, as the schema wants)."""
        return emit(("id", self.id), ("type", "Image"), ("caption", self.caption))


@dataclass(frozen=True, kw_only=True)
class Profile:
    """A ``Profile``: the issuer, an endorser or an achievement's creator.

    Attributes:
        endorsements: signed ``EndorsementCredential`` documents about this profile.
    """

    id: str
    name: str | None = None
    url: str | None = None
    email: str | None = None
    description: str | None = None
    image: Image | None = None
    endorsements: tuple[JSONDict, ...] = ()

    def __post_init__(self) -> None:
        """Check the id and URL."""
        check_id(self.id, "Profile id")
        if self.url is not None:
            check_id(self.url, "Profile url")

    def to_json(self) -> JSONDict:
        """Return the OB 3.0 JSON."""
        return emit(
            ("id", self.id),
            ("type", ("Profile",)),
            ("name", self.name),
            ("url", self.url),
            ("email", self.email),
            ("description", self.description),
            ("image", self.image),
            ("endorsement", self.endorsements),
            required=_NAMED,
        )


@dataclass(frozen=True, kw_only=True)
class Criteria:
    """``Criteria``: a page describing them and/or a Markdown narrative."""

    id: str | None = None
    narrative: str | None = None

    def __post_init__(self) -> None:
        """Check that something is given, and the id."""
        if self.id is None and not self.narrative:
            raise CredentialError("Criteria needs an id or a narrative")
        if self.id is not None:
            check_id(self.id, "Criteria id")

    def to_json(self) -> JSONDict:
        """Return the OB 3.0 JSON."""
        return emit(("id", self.id), ("narrative", self.narrative), required=_NARRATIVE)


@dataclass(frozen=True, kw_only=True)
class Alignment:
    """An ``Alignment`` to a node of an external framework (a skill, a competency, a standard).

    Attributes:
        target_type: an OB 3.0 ``AlignmentTargetType`` (``ceasn:Competency``, ``CFItem`` ...)
            or ``ext:Name``.
    """

    target_name: str
    target_url: str
    target_description: str | None = None
    target_framework: str | None = None
    target_code: str | None = None
    target_type: str | None = None

    def __post_init__(self) -> None:
        """Check the name, URL and target type."""
        if not self.target_name:
            raise CredentialError("Alignment needs a targetName")
        check_id(self.target_url, "Alignment targetUrl")
        if self.target_type is not None:
            check_enum(self.target_type, ALIGNMENT_TARGET_TYPES, "Alignment targetType")

    def to_json(self) -> JSONDict:
        """Return the OB 3.0 JSON."""
        return emit(
            ("type", ("Alignment",)),
            ("targetName", self.target_name),
            ("targetUrl", self.target_url),
            ("targetDescription", self.target_description),
            ("targetFramework", self.target_framework),
            ("targetCode", self.target_code),
            ("targetType", self.target_type),
        )


@dataclass(frozen=True, kw_only=True)
class RubricCriterionLevel:
    """A ``RubricCriterionLevel`` of a rubric ``ResultDescription``."""

    id: str
    name: str
    description: str | None = None
    level: str | None = None
    points: str | None = None

    def __post_init__(self) -> None:
        """Check the id."""
        check_id(self.id, "RubricCriterionLevel id")

    def to_json(self) -> JSONDict:
        """Return the OB 3.0 JSON."""
        return emit(
            ("id", self.id),
            ("type", ("RubricCriterionLevel",)),
            ("name", self.name),
            ("description", self.description),
            ("level", self.level),
            ("points", self.points),
        )


@dataclass(frozen=True, kw_only=True)
class ResultDescription:
    """A ``ResultDescription``: a kind of result an achievement records (a score, a level).

    Attributes:
        result_type: an OB 3.0 ``ResultType`` (``Percent``, ``LetterGrade`` ...) or ``ext:Name``.
        allowed_values: ordered low to high (``allowedValue``).
    """

    id: str
    name: str
    result_type: str
    value_min: str | None = None
    value_max: str | None = None
    allowed_values: tuple[str, ...] = ()
    required_level: str | None = None
    required_value: str | None = None
    rubric_criterion_levels: tuple[RubricCriterionLevel, ...] = ()

    def __post_init__(self) -> None:
        """Check the ids and the result type."""
        check_id(self.id, "ResultDescription id")
        check_enum(self.result_type, RESULT_TYPES, "ResultDescription resultType")
        if self.required_level is not None:
            check_id(self.required_level, "ResultDescription requiredLevel")

    def to_json(self) -> JSONDict:
        """Return the OB 3.0 JSON."""
        return emit(
            ("id", self.id),
            ("type", ("ResultDescription",)),
            ("name", self.name),
            ("resultType", self.result_type),
            ("valueMin", self.value_min),
            ("valueMax", self.value_max),
            ("allowedValue", self.allowed_values),
            ("requiredLevel", self.required_level),
            ("requiredValue", self.required_value),
            ("rubricCriterionLevel", self.rubric_criterion_levels),
        )


@dataclass(frozen=True, kw_only=True)
class Achievement:
    """An ``Achievement``: what the credential says was accomplished.

    Attributes:
        achievement_type: an OB 3.0 ``AchievementType`` or ``ext:Name``.
        tags: keywords (``tag``).
        alignments: framework nodes it aligns to (``alignment``).
        result_descriptions: results a credential of it may carry (``resultDescription``).
        creator: who defined it (a ``Profile``).
        in_language: a BCP 47 language code such as ``en`` or ``en-GB``.
        credits_available: credit hours (``creditsAvailable``).
        endorsements: signed ``EndorsementCredential`` documents embedded as ``endorsement``.
    """

    id: str
    name: str
    description: str
    criteria: Criteria
    achievement_type: str | None = "Badge"
    image: Image | None = None
    tags: tuple[str, ...] = ()
    result_descriptions: tuple[ResultDescription, ...] = ()
    alignments: tuple[Alignment, ...] = ()
    creator: Profile | None = None
    version: str | None = None
    in_language: str | None = None
    human_code: str | None = None
    field_of_study: str | None = None
    credits_available: float | None = None
    endorsements: tuple[JSONDict, ...] = ()

    def __post_init__(self) -> None:
        """Check the id, the vocabulary values and the language code."""
        check_id(self.id, "Achievement id")
        if self.achievement_type is not None:
            check_enum(self.achievement_type, ACHIEVEMENT_TYPES, "achievementType")
        if self.in_language is not None and not _LANGUAGE.match(self.in_language):
            raise CredentialError(f"inLanguage {self.in_language!r} is not a BCP 47 code")
        if self.credits_available is not None and self.credits_available < 0:
            raise CredentialError("creditsAvailable must not be negative")

    def to_json(self) -> JSONDict:
        """Return the OB 3.0 JSON."""
        return emit(
            ("id", self.id),
            ("type", ("Achievement",)),
            ("achievementType", self.achievement_type),
            ("name", self.name),
            ("description", self.description),
            ("criteria", self.criteria),
            ("image", self.image),
            ("tag", self.tags),
            ("resultDescription", self.result_descriptions),
            ("alignment", self.alignments),
            ("creator", self.creator),
            ("version", self.version),
            ("inLanguage", self.in_language),
            ("humanCode", self.human_code),
            ("fieldOfStudy", self.field_of_study),
            ("creditsAvailable", self.credits_available),
            ("endorsement", self.endorsements),
            required=_NAMED,
        )
