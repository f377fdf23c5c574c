"""Synthetic LMS data for the end-to-end benchmark: four vendors, one catalog, a realistic mix.

Every learner takes the catalog's three single-course badges (DS101, SQL110, PRV120) on one
LMS, so n completion rows are about n/3 learners. The mix, decided per row by a seeded RNG:
most rows earn their badge; some are not yet eligible (in progress, or below SQL110's 75%
pass mark); about 1% are bad (a learner whose address is not an email: the contract
quarantines those rows). Learners' addresses differ across vendors, so nothing merges.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from badgeflow.fakelms.canvas_dataset import CanvasDataset
from badgeflow.fakelms.docebo_dataset import DoceboDataset
from badgeflow.fakelms.moodle_dataset import MoodleDataset
from badgeflow.fakelms.talentlms_dataset import TalentLMSDataset

__all__ = ["COURSES", "SHARES", "Mix", "build_datasets"]

COURSES = ("DS101", "SQL110", "PRV120")
SHARES = {"canvas": 0.47, "docebo": 0.46, "talentlms": 0.05, "moodle": 0.02}
"""Share of the rows per vendor. Canvas and Docebo list enrollments in pages (100 and 200 a
call); TalentLMS asks once per enrollment and Moodle three times, so they carry the small
shares a real deployment's smaller sites would.
"""

BAD_LEARNER_RATE = 0.01
IN_PROGRESS_RATE = 0.06
MODULES = 6


@dataclass
class Mix:
    """What the generator put in: rows per vendor, and rows by expected outcome."""

    rows: dict[str, int] = field(default_factory=dict)
    learners: int = 0
    completed: int = 0
    in_progress: int = 0
    bad: int = 0


@dataclass(frozen=True)
class _Row:
    learner: int
    course: int  # index into COURSES
    complete: bool
    score: float
    completed_at: datetime
    bad: bool


def _rows(rng: random.Random, first_learner: int, n: int, as_of: datetime) -> list[_Row]:
    rows: list[_Row] = []
    learner = first_learner
    while len(rows) < n:
        bad = rng.random() < BAD_LEARNER_RATE
        for course in range(len(COURSES)):
            if len(rows) == n:
                break
            complete = rng.random() >= IN_PROGRESS_RATE
            rows.append(
                _Row(
                    learner=learner,
                    course=course,
                    complete=complete,
                    score=float(rng.randint(68, 100)),
                    completed_at=as_of - timedelta(days=rng.randint(1, 300), minutes=learner),
                    bad=bad,
                )
            )
        learner += 1
    return rows


def _email(row: _Row, vendor: str) -> str:
    if row.bad:
        return f"learner{row.learner}.at.{vendor}.example.org"
    return f"learner{row.learner}@{vendor}.example.org"


def _users(rows: list[_Row]) -> dict[int, _Row]:
    return {r.learner: r for r in rows}


def _canvas(rows: list[_Row]) -> CanvasDataset:
    courses = [
        {
            "id": 100 + i,
            "name": code,
            "sis_course_id": code,
            "requirement_count": MODULES,
            "assignments": [{"id": 500 + i, "name": "Final exam", "points_possible": 100}],
        }
        for i, code in enumerate(COURSES)
    ]
    users = [
        {"id": u, "name": f"Learner {u}", "email": _email(r, "canvas")}
        for u, r in _users(rows).items()
    ]
    enrollments = [
        {
            "id": n + 1,
            "user_id": r.learner,
            "course_id": 100 + r.course,
            "requirements_completed": MODULES if r.complete else MODULES - 2,
            "completed_at": r.completed_at if r.complete else None,
            "final_score": r.score,
            "submissions": {str(500 + r.course): r.score if r.complete else None},
        }
        for n, r in enumerate(rows)
    ]
    return CanvasDataset.model_validate(
        {"courses": courses, "users": users, "enrollments": enrollments}
    )


def _talentlms(rows: list[_Row]) -> TalentLMSDataset:
    def units(i: int) -> list[dict[str, Any]]:
        content = [{"id": 1000 * (i + 1) + u, "name": f"Unit {u}"} for u in range(MODULES - 1)]
        test = {"id": 1000 * (i + 1) + 99, "name": "Final test", "type": "Test"}
        return [*content, test]

    courses = [
        {"id": 20 + i, "code": c, "name": c, "units": units(i)} for i, c in enumerate(COURSES)
    ]
    users = [
        {
            "id": u,
            "login": f"l{u}",
            "first_name": "Learner",
            "last_name": str(u),
            "email": _email(r, "talentlms"),
        }
        for u, r in _users(rows).items()
    ]

    def progress(r: _Row) -> dict[str, Any]:
        done = {"completed_at": r.completed_at}
        out: dict[str, Any] = {
            str(u["id"]): done for u in units(r.course)[: MODULES - 1 if r.complete else 2]
        }
        if r.complete:
            out[str(1000 * (r.course + 1) + 99)] = {**done, "score": r.score}
        return out

    enrollments = [
        {
            "user_id": r.learner,
            "course_id": 20 + r.course,
            "completed_at": r.completed_at if r.complete else None,
            "completion_percentage": 100 if r.complete else 40,
            "units": progress(r),
        }
        for r in rows
    ]
    return TalentLMSDataset.model_validate(
        {"courses": courses, "users": users, "enrollments": enrollments}
    )


def _docebo(rows: list[_Row]) -> DoceboDataset:
    courses = [{"id": 30 + i, "code": c, "name": c} for i, c in enumerate(COURSES)]
    users = [
        {"id": u, "username": f"l{u}", "email": _email(r, "docebo")}
        for u, r in _users(rows).items()
    ]
    enrollments = [
        {
            "user_id": r.learner,
            "course_id": 30 + r.course,
            "status": "completed" if r.complete else "in_progress",
            "score": r.score if r.complete else None,
            "completed_at": r.completed_at if r.complete else None,
            "enrolled_at": r.completed_at - timedelta(days=20),
            "updated_at": r.completed_at,
        }
        for r in rows
    ]
    return DoceboDataset.model_validate(
        {"courses": courses, "users": users, "enrollments": enrollments}
    )


def _moodle(rows: list[_Row]) -> MoodleDataset:
    def course(i: int, code: str) -> dict[str, Any]:
        base = 100 * (i + 2)
        return {
            "id": i + 2,
            "idnumber": code,
            "shortname": code,
            "fullname": code,
            "activities": [{"cmid": base + m, "name": f"Module {m}"} for m in range(MODULES)],
            "grade_items": [
                {"id": base + 50, "itemtype": "course"},
                {"id": base + 51, "itemname": "Final exam", "idnumber": "final-exam"},
            ],
        }

    courses = [course(i, c) for i, c in enumerate(COURSES)]
    users = [
        {
            "id": u,
            "username": f"l{u}",
            "firstname": "Learner",
            "lastname": str(u),
            "email": _email(r, "moodle"),
        }
        for u, r in _users(rows).items()
    ]

    def enrolment(r: _Row) -> dict[str, Any]:
        base, when = 100 * (r.course + 2), int(r.completed_at.timestamp())
        done = MODULES if r.complete else 2
        return {
            "userid": r.learner,
            "courseid": r.course + 2,
            "completion": [{"timecompleted": when if r.complete else None}],
            "activities": [{"cmid": base + m, "timecompleted": when} for m in range(done)],
            "grades": {base + 51: r.score if r.complete else None},
        }

    return MoodleDataset.model_validate(
        {"courses": courses, "users": users, "enrolments": [enrolment(r) for r in rows]}
    )


_BUILDERS = {"canvas": _canvas, "talentlms": _talentlms, "docebo": _docebo, "moodle": _moodle}


def build_datasets(n: int, as_of: datetime, *, seed: int = 8) -> tuple[dict[str, Any], Mix]:
    """Split n completion rows over the four vendors and build each one's dataset.

    Args:
        n: completion rows in all.
        as_of: the batch clock; every completion lies before it.
        seed: the RNG seed (the same seed gives the same data).

    Returns:
        The datasets by vendor, and the mix that went in.
    """
    rng = random.Random(seed)
    mix = Mix()
    datasets: dict[str, Any] = {}
    first = 1
    vendors = list(SHARES)
    for k, vendor in enumerate(vendors):
        size = n - sum(mix.rows.values()) if k == len(vendors) - 1 else round(n * SHARES[vendor])
        rows = _rows(rng, first, size, as_of.astimezone(UTC))
        first = max((r.learner for r in rows), default=first) + 1
        datasets[vendor] = _BUILDERS[vendor](rows)
        mix.rows[vendor] = len(rows)
        mix.learners += len(_users(rows))
        mix.bad += sum(r.bad for r in rows)
        mix.completed += sum(r.complete and not r.bad for r in rows)
        mix.in_progress += sum(not r.complete and not r.bad for r in rows)
    return datasets, mix
