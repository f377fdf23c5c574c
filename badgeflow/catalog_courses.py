"""The course registry (``badge_catalog/courses.yaml``): every course a rule may name.

A rule naming a course the registry does not list is a catalog error, so a typo such as
``DS310`` for ``DS301`` fails at load time instead of silently never awarding. Cohort and
attestation names are data, not catalog, and are not registered.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from badgeflow.criteria.nodes import Where
from badgeflow.criteria.problems import Problem, compose_file, construct, line_of, where_of

__all__ = ["COURSES_FILE", "Course", "load_courses"]

COURSES_FILE = "courses.yaml"


class Course(BaseModel):
    """One course that rules may name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, description="The course id as completions carry it (DS101).")
    name: str = Field(min_length=1, description="Display name, used in generated narratives.")
    sources: tuple[str, ...] = Field(
        (),
        description="Sources (LMS) that deliver the course; empty for any. A rule's "
        "`source:` must be one of them.",
    )


def load_courses(root: Path, problems: list[Problem]) -> dict[str, Course]:
    """Read ``courses.yaml`` of a catalog folder.

    Args:
        root: the catalog folder.
        problems: where problems are added (missing file, bad entries), with file:line.

    Returns:
        Courses by id (those that parsed).
    """
    path = root / COURSES_FILE
    file = str(path)
    top = compose_file(path, problems)
    if top is None:
        return {}
    section = next((v for k, v in top.value if k.value == "courses"), None)
    extra = [k for k, _ in top.value if k.value != "courses"]
    for key in extra:
        problems.append(
            Problem(where_of(file, key), f"unknown key {key.value!r} (allowed: courses)")
        )
    if not isinstance(section, yaml.MappingNode) or not section.value:
        problems.append(
            Problem(where_of(file, section or top), "`courses` must map course ids to {name: ...}")
        )
        return {}
    courses: dict[str, Course] = {}
    for key, value in section.value:
        course_id = str(key.value)
        if course_id in courses:
            problems.append(Problem(where_of(file, key), f"course {course_id!r} is listed twice"))
            continue
        data = construct(value)
        try:
            courses[course_id] = Course.model_validate(
                {"id": course_id, **(data if isinstance(data, dict) else {"name": data})}
            )
        except ValidationError as exc:
            for err in exc.errors():
                loc = [str(p) for p in err["loc"]]
                line = line_of(value, loc)
                message = f"course {course_id}: {'.'.join(loc) or '(entry)'}: {err['msg']}"
                problems.append(Problem(Where(file, line), message))
    return courses
