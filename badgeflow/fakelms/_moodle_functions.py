"""The web service functions a `FakeMoodle` answers, with Moodle's JSON shapes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from badgeflow.fakelms.moodle_dataset import (
    SITE_COURSE_ID,
    FakeCourse,
    FakeEnrolment,
    FakeGradeItem,
    FakeUser,
    MoodleDataset,
)

__all__ = ["FUNCTIONS", "WebServiceError"]

Args = Mapping[str, Any]


class WebServiceError(Exception):
    """A Moodle exception, sent as HTTP 200 ``{"exception", "errorcode", "message"}``."""

    def __init__(self, errorcode: str, message: str, exception: str = "moodle_exception") -> None:
        super().__init__(message)
        self.payload = {"exception": exception, "errorcode": errorcode, "message": message}


def _int(args: Args, name: str, default: int | None = None) -> int:
    value = args.get(name)
    if value is None and default is not None:
        return default
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise WebServiceError(
            "invalidparameter",
            f"Invalid parameter value detected ({name} => Invalid external api parameter)",
            "invalid_parameter_exception",
        ) from None


def _course(data: MoodleDataset, args: Args) -> FakeCourse:
    course = data.course(_int(args, "courseid"))
    if course is None:
        raise WebServiceError(
            "invalidrecord",
            "Can't find data record in database table course.",
            "dml_missing_record_exception",
        )
    return course


def _enrolment(data: MoodleDataset, args: Args) -> tuple[FakeCourse, FakeEnrolment]:
    course = _course(data, args)
    enrolment = data.enrolment(_int(args, "userid"), course.id)
    if enrolment is None or not enrolment.active:
        raise WebServiceError("usernotenroled", "User is not enrolled in this course")
    return course, enrolment


def get_courses(data: MoodleDataset, args: Args) -> list[dict[str, Any]]:
    """``core_course_get_courses``: all courses (with the site course) or ``options[ids]``."""
    options = args.get("options") or {}
    ids = {int(i) for i in options.get("ids", [])} if isinstance(options, dict) else set()
    site = {
        "id": SITE_COURSE_ID,
        "shortname": "fakemoodle",
        "fullname": "Fake Moodle",
        "displayname": "Fake Moodle",
        "idnumber": "",
        "categoryid": 0,
        "format": "site",
        "enablecompletion": 0,
    }
    courses = [
        {
            **course.model_dump(include={"id", "shortname", "fullname", "idnumber", "categoryid"}),
            **course.model_dump(include={"summary", "startdate", "enddate", "enablecompletion"}),
            "displayname": course.fullname,
            "summaryformat": 1,
            "format": "topics",
        }
        for course in data.courses
    ]
    if not ids:
        return [site, *courses]
    return [c for c in [site, *courses] if c["id"] in ids]


def get_enrolled_users(data: MoodleDataset, args: Args) -> list[dict[str, Any]]:
    """``core_enrol_get_enrolled_users``, honouring ``limitfrom``/``limitnumber`` options."""
    course = _course(data, args)
    options = {
        str(o.get("name")): o.get("value") for o in args.get("options") or [] if isinstance(o, dict)
    }
    start = _int(options, "limitfrom", 0)
    count = _int(options, "limitnumber", 0)
    enrolments = sorted(
        (e for e in data.enrolments if e.courseid == course.id), key=lambda e: e.userid
    )
    page = enrolments[start : start + count] if count else enrolments[start:]
    users = [(data.user(e.userid), e) for e in page]
    return [_user(user, e, course) for user, e in users if user is not None]


def _user(user: FakeUser, enrolment: FakeEnrolment, course: FakeCourse) -> dict[str, Any]:
    return {
        **user.model_dump(include={"id", "username", "firstname", "lastname", "email", "idnumber"}),
        "fullname": user.fullname,
        "suspended": user.suspended,
        "firstaccess": 0,
        "lastaccess": 0,
        "lastcourseaccess": 0,
        "roles": [{"roleid": 5, "name": "", "shortname": enrolment.role, "sortorder": 0}],
        "groups": [],
        "enrolledcourses": [
            {"id": course.id, "fullname": course.fullname, "shortname": course.shortname}
        ],
    }


def get_course_completion_status(data: MoodleDataset, args: Args) -> dict[str, Any]:
    """``core_completion_get_course_completion_status``."""
    course = _course(data, args)
    if not course.criteria:
        raise WebServiceError("nocriteriaset", "No completion criteria set for this course")
    course, enrolment = _enrolment(data, args)
    rows = [
        {
            "type": c.type,
            "title": c.title,
            "status": "Yes" if c.timecompleted else "No",
            "complete": bool(c.timecompleted),
            "timecompleted": c.timecompleted,
            "details": {"type": c.title, "criteria": c.title, "requirement": "", "status": ""},
        }
        for c in enrolment.completion
    ]
    status = {"completed": enrolment.completed, "aggregation": 1, "completions": rows}
    return {"completionstatus": status, "warnings": []}


def get_activities_completion_status(data: MoodleDataset, args: Args) -> dict[str, Any]:
    """``core_completion_get_activities_completion_status``."""
    course, enrolment = _enrolment(data, args)
    states = {s.cmid: s for s in enrolment.activities}
    statuses = []
    for activity in course.activities:
        state = states.get(activity.cmid)
        statuses.append(
            {
                **activity.model_dump(include={"cmid", "modname", "instance", "tracking"}),
                "state": state.state if state else 0,
                "timecompleted": (state.timecompleted or 0) if state else 0,
            }
        )
    return {"statuses": statuses, "warnings": []}


def get_grade_items(data: MoodleDataset, args: Args) -> dict[str, Any]:
    """``gradereport_user_get_grade_items`` for one user, or every enrolled user."""
    course = _course(data, args)
    userid = _int(args, "userid", 0)
    if userid:
        enrolments = [_enrolment(data, args)[1]]
    else:
        enrolments = [e for e in data.enrolments if e.courseid == course.id]
    usergrades = []
    for enrolment in enrolments:
        user = data.user(enrolment.userid)
        assert user is not None  # the dataset validator guarantees it
        usergrades.append(
            {
                "courseid": course.id,
                "courseidnumber": course.idnumber,
                "userid": user.id,
                "userfullname": user.fullname,
                "useridnumber": user.idnumber,
                "maxdepth": 2,
                "gradeitems": [_grade(i, enrolment, course) for i in course.grade_items],
            }
        )
    return {"usergrades": usergrades, "warnings": []}


def _grade(item: FakeGradeItem, enrolment: FakeEnrolment, course: FakeCourse) -> dict[str, Any]:
    raw = enrolment.grades.get(item.id)
    if raw is None and item.itemtype == "course":
        graded = [
            (grade, i.grademax)
            for i in course.grade_items
            if i.itemtype != "course" and (grade := enrolment.grades.get(i.id)) is not None
        ]
        if graded:
            raw = sum(g for g, _ in graded) / sum(m for _, m in graded) * item.grademax
    pct = None if raw is None else raw / item.grademax * 100
    return {
        **item.model_dump(exclude={"grademin", "grademax"}),
        "itemnumber": 0,
        "graderaw": raw,
        "grademin": item.grademin,
        "grademax": item.grademax,
        "gradeformatted": "-" if raw is None else f"{raw:.2f}",
        "percentageformatted": "-" if pct is None else f"{pct:.2f} %",
        "gradedategraded": None,
        "gradeishidden": False,
        "gradeisoverridden": False,
        "feedback": "",
    }


def get_site_info(data: MoodleDataset, args: Args) -> dict[str, Any]:
    """``core_webservice_get_site_info``: enough for a client to check its token."""
    return {
        "sitename": "Fake Moodle",
        "username": "badgeflow-service",
        "userid": 2,
        "release": "4.5 (fake)",
        "version": "2024100700",
        "functions": [{"name": name, "version": "2024100700"} for name in FUNCTIONS],
    }


FUNCTIONS: Final[dict[str, Callable[[MoodleDataset, Args], Any]]] = {
    "core_course_get_courses": get_courses,
    "core_enrol_get_enrolled_users": get_enrolled_users,
    "core_completion_get_course_completion_status": get_course_completion_status,
    "core_completion_get_activities_completion_status": get_activities_completion_status,
    "gradereport_user_get_grade_items": get_grade_items,
    "core_webservice_get_site_info": get_site_info,
}
"""wsfunction name → implementation."""
