"""Shared rules of the OB 3.0 models: id validation, enumerations and the JSON emitter."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from badgeflow.credentials.proof import format_datetime
from badgeflow.errors import CredentialError
from badgeflow.models import JSONDict

__all__ = [
    "ACHIEVEMENT_TYPES",
    "ALIGNMENT_TARGET_TYPES",
    "IDENTITY_TYPES",
    "RESULT_STATUS_TYPES",
    "RESULT_TYPES",
    "check_enum",
    "check_id",
    "emit",
    "json_list",
    "timestamp",
]

_EXT: Final = re.compile(r"^ext:[A-Za-z0-9|._-]+$")
_SCHEME: Final = re.compile(r"\A[A-Za-z][A-Za-z0-9+.-]*:\S+\Z")

ACHIEVEMENT_TYPES: Final = frozenset(
    "Achievement ApprenticeshipCertificate Assessment Assignment AssociateDegree Award Badge "
    "BachelorDegree Certificate CertificateOfCompletion Certification CommunityService "
    "Competency Course CoCurricular Degree Diploma DoctoralDegree Fieldwork "
    "GeneralEducationDevelopment JourneymanCertificate LearningProgram License Membership "
    "ProfessionalDoctorate QualityAssuranceCredential MasterCertificate MasterDegree "
    "MicroCredential ResearchDoctorate SecondarySchoolDiploma".split()
)
"""OB 3.0 ``AchievementType`` (extensible with ``ext:Name``)."""
ALIGNMENT_TARGET_TYPES: Final = frozenset(
    "ceasn:Competency ceterms:Credential CFItem CFRubric CFRubricCriterion "
    "CFRubricCriterionLevel CTDL".split()
)
"""OB 3.0 ``AlignmentTargetType`` (extensible with ``ext:Name``)."""
RESULT_TYPES: Final = frozenset(
    "GradePointAverage LetterGrade Percent PerformanceLevel PredictedScore RawScore Result "
    "RubricCriterion RubricCriterionLevel RubricScore ScaledScore Status".split()
)
"""OB 3.0 ``ResultType`` (extensible with ``ext:Name``)."""
RESULT_STATUS_TYPES: Final = frozenset(
    "Completed Enrolled Failed InProgress OnHold Provisional Withdrew".split()
)
"""OB 3.0 ``ResultStatusType`` (closed)."""
IDENTITY_TYPES: Final = frozenset(
    "name sourcedId systemId productId userName accountId emailAddress nationalIdentityNumber "
    "isbn issn lisSourcedId oneRosterSourcedId sisSourcedId ltiContextId ltiDeploymentId "
    "ltiToolId ltiPlatformId ltiUserId identifier".split()
)
"""OB 3.0 ``IdentifierTypeEnum`` (extensible with ``ext:Name``)."""


def check_id(value: str, what: str) -> str:
    """Check that an id is an absolute URI: an http(s) URL with a host, a ``urn:uuid:``, a DID...

    Args:
        value: the id.
        what: what it identifies, for the error message.

    Returns:
        The id, unchanged.

    Raises:
        CredentialError: a relative reference, whitespace, a malformed ``urn:uuid:`` or an
            http(s) URL without a host.
    """
    if not isinstance(value, str) or not _SCHEME.match(value):
        raise CredentialError(f"{what} must be an absolute URI or urn:uuid:, got {value!r}")
    scheme = value.split(":", 1)[0].lower()
    if scheme in ("http", "https") and not urlsplit(value).hostname:
        raise CredentialError(f"{what} must be an absolute URL with a host, got {value!r}")
    if value.lower().startswith("urn:uuid:"):
        try:
            uuid.UUID(re.split(r"[#?]", value[len("urn:uuid:") :], maxsplit=1)[0])
        except ValueError:
            raise CredentialError(f"{what} is not a valid urn:uuid:, got {value!r}") from None
    return value


def check_enum(value: str, allowed: frozenset[str], what: str, *, extensible: bool = True) -> str:
    """Check a value of an OB 3.0 vocabulary (``ext:Name`` extends an extensible one).

    Raises:
        CredentialError: the value is neither in the vocabulary nor an allowed extension.
    """
    if value in allowed or (extensible and _EXT.match(value)):
        return value
    hint = " or ext:Name" if extensible else ""
    raise CredentialError(f"{what} {value!r} is not one of the OB 3.0 values{hint}")


def timestamp(value: datetime) -> str:
    """Format an aware datetime as an XML Schema dateTime in UTC (``...Z``).

    Raises:
        ValueError: the datetime is naive.
    """
    return format_datetime(value)


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, tuple, dict)) and not value)


def emit(*pairs: tuple[str, Any], required: frozenset[str] = frozenset()) -> JSONDict:
    """Build a JSON object from (key, value) pairs in order, omitting empty values.

    None, empty strings, empty sequences and empty objects are left out (except an empty
    string under a ``required`` key, which the schema wants present); tuples become arrays.
    Values with a ``to_json`` method are converted.
    """
    body: JSONDict = {}
    for key, value in pairs:
        if _is_empty(value) and not (key in required and value == ""):
            continue
        if isinstance(value, tuple):
            value = json_list(value)
        elif hasattr(value, "to_json"):
            value = value.to_json()
        body[key] = value
    return body


def json_list(items: Iterable[Any]) -> list[Any]:
    """Convert a sequence of models (or JSON values) into a JSON array."""
    return [item.to_json() if hasattr(item, "to_json") else item for item in items]
