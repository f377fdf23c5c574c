"""The data a fake TalentLMS serves: courses with units, users and their course progress.

A dataset is a JSON file shaped like this (times ISO 8601 UTC, ``null`` when not done)::

    {
      "courses": [{"id": 12, "code": "PRV120", "name": "Data Privacy Basics",
                   "units": [{"id": 301, "name": "Principles", "type": "Content"},
                             {"id": 302, "name": "Final test", "type": "Test"}]}],
      "users": [{"id": 40, "login": "amelia", "first_name": "Amelia", "last_name": "Hart",
                 "email": "Amelia.Hart@example.com"}],
      "enrollments": [{"user_id": 40, "course_id": 12, "enrolled_at": "2026-09-01T08:00:00Z",
                       "completed_at": "2026-09-20T10:00:00Z", "completion_percentage": 100,
                       "units": {"301": {"completed_at": "2026-09-10T09:00:00Z"},
                                 "302": {"completed_at": "2026-09-20T10:00:00Z",
                                         "score": 85.0}}}]
    }

``role`` of an enrollment is ``learner`` unless set (``instructor`` ones are not learners).
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "FakeTalentCourse",
    "FakeTalentEnrollment",
    "FakeTalentUnit",
    "FakeTalentUnitProgress",
    "FakeTalentUser",
    "TalentLMSDataset",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FakeTalentUnit(_Model):
    """A unit of a course (``Test`` units carry scores)."""

    id: int
    name: str
    type: str = "Content"


class FakeTalentCourse(_Model):
    """A course and its units."""

    id: int
    name: str
    code: str = ""
    units: list[FakeTalentUnit] = Field(default_factory=list)


class FakeTalentUser(_Model):
    """A user of the portal."""

    id: int
    login: str
    first_name: str
    last_name: str
    email: str | None = None


class FakeTalentUnitProgress(_Model):
    """One learner's state in one unit."""

    completed_at: datetime | None = None
    score: float | None = Field(None, ge=0, le=100)


class FakeTalentEnrollment(_Model):
    """A user in a course, with progress per unit (keyed by unit id)."""

    user_id: int
    course_id: int
    role: str = "learner"
    enrolled_at: datetime | None = None
    completed_at: datetime | None = None
    completion_percentage: int = Field(0, ge=0, le=100)
    units: dict[str, FakeTalentUnitProgress] = Field(default_factory=dict)


class TalentLMSDataset(_Model):
    """Everything a `FakeTalentLMS` serves."""

    courses: list[FakeTalentCourse] = Field(default_factory=list)
    users: list[FakeTalentUser] = Field(default_factory=list)
    enrollments: list[FakeTalentEnrollment] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_resolve(self) -> TalentLMSDataset:
        courses = {c.id for c in self.courses}
        users = {u.id for u in self.users}
        for e in self.enrollments:
            if e.course_id not in courses or e.user_id not in users:
                raise ValueError(
                    f"enrollment {e.user_id}:{e.course_id} names an unknown course or user"
                )
        return self

    @classmethod
    def load(cls, path: Path) -> TalentLMSDataset:
        """Read a dataset file.

        Raises:
            ValueError: the file is not a valid dataset (the message names the problem).
        """
        try:
            return cls.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
        except (ValidationError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not a TalentLMS dataset: {exc}") from exc

    def course(self, course_id: int) -> FakeTalentCourse | None:
        """A course by id."""
        return next((c for c in self.courses if c.id == course_id), None)

    def user(self, user_id: int) -> FakeTalentUser | None:
        """A user by id."""
        return self._users_by_id.get(user_id)

    def enrollment(self, user_id: int, course_id: int) -> FakeTalentEnrollment | None:
        """The enrollment of a user in a course, if any."""
        return self._by_pair.get((user_id, course_id))

    def course_enrollments(self, course_id: int) -> list[FakeTalentEnrollment]:
        """The course's enrollments, by user id."""
        found = [e for e in self.enrollments if e.course_id == course_id]
        return sorted(found, key=lambda e: e.user_id)

    # Indexes (the dataset is frozen): per-learner calls stay O(1) at 30,000+ enrollments.
    @cached_property
    def _users_by_id(self) -> dict[int, FakeTalentUser]:
        return {u.id: u for u in reversed(self.users)}

    @cached_property
    def _by_pair(self) -> dict[tuple[int, int], FakeTalentEnrollment]:
        return {(e.user_id, e.course_id): e for e in reversed(self.enrollments)}
