"""The data a fake Canvas serves: courses, students, enrollments, progress and scores.

A dataset is a JSON file shaped like this (times ISO 8601 UTC, ``null`` when not done)::

    {
      "courses": [{"id": 101, "sis_course_id": "DS101", "name": "Data Foundations",
                   "requirement_count": 3,
                   "assignments": [{"id": 501, "name": "Final exam", "points_possible": 50}]}],
      "users": [{"id": 7, "name": "Amelia Hart", "email": "amelia.hart@example.com"}],
      "enrollments": [{"id": 9001, "user_id": 7, "course_id": 101,
                       "requirements_completed": 3, "completed_at": "2026-09-14T10:00:00Z",
                       "final_score": 82.5, "submissions": {"501": 41.0}}]
    }

A course with ``"requirement_count": 0`` is not module based: Canvas reports no progress
for it. ``submissions`` maps an assignment id to the score (points) of the learner.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "CanvasDataset",
    "FakeAssignment",
    "FakeCanvasCourse",
    "FakeCanvasUser",
    "FakeEnrollment",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FakeAssignment(_Model):
    """An assignment (a quiz is one too) with its points possible."""

    id: int
    name: str
    points_possible: float = 100.0


class FakeCanvasCourse(_Model):
    """A course; `requirement_count` is its number of module completion requirements."""

    id: int
    name: str
    sis_course_id: str | None = None
    course_code: str = ""
    requirement_count: int = Field(0, ge=0)
    assignments: list[FakeAssignment] = Field(default_factory=list)


class FakeCanvasUser(_Model):
    """A learner."""

    id: int
    name: str
    email: str | None = None
    sis_user_id: str | None = None


class FakeEnrollment(_Model):
    """A student enrollment with its module progress and scores."""

    id: int
    user_id: int
    course_id: int
    requirements_completed: int = Field(0, ge=0)
    completed_at: datetime | None = None
    final_score: float | None = None
    submissions: dict[str, float | None] = Field(default_factory=dict)
    updated_at: datetime | None = None


class CanvasDataset(_Model):
    """Everything a `FakeCanvas` serves."""

    courses: list[FakeCanvasCourse] = Field(default_factory=list)
    users: list[FakeCanvasUser] = Field(default_factory=list)
    enrollments: list[FakeEnrollment] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_resolve(self) -> CanvasDataset:
        courses = {c.id for c in self.courses}
        users = {u.id for u in self.users}
        for e in self.enrollments:
            if e.course_id not in courses or e.user_id not in users:
                raise ValueError(f"enrollment {e.id} names an unknown course or user")
        return self

    @classmethod
    def load(cls, path: Path) -> CanvasDataset:
        """Read a dataset file.

        Raises:
            ValueError: the file is not a valid dataset (the message names the problem).
        """
        try:
            return cls.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
        except (ValidationError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not a Canvas dataset: {exc}") from exc

    def course(self, key: str) -> FakeCanvasCourse | None:
        """A course by numeric id or ``sis_course_id:<id>``, as Canvas URLs accept."""
        if key.startswith("sis_course_id:"):
            sis = key.removeprefix("sis_course_id:")
            return next((c for c in self.courses if c.sis_course_id == sis), None)
        return next((c for c in self.courses if str(c.id) == key), None)

    def user(self, user_id: int) -> FakeCanvasUser | None:
        """A user by id."""
        return self._users_by_id.get(user_id)

    def course_enrollments(self, course_id: int) -> list[FakeEnrollment]:
        """The course's enrollments, by user id."""
        return list(self._by_course.get(course_id, ()))

    # Indexes (the dataset is frozen), so a fake serving 30,000+ enrollments answers each
    # page in time proportional to the page, not to the dataset times its users.
    @cached_property
    def _users_by_id(self) -> dict[int, FakeCanvasUser]:
        return {u.id: u for u in reversed(self.users)}

    @cached_property
    def _by_course(self) -> dict[int, list[FakeEnrollment]]:
        found: dict[int, list[FakeEnrollment]] = {}
        for e in self.enrollments:
            found.setdefault(e.course_id, []).append(e)
        return {c: sorted(es, key=lambda e: e.user_id) for c, es in found.items()}
