"""The data a fake Docebo serves: courses, users and course enrollments.

A dataset is a JSON file shaped like this (times ISO 8601 UTC; Docebo itself sends
``YYYY-MM-DD HH:MM:SS``)::

    {
      "courses": [{"id": 12, "code": "DS101", "name": "Data Foundations", "type": "elearning"}],
      "users": [{"id": 13001, "username": "ahart", "first_name": "Amelia",
                 "last_name": "Hart", "email": "amelia.hart@example.com"}],
      "enrollments": [{"user_id": 13001, "course_id": 12, "status": "completed",
                       "score": 82.5, "completed_at": "2026-09-14T10:00:00Z",
                       "enrolled_at": "2026-09-01T08:00:00Z",
                       "updated_at": "2026-09-14T10:00:00Z", "level": "student"}]
    }

An enrollment is keyed by (user, course): Docebo gives it no id of its own in listings.
A course of ``"type": "learning_plan"`` is a learning plan, listed by ``/learn/v1/enrollments``
beside courses; ids are unique across courses and learning plans here.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = ["DoceboDataset", "FakeDoceboCourse", "FakeDoceboEnrollment", "FakeDoceboUser"]

EnrollmentStatus = Literal[
    "subscribed", "in_progress", "completed", "waiting", "suspended", "overbooking"
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FakeDoceboCourse(_Model):
    """A course (or learning plan) with its admin-set code."""

    id: int
    name: str
    code: str = ""
    uid: str = ""
    type: Literal["elearning", "classroom", "webinar", "learning_plan"] = "elearning"


class FakeDoceboUser(_Model):
    """A platform user."""

    id: int
    username: str
    first_name: str = ""
    last_name: str = ""
    email: str | None = None


class FakeDoceboEnrollment(_Model):
    """One user's enrollment in one course, with its status and score."""

    user_id: int
    course_id: int
    status: EnrollmentStatus = "subscribed"
    score: float | None = None
    completed_at: datetime | None = None
    enrolled_at: datetime | None = None
    updated_at: datetime | None = None
    level: Literal["student", "tutor", "instructor"] = "student"
    raw_completion_date: str | None = Field(
        None, description="Sent verbatim instead of completed_at (to test bad dates)."
    )


class DoceboDataset(_Model):
    """Everything a `FakeDocebo` serves."""

    courses: list[FakeDoceboCourse] = Field(default_factory=list)
    users: list[FakeDoceboUser] = Field(default_factory=list)
    enrollments: list[FakeDoceboEnrollment] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_resolve(self) -> DoceboDataset:
        courses = {c.id for c in self.courses}
        users = {u.id for u in self.users}
        seen: set[tuple[int, int]] = set()
        for e in self.enrollments:
            key = (e.user_id, e.course_id)
            if e.course_id not in courses or e.user_id not in users:
                raise ValueError(f"enrollment {key} names an unknown course or user")
            if key in seen:
                raise ValueError(f"enrollment {key} appears twice")
            seen.add(key)
        return self

    @classmethod
    def load(cls, path: Path) -> DoceboDataset:
        """Read a dataset file.

        Raises:
            ValueError: the file is not a valid dataset (the message names the problem).
        """
        try:
            return cls.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
        except (ValidationError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not a Docebo dataset: {exc}") from exc

    def course(self, course_id: int) -> FakeDoceboCourse | None:
        """A course (not a learning plan) by id."""
        return next(
            (c for c in self.courses if c.id == course_id and c.type != "learning_plan"), None
        )

    def user(self, user_id: int) -> FakeDoceboUser | None:
        """A user by id."""
        return self._users_by_id.get(user_id)

    @cached_property
    def _users_by_id(self) -> dict[int, FakeDoceboUser]:
        # The dataset is frozen: an index keeps a 30,000-user fake fast.
        return {u.id: u for u in reversed(self.users)}

    def sorted_enrollments(self) -> list[FakeDoceboEnrollment]:
        """Every enrollment, by course then user (the order Docebo's listings use)."""
        return sorted(self.enrollments, key=lambda e: (e.course_id, e.user_id))
