"""The data a fake 360Learning serves: courses, paths, users and their statistics.

A dataset is a JSON file shaped like this (ids are 24-hex ObjectIds; times ISO 8601 UTC,
``null`` while not completed)::

    {
      "courses": [{"_id": "64b000000000000000000c01", "name": "Data Foundations"}],
      "paths": [{"_id": "64b000000000000000000b01", "name": "Analyst Path"}],
      "users": [{"_id": "64b000000000000000000a01", "mail": "amelia@example.com",
                 "firstName": "Amelia", "lastName": "Hart"}],
      "attempts": [{"_id": "...", "courseId": "...c01", "userId": "...a01", "progress": 100,
                    "score": 82, "timeSpent": 5400000,
                    "completedAt": "2026-09-14T10:00:00.000Z"}],
      "path_stats": [{"_id": "...", "pathId": "...", "sessionId": "...", "userId": "...",
                      "status": "successful", "progress": 100, "score": 90,
                      "completedAt": "2026-10-01T08:30:00.000Z"}]
    }

An attempt is one play of a course (a learner may have several); ``score`` is already a
percentage (0-100) and ``timeSpent`` milliseconds. A path statistic's ``status`` is one of
360Learning's session statuses (``successful``, ``onTime``, ``late``, ``unsuccessful``...).
Statistics may name a user the dataset lacks: an erased user, whose ``/users/{id}`` is 404.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

__all__ = [
    "FakeAttempt",
    "FakeCourse360",
    "FakePath",
    "FakePathStat",
    "FakeUser360",
    "Learning360Dataset",
]

ObjectId = Annotated[str, Field(pattern=r"^[a-fA-F0-9]{24}$")]
"""A MongoDB ObjectId as 360Learning writes every id: 24 hexadecimal digits."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Wire(_Model):
    # Python names in snake_case, JSON names as 360Learning spells them (courseId, _id).
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class FakeCourse360(_Wire):
    """A course."""

    id: ObjectId = Field(alias="_id")
    name: str
    status: str = "published"


class FakePath(_Wire):
    """A path: a program of courses."""

    id: ObjectId = Field(alias="_id")
    name: str


class FakeUser360(_Wire):
    """A user; ``status`` is ``active``, ``invited`` or ``deleted``."""

    id: ObjectId = Field(alias="_id")
    mail: str
    first_name: str = ""
    last_name: str = ""
    status: str = "active"


class FakeAttempt(_Wire):
    """One attempt of a learner at a course (``GET /courses/stats`` item)."""

    id: ObjectId = Field(alias="_id")
    course_id: ObjectId
    user_id: ObjectId
    lang: str = "en"
    progress: int = Field(0, ge=0, le=100)
    score: int | None = None
    time_spent: int = 0
    completed_at: datetime | None = None
    path_id: ObjectId | None = None


class FakePathStat(_Wire):
    """A learner's statistics in a path session (``GET /paths/stats`` item)."""

    id: ObjectId = Field(alias="_id")
    path_id: ObjectId
    session_id: ObjectId
    user_id: ObjectId
    status: str = "onTime"
    progress: int = Field(0, ge=0, le=100)
    score: int | None = None
    time_spent: int = 0
    completed_at: datetime | None = None


class Learning360Dataset(_Model):
    """Everything a `FakeLearning360` serves."""

    courses: list[FakeCourse360] = Field(default_factory=list)
    paths: list[FakePath] = Field(default_factory=list)
    users: list[FakeUser360] = Field(default_factory=list)
    attempts: list[FakeAttempt] = Field(default_factory=list)
    path_stats: list[FakePathStat] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_resolve(self) -> Learning360Dataset:
        courses = {c.id for c in self.courses}
        paths = {p.id for p in self.paths}
        # Users may be missing: an erased user (GDPR) keeps statistics, /users/{id} is 404.
        for a in self.attempts:
            if a.course_id not in courses:
                raise ValueError(f"attempt {a.id} names an unknown course")
        for s in self.path_stats:
            if s.path_id not in paths:
                raise ValueError(f"path statistic {s.id} names an unknown path")
        return self

    @classmethod
    def load(cls, path: Path) -> Learning360Dataset:
        """Read a dataset file.

        Raises:
            ValueError: the file is not a valid dataset (the message names the problem).
        """
        try:
            return cls.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
        except (ValidationError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not a 360Learning dataset: {exc}") from exc

    def course(self, course_id: str) -> FakeCourse360 | None:
        """A course by id."""
        return next((c for c in self.courses if c.id == course_id), None)

    def path(self, path_id: str) -> FakePath | None:
        """A path by id."""
        return next((p for p in self.paths if p.id == path_id), None)

    def user(self, user_id: str) -> FakeUser360 | None:
        """A user by id."""
        return next((u for u in self.users if u.id == user_id), None)
