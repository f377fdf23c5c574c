"""Completions from a Moodle site, read through its REST web services (JSON).

The token's external service needs these functions enabled: ``core_course_get_courses``,
``core_enrol_get_enrolled_users``, ``core_completion_get_course_completion_status``,
``core_completion_get_activities_completion_status`` and ``gradereport_user_get_grade_items``.

The canonical `COURSE_ID` is the course's *ID number* (``idnumber``) when set, else its numeric
id: admins set course ID numbers to the badge catalog's course ids (``DS101``), so the catalog
does not depend on database ids that differ between sites.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import httpx
import pandas as pd

from badgeflow.errors import SourceConfigError
from badgeflow.lms._frame import to_completion_frame
from badgeflow.lms._http import ApiClient, RetryPolicy
from badgeflow.lms._http.fanout import ordered_map
from badgeflow.lms._moodle_wire import MoodleError, as_dict, as_list, classify_moodle, php_form
from badgeflow.models import (
    COMPLETED,
    COMPLETED_AT,
    COURSE_ID,
    COURSE_NAME,
    FETCHED_AT,
    LEARNER_EMAIL,
    LEARNER_ID,
    LEARNER_NAME,
    MODULES_COMPLETED,
    MODULES_TOTAL,
    PARSE_ERRORS,
    PROGRESS_PCT,
    RAW,
    ROW_NUMBER,
    SCORE,
    SCORE_KIND,
    SOURCE,
    SOURCE_RECORD_ID,
    SOURCE_SYSTEM,
    JSONDict,
)

__all__ = ["MoodleSource"]

logger = logging.getLogger(__name__)

_SYSTEM: Final = "moodle"
_ENDPOINT: Final = "/webservice/rest/server.php"
_COMPLETE_STATES: Final = frozenset({1, 2})  # COMPLETION_COMPLETE, COMPLETION_COMPLETE_PASS


class MoodleSource:
    """A `CompletionSource` reading course completions, activities and grades from Moodle.

    One row per enrolled user per course, completed or not. Courses without completion
    criteria are skipped with a warning, as are users Moodle reports as not enrolled.
    Transient failures (timeouts, 429, 5xx, a cut-off answer) are retried by the shared
    client per `retry`; when they persist they raise `SourceUnavailable`.

    Attributes:
        name: the configured source name, stored in `SOURCE`.
    """

    def __init__(
        self,
        name: str,
        base_url: str,
        token: str,
        *,
        course_ids: Sequence[str] = (),
        final_assessment: str | None = None,
        timeout: float = 30.0,
        page_size: int = 100,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        concurrency: int = 1,
    ) -> None:
        """Configure the source; nothing is requested until `fetch_completions`.

        Args:
            name: the configured source name.
            base_url: the Moodle site root, e.g. ``https://moodle.example.edu``.
            token: the web service token (never logged).
            course_ids: courses to read, as ID numbers or numeric ids; empty reads all.
            final_assessment: ``idnumber`` or name of the grade item holding the final
                assessment; courses without such an item use their course total.
            timeout: seconds allowed per HTTP request.
            page_size: users requested per ``core_enrol_get_enrolled_users`` page.
            retry: how transient failures are retried (default `RetryPolicy()`).
            transport: an httpx transport to use instead of the network (tests).
            concurrency: users whose calls are in flight at once (1: one at a time).
        """
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.course_ids = tuple(course_ids)
        self.final_assessment = final_assessment
        self.timeout = timeout
        self.page_size = page_size
        self._retry = retry
        self._transport = transport
        self.concurrency = concurrency

    def __repr__(self) -> str:
        return f"MoodleSource(name={self.name!r}, base_url={self.base_url!r})"

    def _client(self) -> ApiClient:
        return ApiClient(
            self.base_url,
            vendor="Moodle",
            classify=classify_moodle,
            retry=self._retry,
            timeout=self.timeout,
            transport=self._transport,
            secrets=[self._token],
        )

    def fetch_completions(self, since: datetime | None, *, fetched_at: datetime) -> pd.DataFrame:
        """Read every enrolled user's completion, activity and grade state.

        Moodle offers no query for "completions changed since", so `since` is applied here,
        per user: once the course completion status shows a completion (its time is the
        last criterion's ``timecompleted``) before `since`, the user's activity and grade
        calls are skipped and no row is returned. Users who have not completed are always
        returned, so progress stays current and a completion is seen as soon as it happens.
        Moodle's cron may record a criterion's ``timecompleted`` a while after the fact; the
        pipeline's overlap window (``sources[].overlap``) covers that. A full read (`since`
        None) reads each course's grades with one call for all its users, not one per user.

        Calls: ``core_course_get_courses``, ``core_enrol_get_enrolled_users``,
        ``core_completion_get_course_completion_status``,
        ``core_completion_get_activities_completion_status``,
        ``gradereport_user_get_grade_items``.

        Args:
            since: completions before this (UTC) are skipped; None reads everything.
            fetched_at: the batch clock, stored in `FETCHED_AT`.

        Returns:
            The canonical completion frame.

        Raises:
            SourceConfigError: a configured course does not exist (or is not visible).
            SourceAuthError: the token is invalid or lacks a function.
            SourceUnavailable: Moodle is unreachable, timing out or failing (5xx).
            SourceError: any other web service exception or malformed answer.
        """
        records: list[dict[str, object]] = []
        with self._client() as api:
            for course in self._courses(api):
                for record in self._course_records(api, course, since, fetched_at):
                    records.append({**record, ROW_NUMBER: len(records) + 1})
        logger.info("read %d rows from Moodle source %s", len(records), self.name)
        return to_completion_frame(records)

    def _courses(self, api: ApiClient) -> list[JSONDict]:
        """Calls: ``core_course_get_courses``."""
        wanted = set(self.course_ids)
        args: dict[str, Any] = {}
        if wanted and all(c.isdigit() for c in wanted):
            args["options"] = {"ids": sorted(wanted, key=int)}
        courses = as_list(self._call(api, "core_course_get_courses", **args))
        selected = [
            c
            for c in courses
            if c.get("format") != "site"
            and (not wanted or {str(c.get("id")), c.get("idnumber") or ""} & wanted)
        ]
        found = {str(c.get("id")) for c in selected} | {c.get("idnumber") for c in selected}
        missing = sorted(wanted - found)
        if missing:
            raise SourceConfigError(
                f"Moodle source {self.name}: course(s) {', '.join(missing)} not found "
                "(check course_ids: ID numbers or numeric ids the token's user can see)"
            )
        return selected

    def _course_records(
        self, api: ApiClient, course: JSONDict, since: datetime | None, fetched_at: datetime
    ) -> Iterator[dict[str, object]]:
        """Calls: the per-user completion, activity and grade functions."""
        course_key = course.get("idnumber") or str(course["id"])
        if course.get("enablecompletion") == 0:
            logger.warning("Moodle course %s has completion disabled; skipped", course_key)
            return
        rows: list[dict[str, object]] = []
        # A full read asks for the whole course's grades in one call (without a userid the
        # web service returns every enrolled user's); an incremental one asks per user, and
        # only for the users it returns.
        grades = _CourseGrades() if since is None else None

        no_criteria: list[MoodleError] = []  # course-wide: later users need not be asked

        def record(user: JSONDict) -> dict[str, object] | MoodleError | None:
            # Moodle's per-user verdicts come back as values, judged below in user order
            # (users start in order, so those skipped here come after the one that saw it).
            if no_criteria:
                return no_criteria[0]
            try:
                return self._record(api, course, user, since, fetched_at, grades)
            except MoodleError as exc:
                if exc.errorcode == "nocriteriaset":
                    no_criteria.append(exc)
                if exc.errorcode in ("nocriteriaset", "usernotenroled"):
                    return exc
                raise

        users = self._enrolled_users(api, course["id"])
        for user, row in zip(
            users, ordered_map(record, users, concurrency=self.concurrency), strict=True
        ):
            if isinstance(row, MoodleError):
                exc = row
                if exc.errorcode == "nocriteriaset":
                    logger.warning(
                        "Moodle course %s has no completion criteria; skipped", course_key
                    )
                    return
                logger.warning(
                    "Moodle user %s is not enrolled in %s; skipped", user.get("id"), course_key
                )
                continue
            if row is not None:
                rows.append(row)
        yield from rows

    def _enrolled_users(self, api: ApiClient, course_id: int) -> list[JSONDict]:
        """Calls: ``core_enrol_get_enrolled_users``, paged with limitfrom/limitnumber."""
        users: dict[object, JSONDict] = {}
        while True:
            options = [
                {"name": "limitfrom", "value": len(users)},
                {"name": "limitnumber", "value": self.page_size},
            ]
            page = as_list(
                self._call(
                    api, "core_enrol_get_enrolled_users", courseid=course_id, options=options
                )
            )
            new = [u for u in page if u.get("id") not in users]
            users.update((u.get("id"), u) for u in new)
            if len(page) < self.page_size:
                return list(users.values())
            if not new:  # a server ignoring limitfrom would send the same page forever
                logger.warning(
                    "Moodle course %s: paging returned no new users; stopping", course_id
                )
                return list(users.values())

    def _record(
        self,
        api: ApiClient,
        course: JSONDict,
        user: JSONDict,
        since: datetime | None,
        fetched_at: datetime,
        grades: _CourseGrades | None = None,
    ) -> dict[str, object] | None:
        """Calls: the completion, activity and grade functions for one user."""
        ids = {"courseid": course["id"], "userid": user["id"]}
        errors: list[str] = []
        status = as_dict(
            self._call(api, "core_completion_get_course_completion_status", **ids)
        ).get("completionstatus", {})
        completed = bool(status.get("completed"))
        completed_at = _completed_at(status.get("completions", [])) if completed else None
        if since is not None and completed_at is not None and completed_at < since:
            return None
        activities = as_dict(
            self._call(api, "core_completion_get_activities_completion_status", **ids)
        ).get("statuses", [])
        items = (
            grades.of(user["id"], lambda: self._course_grades(api, course["id"]))
            if grades is not None
            else None
        )
        if items is None:  # an incremental read, or a user the course-wide answer left out
            usergrades = as_dict(self._call(api, "gradereport_user_get_grade_items", **ids)).get(
                "usergrades", []
            )
            items = usergrades[0].get("gradeitems", []) if usergrades else []
        item, kind = self._score_item(items)
        score = _percent(item, errors) if item else None
        tracked = [a for a in activities if (a.get("tracking") or 0) > 0]
        email = (user.get("email") or "").strip().lower()
        name = user.get("fullname") or " ".join(
            p for p in (user.get("firstname"), user.get("lastname")) if p
        )
        return {
            SOURCE: self.name,
            SOURCE_SYSTEM: _SYSTEM,
            SOURCE_RECORD_ID: f"{user['id']}:{course['id']}",
            LEARNER_ID: str(user["id"]),
            LEARNER_EMAIL: email or None,
            LEARNER_NAME: name or None,
            COURSE_ID: course.get("idnumber") or str(course["id"]),
            COURSE_NAME: course.get("fullname"),
            COMPLETED: completed,
            COMPLETED_AT: completed_at,
            SCORE: score,
            SCORE_KIND: kind if score is not None else "none",
            MODULES_COMPLETED: sum(1 for a in tracked if a.get("state") in _COMPLETE_STATES),
            MODULES_TOTAL: len(tracked),
            PROGRESS_PCT: None,
            FETCHED_AT: fetched_at,
            RAW: {
                "course": {k: course.get(k) for k in ("id", "idnumber", "shortname", "fullname")},
                "user": user,
                "completionstatus": status,
                "activities": activities,
                "gradeitem": item,
            },
            PARSE_ERRORS: tuple(errors),
        }

    def _course_grades(self, api: ApiClient, course_id: object) -> list[JSONDict]:
        """Calls: ``gradereport_user_get_grade_items`` for every user of a course."""
        answer = as_dict(self._call(api, "gradereport_user_get_grade_items", courseid=course_id))
        return as_list(answer.get("usergrades", []))

    def _score_item(self, items: list[JSONDict]) -> tuple[JSONDict | None, str]:
        if self.final_assessment:
            for item in items:
                if self.final_assessment in (item.get("idnumber"), item.get("itemname")):
                    return item, "final_assessment"
        for item in items:
            if item.get("itemtype") == "course":
                return item, "course_total"
        return None, "none"

    def _call(self, api: ApiClient, wsfunction: str, **args: Any) -> Any:
        """POST one web service call; the shared client retries and maps errors.

        The token travels in the form body, not the query string, so it never shows up in
        URLs that HTTP libraries and proxies log.
        """
        params = {"wsfunction": wsfunction, "moodlewsrestformat": "json"}
        body = dict([("wstoken", self._token), *php_form(args)])
        what = f"Moodle {wsfunction}"
        response = api.request("POST", _ENDPOINT, what=what, params=params, data=body)
        return api.json_of(response, what)


class _CourseGrades:
    """One course's grade items by user, read with one call when first needed."""

    def __init__(self) -> None:
        self._by_user: dict[str, list[JSONDict]] | None = None
        self._lock = threading.Lock()  # users are read concurrently: one course-wide call

    def of(self, user_id: object, read: Callable[[], list[JSONDict]]) -> list[JSONDict] | None:
        """The user's grade items; None when the course-wide answer does not name the user."""
        with self._lock:
            if self._by_user is None:
                self._by_user = {str(g.get("userid")): g.get("gradeitems", []) for g in read()}
        return self._by_user.get(str(user_id))


def _completed_at(criteria: list[JSONDict]) -> datetime | None:
    # The web service has no course-level completion time; the last criterion met is it.
    times = [c["timecompleted"] for c in criteria if c.get("timecompleted")]
    return datetime.fromtimestamp(max(times), tz=UTC) if times else None


def _percent(item: JSONDict, errors: list[str]) -> float | None:
    raw: Any = item.get("graderaw")
    high: Any = item.get("grademax")
    if raw is None:
        return None
    try:
        if float(high) <= 0:
            raise ValueError("no grade range")
        return float(raw) / float(high) * 100
    except (TypeError, ValueError):
        label = item.get("idnumber") or item.get("itemname") or item.get("id")
        errors.append(f"{SCORE}: grade item {label!r} has graderaw {raw!r}, grademax {high!r}")
        return None
