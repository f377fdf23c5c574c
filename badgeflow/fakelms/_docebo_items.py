"""How a fake Docebo renders enrollments and users in each endpoint's own field names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from badgeflow.fakelms.docebo_dataset import FakeDoceboCourse, FakeDoceboEnrollment, FakeDoceboUser

__all__ = ["admin_item", "learn_item", "user_item", "wire_time"]

_LEVELS: Final = {"student": "3", "tutor": "4", "instructor": "6"}


def admin_item(
    e: FakeDoceboEnrollment, course: FakeDoceboCourse, user: FakeDoceboUser
) -> dict[str, Any]:
    """An item of ``/course/v1/courses/enrollments`` (``enrollment_*`` names)."""
    return {
        "user_id": e.user_id,
        "username": user.username,
        "course_id": course.id,
        "course_code": course.code,
        "course_name": course.name,
        "course_uid": course.uid,
        "course_type": course.type,
        "enrollment_status": e.status,
        "enrollment_created_at": wire_time(e.enrolled_at),
        "enrollment_completion_date": _completion(e),
        "enrollment_score": e.score,
        "enrollment_date_last_updated": wire_time(e.updated_at),
        "enrollment_level": e.level,
        "enrollment_time_spent": 0,
        "enrollment_validity_begin_datetime": None,
        "enrollment_validity_end_datetime": None,
        "assignment_type": None,
    }


def learn_item(e: FakeDoceboEnrollment, course: FakeDoceboCourse) -> dict[str, Any]:
    """An item of ``/learn/v1/enrollments`` (``status``, ``score``, numeric ``level``)."""
    return {
        "id": course.id,
        "user_id": e.user_id,
        "name": course.name,
        "code": course.code,
        "type": course.type,
        "status": e.status,
        "score": e.score if course.type != "learning_plan" else None,
        "course_complete_date": _completion(e),
        "enroll_begin_date": wire_time(e.enrolled_at),
        "enroll_end_date": None,
        "date_last_updated": wire_time(e.updated_at),
        "level": _LEVELS[e.level],
        "total_time": 0,
        "slug_name": course.name.lower().replace(" ", "-"),
        "can_enter": True,
        "is_new": False,
    }


def user_item(user: FakeDoceboUser) -> dict[str, Any]:
    """An item of ``/manage/v1/user`` (and the ``data`` of ``/manage/v1/user/{id}``)."""
    return {
        "user_id": str(user.id),
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "valid": "1",
    }


def _completion(enrollment: FakeDoceboEnrollment) -> str | None:
    return enrollment.raw_completion_date or wire_time(enrollment.completed_at)


def wire_time(value: datetime | None) -> str | None:
    """A time as Docebo sends it: ``YYYY-MM-DD HH:MM:SS`` UTC."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value is not None else None
