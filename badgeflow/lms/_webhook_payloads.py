"""Map one stored webhook event to a canonical completion record, per vendor.

Field mapping from API_NOTES section 10 and each vendor's "Events / webhooks" notes. Only the
generic event carries a score; the vendors' events carry none (and Docebo, Cornerstone,
360Learning and Moodle no email either), which `badgeflow.lms.webhook` fills in from the
vendor's connector when one is configured.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

from badgeflow.models import (
    COMPLETED,
    COMPLETED_AT,
    COURSE_ID,
    COURSE_NAME,
    LEARNER_EMAIL,
    LEARNER_ID,
    LEARNER_NAME,
    MODULES_COMPLETED,
    MODULES_TOTAL,
    PROGRESS_PCT,
    SCORE,
    SCORE_KIND,
    SOURCE_SYSTEM,
)

__all__ = ["CANVAS_SHARD_FACTOR", "map_event", "parse_time"]

CANVAS_SHARD_FACTOR: Final = 10**13
"""Canvas live events carry global ids: shard * 10**13 + the local id the REST API uses."""

Record = dict[str, Any]


def map_event(vendor: str, payload: dict[str, Any]) -> tuple[Record, list[str]]:
    """Map a stored event to canonical fields.

    Args:
        vendor: the source's payload format.
        payload: the stored event.

    Returns:
        The fields it gives (learner, course, completion, score when known) and the parse
        problems found; `SOURCE_RECORD_ID` is ``"<learner id>:<course id>"``.
    """
    errors: list[str] = []
    record = _MAPPERS[vendor](payload, errors)
    record.setdefault(SCORE, None)
    record.setdefault(SCORE_KIND, "none")
    record[COMPLETED] = True
    if record[COMPLETED_AT] is None:
        errors.append("completion event without a valid completion time")
    for field in (LEARNER_ID, COURSE_ID):
        if not record.get(field):
            record[field] = None
            errors.append(f"completion event without {field}")
    email = record.get(LEARNER_EMAIL)
    record[LEARNER_EMAIL] = email.strip().lower() if isinstance(email, str) and email else None
    return record, errors


def parse_time(value: object, errors: list[str], what: str) -> datetime | None:
    """Parse ISO 8601, ``YYYY-MM-DD HH:MM:SS`` (UTC) or Unix seconds into aware UTC.

    Args:
        value: the vendor's value.
        errors: where a parse problem is appended.
        what: the field, for the message.

    Returns:
        The time, or None (missing or unparseable).
    """
    if value in (None, ""):
        return None
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        stamp = datetime.fromisoformat(str(value))
    except (ValueError, OverflowError, OSError):
        errors.append(f"{what} {str(value)[:40]!r} is not a date-time")
        return None
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def _str(value: object) -> str | None:
    return None if value in (None, "") else str(value)


def _name(first: object, last: object) -> str | None:
    return " ".join(str(p) for p in (first, last) if p) or None


def _email_like(value: object) -> str | None:
    return str(value) if isinstance(value, str) and "@" in value else None


def _generic(p: dict[str, Any], errors: list[str]) -> Record:
    score = p.get("score")
    return {
        SOURCE_SYSTEM: _str(p.get("source_system")) or "webhook",
        LEARNER_ID: _str(p.get("learner_id")) or _str(p.get("learner_email")),
        LEARNER_EMAIL: p.get("learner_email"),
        LEARNER_NAME: _str(p.get("learner_name")),
        COURSE_ID: _str(p.get("course_id")),
        COURSE_NAME: _str(p.get("course_name")),
        COMPLETED_AT: parse_time(p.get("completed_at"), errors, "completed_at"),
        SCORE: float(score) if score is not None else None,
        SCORE_KIND: _str(p.get("score_kind")) or ("course_total" if score is not None else "none"),
    }


def _canvas(p: dict[str, Any], errors: list[str]) -> Record:
    body = p["body"]
    user, course, progress = (body.get(k) or {} for k in ("user", "course", "progress"))
    done, total = progress.get("requirement_completed_count"), progress.get("requirement_count")
    course_id = course.get("sis_source_id") or _canvas_local(course.get("id"))
    return {
        SOURCE_SYSTEM: "canvas",
        LEARNER_ID: _canvas_local(user.get("id")),
        LEARNER_EMAIL: user.get("email"),
        LEARNER_NAME: _str(user.get("name")),
        COURSE_ID: _str(course_id),
        COURSE_NAME: _str(course.get("name")),
        COMPLETED_AT: parse_time(progress.get("completed_at"), errors, "completed_at"),
        MODULES_COMPLETED: done,
        MODULES_TOTAL: total,
        PROGRESS_PCT: done / total * 100 if isinstance(done, int) and total else None,
    }


def _canvas_local(value: object) -> str | None:
    text = _str(value)
    if text is None or not text.isdigit():
        return text
    return str(int(text) % CANVAS_SHARD_FACTOR)


def _docebo(p: dict[str, Any], errors: list[str]) -> Record:
    return {
        SOURCE_SYSTEM: "docebo",
        LEARNER_ID: _str(p.get("user_id")),
        LEARNER_EMAIL: _email_like(p.get("username")) or p.get("email"),
        LEARNER_NAME: _name(p.get("first_name"), p.get("last_name")),
        COURSE_ID: _str(p.get("course_id")),
        COURSE_NAME: _str(p.get("course_name")),
        COMPLETED_AT: parse_time(
            p.get("completion_date") or p.get("fired_at"), errors, "completion_date"
        ),
    }


def _litmos(p: dict[str, Any], errors: list[str]) -> Record:
    d = p["data"]
    return {
        SOURCE_SYSTEM: "litmos",
        LEARNER_ID: _str(d.get("userId")),
        LEARNER_EMAIL: _email_like(d.get("userName")),
        LEARNER_NAME: _name(d.get("firstName"), d.get("lastName")),
        COURSE_ID: _str(d.get("courseId")),
        COURSE_NAME: _str(d.get("title")),
        COMPLETED_AT: parse_time(d.get("achievementDate"), errors, "achievementDate"),
    }


def _360learning(p: dict[str, Any], errors: list[str]) -> Record:
    d = p["data"]
    path = p.get("type") == "path.session.user.status.updated"
    when = d.get("updatedAt") if path else d.get("closedAt")
    return {
        SOURCE_SYSTEM: "360learning",
        LEARNER_ID: _str(d.get("userId")),
        LEARNER_EMAIL: None,
        LEARNER_NAME: None,
        COURSE_ID: _str(d.get("pathId") if path else d.get("courseId")),
        COURSE_NAME: None,
        COMPLETED_AT: parse_time(when, errors, "updatedAt" if path else "closedAt"),
    }


def _cornerstone(p: dict[str, Any], errors: list[str]) -> Record:
    d = p["value"]["trainingCompleted"]["data"]
    return {
        SOURCE_SYSTEM: "cornerstone",
        LEARNER_ID: _str(d.get("targetUserId")),
        LEARNER_EMAIL: _email_like(d.get("targetUsername")),
        LEARNER_NAME: _name(d.get("targetUserFirstName"), d.get("targetUserLastName")),
        COURSE_ID: _str(d.get("trainingId")),
        COURSE_NAME: _str(d.get("trainingTitle")),
        COMPLETED_AT: parse_time(
            d.get("trainingActionDateTimestamp"), errors, "trainingActionDateTimestamp"
        ),
    }


def _moodle(p: dict[str, Any], errors: list[str]) -> Record:
    return {
        SOURCE_SYSTEM: "moodle",
        LEARNER_ID: _str(p.get("relateduserid")),
        LEARNER_EMAIL: None,
        LEARNER_NAME: None,
        COURSE_ID: _str(p.get("courseid")),
        COURSE_NAME: None,
        COMPLETED_AT: parse_time(p.get("timecreated"), errors, "timecreated"),
    }


_MAPPERS: Final[dict[str, Callable[[dict[str, Any], list[str]], Record]]] = {
    "generic": _generic,
    "canvas": _canvas,
    "docebo": _docebo,
    "litmos": _litmos,
    "360learning": _360learning,
    "cornerstone": _cornerstone,
    "moodle": _moodle,
}
