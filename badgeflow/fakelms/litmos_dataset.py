"""The data a fake SAP Litmos serves: courses with modules, users and their results.

A dataset is a JSON file shaped like this (times ISO 8601 UTC; ids are Litmos's encrypted
string ids, ``original_id`` the numeric ones)::

    {
      "courses": [{"id": "Xq1Yb7kT2aU1", "original_id": 5120, "code": "SQL110",
                   "name": "SQL Essentials",
                   "modules": [{"id": "m7Hs2LqP0aZ1", "name": "Final assessment",
                                "passmark": 75}]}],
      "users": [{"id": "u9Kd3vBn6Qw1", "original_id": 901, "username": "amelia",
                 "first_name": "Amelia", "last_name": "Hart",
                 "email": "amelia.hart@example.com"}],
      "results": [{"user_id": "u9Kd3vBn6Qw1", "course_id": "Xq1Yb7kT2aU1",
                   "percentage": 100, "completed_at": "2026-10-02T09:15:00Z",
                   "updated_at": "2026-10-02T09:15:00Z",
                   "modules": {"m7Hs2LqP0aZ1": {"score": 88, "finished_at":
                                               "2026-10-02T09:10:00Z"}}}]
    }

A result is complete when ``completed_at`` is set; a module result is completed when
``finished_at`` is set.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "FakeLitmosCourse",
    "FakeLitmosModule",
    "FakeLitmosModuleResult",
    "FakeLitmosResult",
    "FakeLitmosUser",
    "LitmosDataset",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FakeLitmosModule(_Model):
    """A module of a course (an assessment has a pass mark)."""

    id: str
    name: str
    passmark: int = Field(0, ge=0, le=100)


class FakeLitmosCourse(_Model):
    """A course and its modules."""

    id: str
    original_id: int
    name: str
    code: str = ""
    modules: list[FakeLitmosModule] = Field(default_factory=list)


class FakeLitmosUser(_Model):
    """A user of the account."""

    id: str
    original_id: int
    username: str
    first_name: str
    last_name: str
    email: str | None = None


class FakeLitmosModuleResult(_Model):
    """One learner's latest attempt at one module."""

    score: float | None = Field(None, ge=0, le=100)
    finished_at: datetime | None = None
    attempt: int = Field(1, ge=1)


class FakeLitmosResult(_Model):
    """A user's result in a course, with module results keyed by module id."""

    user_id: str
    course_id: str
    percentage: int = Field(0, ge=0, le=100)
    completed_at: datetime | None = None
    updated_at: datetime
    modules: dict[str, FakeLitmosModuleResult] = Field(default_factory=dict)


class LitmosDataset(_Model):
    """Everything a `FakeLitmos` serves."""

    courses: list[FakeLitmosCourse] = Field(default_factory=list)
    users: list[FakeLitmosUser] = Field(default_factory=list)
    results: list[FakeLitmosResult] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_resolve(self) -> LitmosDataset:
        modules = {c.id: {m.id for m in c.modules} for c in self.courses}
        users = {u.id for u in self.users}
        for r in self.results:
            if r.course_id not in modules or r.user_id not in users:
                raise ValueError(
                    f"result {r.user_id}:{r.course_id} names an unknown course or user"
                )
            if not set(r.modules) <= modules[r.course_id]:
                raise ValueError(f"result {r.user_id}:{r.course_id} names an unknown module")
        return self

    @classmethod
    def load(cls, path: Path) -> LitmosDataset:
        """Read a dataset file.

        Raises:
            ValueError: the file is not a valid dataset (the message names the problem).
        """
        try:
            return cls.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
        except (ValidationError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not a Litmos dataset: {exc}") from exc

    def course(self, course_id: str) -> FakeLitmosCourse | None:
        """A course by its (encrypted) id."""
        return next((c for c in self.courses if c.id == course_id), None)

    def user(self, user_id: str) -> FakeLitmosUser | None:
        """A user by its (encrypted) id."""
        return next((u for u in self.users if u.id == user_id), None)
