"""The data a fake Blackboard Learn serves: courses, gradebook columns, users, grades, attempts.

A dataset is a JSON file shaped like this (ids in Learn's ``_<pk>_1`` style; attempt dates are
kept as the raw wire text so a test can serve a malformed one)::

    {
      "courses": [{"id": "_101_1", "courseId": "DS101", "externalId": "SIS.DS101",
                   "name": "Data Foundations",
                   "columns": [{"id": "_501_1", "name": "Module 1 quiz", "possible": 10,
                                "grading_type": "Attempts"},
                               {"id": "_509_1", "name": "Total", "possible": 100,
                                "grading_type": "Calculated", "external_grade": true}]}],
      "users": [{"id": "_7_1", "userName": "ahart", "given": "Amelia", "family": "Hart",
                 "email": "amelia.hart@example.com"}],
      "memberships": [{"user_id": "_7_1", "course_id": "_101_1",
                       "grades": {"_501_1": {"score": 9, "attempts": [
                           {"id": "_9001_1", "score": 9,
                            "attemptDate": "2026-09-01T10:00:00.000Z"}]}}}]
    }

A grade with ``"status": "NeedsGrading"`` has been submitted but not graded; ``text`` replaces
the display text (a letter or "Pass" with no ``score``); ``overridden`` is the time an
instructor overrode the grade. Attempts carry ``status`` ``Completed`` (graded) by default.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "BlackboardDataset",
    "FakeAttempt",
    "FakeBlackboardCourse",
    "FakeBlackboardUser",
    "FakeColumn",
    "FakeGrade",
    "FakeMembership",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FakeColumn(_Model):
    """A gradebook column; `possible` is its points possible."""

    id: str
    name: str
    externalId: str | None = None
    possible: float | None = 100.0
    grading_type: Literal["Attempts", "Calculated", "Manual"] = "Attempts"
    external_grade: bool = False


class FakeBlackboardCourse(_Model):
    """A course; `courseId` is the id people see, `id` the primary key."""

    id: str
    courseId: str
    externalId: str | None = None
    name: str
    columns: list[FakeColumn] = Field(default_factory=list)


class FakeBlackboardUser(_Model):
    """A user."""

    id: str
    userName: str
    given: str = ""
    family: str = ""
    email: str | None = None


class FakeAttempt(_Model):
    """One attempt of a learner on an ``Attempts`` column."""

    id: str
    status: str = "Completed"
    score: float | None = None
    attemptDate: str | None = None
    created: str | None = None


class FakeGrade(_Model):
    """A learner's grade in one column."""

    status: Literal["Graded", "NeedsGrading"] = "Graded"
    score: float | str | None = None
    text: str | None = None
    exempt: bool = False
    overridden: datetime | None = None
    attempts: list[FakeAttempt] = Field(default_factory=list)


class FakeMembership(_Model):
    """A course membership with the learner's grades, keyed by column id."""

    user_id: str
    course_id: str
    role: str = "Student"
    created: datetime | None = None
    grades: dict[str, FakeGrade] = Field(default_factory=dict)


class BlackboardDataset(_Model):
    """Everything a `FakeBlackboard` serves."""

    courses: list[FakeBlackboardCourse] = Field(default_factory=list)
    users: list[FakeBlackboardUser] = Field(default_factory=list)
    memberships: list[FakeMembership] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_resolve(self) -> BlackboardDataset:
        columns = {c.id: {col.id for col in c.columns} for c in self.courses}
        users = {u.id for u in self.users}
        for m in self.memberships:
            if m.course_id not in columns or m.user_id not in users:
                raise ValueError(f"membership {m.user_id}@{m.course_id}: unknown course or user")
            unknown = set(m.grades) - columns[m.course_id]
            if unknown:
                raise ValueError(f"membership {m.user_id}@{m.course_id}: columns {unknown}")
        return self

    @classmethod
    def load(cls, path: Path) -> BlackboardDataset:
        """Read a dataset file.

        Raises:
            ValueError: the file is not a valid dataset (the message names the problem).
        """
        try:
            return cls.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
        except (ValidationError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not a Blackboard dataset: {exc}") from exc

    def course(self, key: str) -> FakeBlackboardCourse | None:
        """A course by primary id or ``courseId:``/``externalId:`` prefixed id, as Learn URLs."""
        kind, _, value = key.partition(":")
        if not value:
            return next((c for c in self.courses if c.id == key), None)
        if kind == "courseId":
            return next((c for c in self.courses if c.courseId == value), None)
        if kind == "externalId":
            return next((c for c in self.courses if c.externalId == value), None)
        return None

    def user(self, user_id: str) -> FakeBlackboardUser | None:
        """A user by primary id."""
        return next((u for u in self.users if u.id == user_id), None)

    def course_memberships(self, course_id: str) -> list[FakeMembership]:
        """The course's memberships, in dataset order."""
        return [m for m in self.memberships if m.course_id == course_id]
