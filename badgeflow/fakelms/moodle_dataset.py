"""The data a fake Moodle serves: courses, users, enrolments and their progress.

A dataset is a JSON file shaped like this (times are Unix seconds, ``null`` when not done)::

    {
      "courses": [{"id": 2, "idnumber": "DS101", "shortname": "DS101", "fullname": "...",
                   "criteria": true,
                   "activities": [{"cmid": 21, "modname": "page", "instance": 1,
                                   "name": "Module 1", "tracking": 2}],
                   "grade_items": [{"id": 31, "itemtype": "course"},
                                   {"id": 32, "itemtype": "mod", "itemmodule": "quiz",
                                    "itemname": "Final exam", "idnumber": "final-exam",
                                    "cmid": 27, "grademax": 100}]}],
      "users": [{"id": 101, "username": "ahart", "firstname": "Amelia", "lastname": "Hart",
                 "email": "amelia.hart@example.com"}],
      "enrolments": [{"userid": 101, "courseid": 2,
                      "completion": [{"type": 4, "title": "Activity completion",
                                      "timecompleted": 1758000000}],
                      "activities": [{"cmid": 21, "state": 1, "timecompleted": 1758000000}],
                      "grades": {"32": 82.5}}]
    }

A course with ``"criteria": false`` has no completion criteria: Moodle answers
``nocriteriaset`` for it. An enrolment with ``"active": false`` (suspended) is listed among
the enrolled users, but the completion functions answer ``usernotenroled`` for it. An
enrolment is complete when it has criteria rows and every one has a ``timecompleted``
(aggregation "all").
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "FakeActivity",
    "FakeActivityState",
    "FakeCourse",
    "FakeCriterion",
    "FakeEnrolment",
    "FakeGradeItem",
    "FakeUser",
    "MoodleDataset",
]

SITE_COURSE_ID = 1
"""Moodle's front page is course 1; datasets must not use it."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FakeActivity(_Model):
    """A course module (activity) whose completion may be tracked."""

    cmid: int
    modname: str = "page"
    instance: int = 1
    name: str = ""
    tracking: int = Field(2, ge=0, le=2, description="0 none, 1 manual, 2 automatic")


class FakeGradeItem(_Model):
    """A gradebook item; ``itemtype`` ``course`` is the course total."""

    id: int
    itemtype: str = "mod"
    itemname: str | None = None
    itemmodule: str | None = None
    iteminstance: int | None = None
    idnumber: str = ""
    cmid: int | None = None
    grademin: float = 0.0
    grademax: float = 100.0


class FakeCourse(_Model):
    """A course and its structure."""

    id: int = Field(gt=SITE_COURSE_ID)
    shortname: str
    fullname: str
    idnumber: str = ""
    categoryid: int = 1
    summary: str = ""
    startdate: int = 0
    enddate: int = 0
    enablecompletion: int = 1
    criteria: bool = True
    activities: tuple[FakeActivity, ...] = ()
    grade_items: tuple[FakeGradeItem, ...] = ()


class FakeUser(_Model):
    """A Moodle account."""

    id: int
    username: str
    firstname: str
    lastname: str
    email: str
    idnumber: str = ""
    password: str = "moodle"
    suspended: bool = False

    @property
    def fullname(self) -> str:
        """First and last name, as Moodle displays them."""
        return f"{self.firstname} {self.lastname}"


class FakeCriterion(_Model):
    """One completion criterion row of a user in a course."""

    type: int = 4
    title: str = "Activity completion"
    timecompleted: int | None = None


class FakeActivityState(_Model):
    """A user's completion state of one activity (0 incomplete, 1 complete, 2 pass, 3 fail)."""

    cmid: int
    state: int = Field(1, ge=0, le=3)
    timecompleted: int | None = None


class FakeEnrolment(_Model):
    """A user enrolled in a course, with their progress."""

    userid: int
    courseid: int
    role: str = "student"
    active: bool = Field(
        True, description="False for a suspended enrolment: listed, but not tracked"
    )
    completion: tuple[FakeCriterion, ...] = ()
    activities: tuple[FakeActivityState, ...] = ()
    grades: dict[int, float | None] = Field(default_factory=dict)

    @property
    def completed(self) -> bool:
        """All criteria met (Moodle's "all" aggregation)."""
        return bool(self.completion) and all(c.timecompleted for c in self.completion)


class MoodleDataset(_Model):
    """Everything a `FakeMoodle` serves."""

    courses: tuple[FakeCourse, ...] = ()
    users: tuple[FakeUser, ...] = ()
    enrolments: tuple[FakeEnrolment, ...] = ()

    @model_validator(mode="after")
    def _references_resolve(self) -> MoodleDataset:
        courses = {c.id: c for c in self.courses}
        users = {u.id for u in self.users}
        problems: list[str] = []
        if len(courses) != len(self.courses) or len(users) != len(self.users):
            problems.append("course and user ids must be unique")
        for e in self.enrolments:
            where = f"enrolment of user {e.userid} in course {e.courseid}"
            course = courses.get(e.courseid)
            if course is None or e.userid not in users:
                problems.append(f"{where}: unknown user or course")
                continue
            cmids = {a.cmid for a in course.activities}
            items = {i.id for i in course.grade_items}
            problems += [
                f"{where}: unknown cmid {a.cmid}" for a in e.activities if a.cmid not in cmids
            ]
            problems += [f"{where}: unknown grade item {i}" for i in e.grades if i not in items]
        pairs = [(e.userid, e.courseid) for e in self.enrolments]
        if len(set(pairs)) != len(pairs):
            problems.append("a user is enrolled twice in the same course")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @classmethod
    def load(cls, path: Path) -> MoodleDataset:
        """Read a dataset from a JSON file.

        Args:
            path: the JSON file.

        Returns:
            The validated dataset.

        Raises:
            ValueError: the file is not valid JSON or not a valid dataset.
        """
        try:
            return cls.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise ValueError(f"{path}: not a valid Moodle dataset: {exc}") from exc

    def course(self, course_id: int) -> FakeCourse | None:
        """The course with this id, if any."""
        return next((c for c in self.courses if c.id == course_id), None)

    def user(self, user_id: int) -> FakeUser | None:
        """The user with this id, if any."""
        return self._users_by_id.get(user_id)

    def enrolment(self, user_id: int, course_id: int) -> FakeEnrolment | None:
        """The user's enrolment in the course, if any."""
        return self._by_pair.get((user_id, course_id))

    # Indexes (the dataset is frozen): per-user calls stay O(1) on large datasets.
    @cached_property
    def _users_by_id(self) -> dict[int, FakeUser]:
        return {u.id: u for u in reversed(self.users)}

    @cached_property
    def _by_pair(self) -> dict[tuple[int, int], FakeEnrolment]:
        return {(e.userid, e.courseid): e for e in reversed(self.enrolments)}
