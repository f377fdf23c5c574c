"""Generate the export data contracts (``data_contracts/export_<format>.v1.json``) from profiles.

Each export profile in `badgeflow.lms.exports.profiles.PROFILES` gets one GX suite checking
the raw report, before any mapping, under the vendor's own column labels (a field's first
label; `badgeflow.contracts_export` renames the other accepted labels to it): the required
columns exist, identity cells are filled, emails look like emails, and date, status, number
and count cells match what the profile's parsers accept. Patterns are derived from the
profile (its ``strptime`` formats and status vocabulary), never written twice. The JSON is
committed; ``python -m badgeflow.contracts_gen data_contracts`` rewrites it and a test checks
that the files are up to date.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

from badgeflow.lms.exports.profiles import PROFILES, ExportProfile
from badgeflow.models import (
    COMPLETED,
    COMPLETED_AT,
    COURSE_ID,
    COURSE_NAME,
    LEARNER_EMAIL,
    LEARNER_ID,
    MODULES_COMPLETED,
    MODULES_TOTAL,
    PROGRESS_PCT,
    SCORE,
    SCORE_KIND,
    JSONDict,
)

__all__ = [
    "EMAIL_PATTERN",
    "EXPORT_SUITE_VERSION",
    "build_export_suite",
    "date_pattern",
    "export_suite_name",
    "write_export_suites",
]

EXPORT_SUITE_VERSION: Final = 1
"""Bump it (and keep the old file while sources still need it) when a suite's meaning changes."""
EMAIL_PATTERN: Final = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
"""The email syntax every suite checks; the canonical suite uses the same pattern."""
ISO_8601: Final = (
    r"\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?)?"
    r"(?:Z|[+-]\d{2}(?::?\d{2})?)?"
)
"""What ``datetime.fromisoformat`` is given in practice (it is always tried first)."""
NUMBER_PATTERN: Final = r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?\s*%?$"
"""What `badgeflow.lms.exports.values.parse_number` reads: optional ``%``, decimal comma."""
COUNT_PATTERN: Final = r"^[+-]?\d+(?:\.0*)?$"
"""A whole number, as `parse_count` reads it (``6`` or ``6.0``)."""

_DIRECTIVES: Final = {
    "%Y": r"\d{4}",
    "%y": r"\d{2}",
    "%m": r"(?:0?[1-9]|1[0-2])",
    "%d": r"(?:0?[1-9]|[12]\d|3[01])",
    "%H": r"(?:[01]?\d|2[0-3])",
    "%I": r"(?:0?[1-9]|1[0-2])",
    "%M": r"[0-5]?\d",
    "%S": r"[0-5]?\d",
    "%p": r"(?:[AaPp][Mm])",
    "%%": "%",
}
_IDENTITY: Final = (LEARNER_ID, LEARNER_EMAIL, COURSE_ID, COURSE_NAME)
_SCORE_KINDS: Final = ("final_assessment", "course_total", "none")


def export_suite_name(profile: ExportProfile) -> str:
    """Name the suite of an export format: ``export_<format>.v<EXPORT_SUITE_VERSION>``.

    Args:
        profile: the export layout.

    Returns:
        The suite name, which is also its file name without ``.json``.
    """
    return f"export_{profile.format}.v{EXPORT_SUITE_VERSION}"


def date_pattern(formats: Iterable[str]) -> str:
    """Build one anchored regex matching ISO 8601 or any of some ``strptime`` formats.

    Args:
        formats: ``strptime`` formats using ``%Y %y %m %d %H %I %M %S %p``.

    Returns:
        The pattern; a calendar-invalid date (31 February) still matches and is left to
        the reader, which reports it as a parse error.

    Raises:
        ValueError: a format uses a directive this translation does not know.
    """
    alternatives = [ISO_8601]
    for fmt in formats:
        parts = re.split(r"(%.)", fmt)
        pattern = ""
        for part in parts:
            if part.startswith("%") and len(part) == 2:
                if part not in _DIRECTIVES:
                    raise ValueError(f"strptime directive {part} in {fmt!r} has no pattern")
                pattern += _DIRECTIVES[part]
            else:
                pattern += re.escape(part)
        alternatives.append(pattern)
    return "^(?:" + "|".join(dict.fromkeys(alternatives)) + ")$"


def _words(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words))


def _status_pattern(profile: ExportProfile) -> str:
    words = f"(?i:{_words(profile.completed_true | profile.completed_false)})"
    if profile.date_in_status:
        # Moodle writes the completion date itself in the status cell.
        return "^(?:" + words + "|" + date_pattern(profile.date_formats)[1:-1] + ")$"
    return "^" + words + "$"


def _expect(kind: str, label: str, reason: str, **kwargs: object) -> JSONDict:
    return {
        "type": kind,
        "kwargs": {"column": label, **kwargs},
        "meta": {"reason": reason},
        "severity": "critical",
    }


def build_export_suite(profile: ExportProfile) -> JSONDict:
    """Build the GX suite (as JSON data) validating one vendor's raw report.

    Args:
        profile: the export layout.

    Returns:
        The suite, in the layout `badgeflow.contracts.load_suite` reads.
    """
    label = {name: labels[0] for name, labels in profile.columns.items()}
    expectations = [
        _expect("expect_column_to_exist", label[f], f"column {label[f]!r} is missing")
        for f in profile.required
    ]
    expectations += [
        _expect("expect_column_values_to_not_be_null", label[f], f"{label[f]} is empty")
        for f in profile.required
        if f in _IDENTITY
    ]
    checks: Mapping[str, tuple[str, str]] = {
        LEARNER_EMAIL: (EMAIL_PATTERN, "is not a valid email"),
        COMPLETED: (_status_pattern(profile), "is not a known status"),
        COMPLETED_AT: (date_pattern(profile.date_formats), "is not a date in a known format"),
        SCORE: (NUMBER_PATTERN, "is not a number"),
        PROGRESS_PCT: (NUMBER_PATTERN, "is not a number"),
        MODULES_COMPLETED: (COUNT_PATTERN, "is not a whole number"),
        MODULES_TOTAL: (COUNT_PATTERN, "is not a whole number"),
        SCORE_KIND: (f"^(?i:{_words(_SCORE_KINDS)})$", "is not a score kind"),
    }
    for field, (pattern, problem) in checks.items():
        if field in label:
            name = label[field]
            expectations.append(
                _expect(
                    "expect_column_values_to_match_regex",
                    name,
                    f"{name} '{{{name}}}' {problem}",
                    regex=pattern,
                )
            )
    return {
        "name": export_suite_name(profile),
        "id": None,
        "expectations": expectations,
        "meta": {
            "description": (
                f"Raw {profile.title}, before mapping; generated from the {profile.format!r} "
                "profile by badgeflow.contracts_gen (do not edit by hand)."
            ),
        },
        "notes": None,
    }


def write_export_suites(contracts_dir: Path) -> list[Path]:
    """Write every export profile's suite into ``contracts_dir``.

    Args:
        contracts_dir: the ``data_contracts/`` folder.

    Returns:
        The files written.
    """
    written = []
    for profile in PROFILES.values():
        path = contracts_dir / f"{export_suite_name(profile)}.json"
        path.write_text(json.dumps(build_export_suite(profile), indent=2) + "\n", "utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    for written_path in write_export_suites(Path(sys.argv[1] if len(sys.argv) > 1 else ".")):
        sys.stdout.write(f"{written_path}\n")
