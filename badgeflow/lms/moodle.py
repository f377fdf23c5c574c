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
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import httpx
import pandas as pd

from badgeflow.errors import SourceAuthError, SourceError, SourceUnavailable
from badgeflow.lms._frame import to_completion_frame
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
_AUTH_ERRORS: Final = frozenset({"invalidtoken", "accessexception", "accessdenied"})
_COMPLETE_STATES: Final = frozenset({1, 2})  # COMPLETION_COMPLETE, COMPLETION_COMPLETE_PASS


class _MoodleError(SourceError):
    """Moodle answered a web service call with an exception.

    Attributes:
        wsfunction: the function called.
        errorcode: Moodle's ``errorcode`` (``nocriteriaset``, ``usernotenroled``, ...).
    """

    def __init__(self, wsfunction: str, errorcode: str, message: str) -> None:
        super().__init__(f"Moodle {wsfunction}: {errorcode}: {message}")
        self.wsfunction = wsfunction
        self.errorcode = errorcode


class MoodleSource:
    """A `CompletionSource` reading course completions, activities and grades from Moodle.

    One row per enrolled user per course, completed or not. Courses without completion
    criteria are skipped with a warning, as are users Moodle reports as not enrolled.
    Retrying is the caller's business: transport failures raise `SourceUnavailable`.

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
        transport: httpx.BaseTransport | None = None,
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
            transport: an httpx transport to use instead of the network (tests).
        """
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.course_ids = tuple(course_ids)
        self.final_assessment = final_assessment
        self.timeout = timeout
        self.page_size = page_size
        self._transport = transport

    def __repr__(self) -> str:
        return f"MoodleSource(name={self.name!r}, base_url={self.base_url!r})"

    def fetch_completions(self, since: datetime | None, *, fetched_at: datetime) -> pd.DataFrame:
        """Read every enrolled user's completion, activity and grade state.

        Moodle offers no query for "completions changed since", so `since` is ignored and
        every row is returned (the storage step is idempotent on the record key).

        Calls: ``core_course_get_courses``, ``core_enrol_get_enrolled_users``,
        ``core_completion_get_course_completion_status``,
        ``core_completion_get_activities_completion_status``,
        ``gradereport_user_get_grade_items``.

        Args:
            since: ignored (see above).
            fetched_at: the batch clock, stored in `FETCHED_AT`.

        Returns:
            The canonical completion frame.

        Raises:
            SourceAuthError: the token is invalid or lacks a function.
            SourceUnavailable: Moodle is unreachable, timing out or failing (5xx).
            SourceError: any other web service exception or malformed answer.
        """
        records: list[dict[str, object]] = []
        with httpx.Client(transport=self._transport, timeout=self.timeout) as client:
            for course in self._courses(client):
                for record in self._course_records(client, course, fetched_at):
                    records.append({**record, ROW_NUMBER: len(records) + 1})
        logger.info("read %d rows from Moodle source %s", len(records), self.name)
        return to_completion_frame(records)

    def _courses(self, client: httpx.Client) -> list[JSONDict]:
        """Calls: ``core_course_get_courses``."""
        wanted = set(self.course_ids)
        args: dict[str, Any] = {}
        if wanted and all(c.isdigit() for c in wanted):
            args["options"] = {"ids": sorted(wanted, key=int)}
        courses = _as_list(self._call(client, "core_course_get_courses", **args))
        selected = [
            c
            for c in courses
            if c.get("format") != "site"
            and (not wanted or {str(c.get("id")), c.get("idnumber") or ""} & wanted)
        ]
        found = {str(c.get("id")) for c in selected} | {c.get("idnumber") for c in selected}
        for missing in sorted(wanted - found):
            logger.warning("Moodle source %s: course %s not found", self.name, missing)
        return selected

    def _course_records(
        self, client: httpx.Client, course: JSONDict, fetched_at: datetime
    ) -> Iterator[dict[str, object]]:
        """Calls: the per-user completion, activity and grade functions."""
        course_key = course.get("idnumber") or str(course["id"])
        if course.get("enablecompletion") == 0:
            logger.warning("Moodle course %s has completion disabled; skipped", course_key)
            return
        rows: list[dict[str, object]] = []
        for user in self._enrolled_users(client, course["id"]):
            try:
                rows.append(self._record(client, course, user, fetched_at))
            except _MoodleError as exc:
                if exc.errorcode == "nocriteriaset":
                    logger.warning(
                        "Moodle course %s has no completion criteria; skipped", course_key
                    )
                    return
                if exc.errorcode == "usernotenroled":
                    logger.warning(
                        "Moodle user %s is not enrolled in %s; skipped", user.get("id"), course_key
                    )
                    continue
                raise
        yield from rows

    def _enrolled_users(self, client: httpx.Client, course_id: int) -> list[JSONDict]:
        """Calls: ``core_enrol_get_enrolled_users``, paged with limitfrom/limitnumber."""
        users: dict[object, JSONDict] = {}
        while True:
            options = [
                {"name": "limitfrom", "value": len(users)},
                {"name": "limitnumber", "value": self.page_size},
            ]
            page = _as_list(
                self._call(
                    client, "core_enrol_get_enrolled_users", courseid=course_id, options=options
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
        self, client: httpx.Client, course: JSONDict, user: JSONDict, fetched_at: datetime
    ) -> dict[str, object]:
        """Calls: the completion, activity and grade functions for one user."""
        ids = {"courseid": course["id"], "userid": user["id"]}
        errors: list[str] = []
        status = _as_dict(
            self._call(client, "core_completion_get_course_completion_status", **ids)
        ).get("completionstatus", {})
        activities = _as_dict(
            self._call(client, "core_completion_get_activities_completion_status", **ids)
        ).get("statuses", [])
        usergrades = _as_dict(self._call(client, "gradereport_user_get_grade_items", **ids)).get(
            "usergrades", []
        )
        items = usergrades[0].get("gradeitems", []) if usergrades else []
        item, kind = self._score_item(items)
        score = _percent(item, errors) if item else None
        completed = bool(status.get("completed"))
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
            COMPLETED_AT: _completed_at(status.get("completions", [])) if completed else None,
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

    def _score_item(self, items: list[JSONDict]) -> tuple[JSONDict | None, str]:
        if self.final_assessment:
            for item in items:
                if self.final_assessment in (item.get("idnumber"), item.get("itemname")):
                    return item, "final_assessment"
        for item in items:
            if item.get("itemtype") == "course":
                return item, "course_total"
        return None, "none"

    def _call(self, client: httpx.Client, wsfunction: str, **args: Any) -> Any:
        """POST one web service call and map Moodle's answer to our errors.

        The token travels in the form body, not the query string, so it never shows up in
        URLs that HTTP libraries and proxies log.
        """
        url = f"{self.base_url}{_ENDPOINT}"
        params = {"wsfunction": wsfunction, "moodlewsrestformat": "json"}
        body = [("wstoken", self._token), *_php_form(args)]
        try:
            response = client.post(url, params=params, data=dict(body))
        except httpx.TimeoutException as exc:
            raise SourceUnavailable(f"Moodle {wsfunction}: timed out at {url}") from exc
        except httpx.TransportError as exc:
            raise SourceUnavailable(f"Moodle {wsfunction}: cannot reach {url}: {exc}") from exc
        status = response.status_code
        if status >= 500 or status == 429:
            raise SourceUnavailable(f"Moodle {wsfunction}: HTTP {status} from {url}")
        if status in (401, 403):
            raise SourceAuthError(f"Moodle {wsfunction}: HTTP {status} from {url}")
        if status != 200:
            raise SourceError(f"Moodle {wsfunction}: unexpected HTTP {status} from {url}")
        try:
            payload = response.json()
        except ValueError as exc:
            raise SourceError(f"Moodle {wsfunction}: answer is not JSON") from exc
        if isinstance(payload, dict) and ("exception" in payload or "errorcode" in payload):
            code = str(payload.get("errorcode", ""))
            message = str(payload.get("message", ""))
            if code in _AUTH_ERRORS:
                raise SourceAuthError(f"Moodle {wsfunction}: {code}: {message}")
            raise _MoodleError(wsfunction, code, message)
        return payload


def _php_form(args: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Flatten arguments the way PHP decodes them: ``options[0][name]=limitfrom``."""
    pairs: list[tuple[str, str]] = []
    for key, value in args.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, Mapping):
            pairs.extend(_php_form(value, name))
        elif isinstance(value, list | tuple):
            pairs.extend(_php_form({str(i): v for i, v in enumerate(value)}, name))
        elif isinstance(value, bool):
            pairs.append((name, "1" if value else "0"))
        elif value is not None:
            pairs.append((name, str(value)))
    return pairs


def _as_list(payload: Any) -> list[JSONDict]:
    if not isinstance(payload, list):
        raise SourceError(f"Moodle answered {type(payload).__name__} where a list was expected")
    return payload


def _as_dict(payload: Any) -> JSONDict:
    if not isinstance(payload, dict):
        raise SourceError(f"Moodle answered {type(payload).__name__} where an object was expected")
    return payload


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
