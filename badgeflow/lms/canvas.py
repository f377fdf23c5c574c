"""Completions from Canvas LMS, read through its REST API (``/api/v1``, Bearer token).

Completion is Canvas's course progress: a learner has completed a course when every module
completion requirement is met (``progress.completed_at`` is set, UTC ISO 8601). Courses
without module requirements have no progress and are skipped with a warning.
``enrollment_state: "completed"`` is *not* used: it means the course was concluded.

The canonical `COURSE_ID` is the course's ``sis_course_id`` when set, else its numeric id.
Configure courses by numeric id or as ``sis_course_id:DS101``, as Canvas URLs accept.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote

import httpx
import pandas as pd

from badgeflow.errors import SourceAuthError, SourceConfigError, SourceError, SourceUnavailable
from badgeflow.lms._frame import to_completion_frame
from badgeflow.lms._http import (
    ApiClient,
    BearerToken,
    RetryPolicy,
    classify_http,
    next_link,
    paginate,
)
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

__all__ = ["CanvasSource", "classify_canvas"]

logger = logging.getLogger(__name__)

_SYSTEM: Final = "canvas"


def classify_canvas(response: httpx.Response, what: str) -> SourceError | None:
    """Canvas's verdict on a response.

    Canvas throttles with 403 and the body ``403 Forbidden (Rate Limit Exceeded)`` (older
    hosts) or 429; both are transient. Any other 403, and 401, are permanent auth errors
    (401 with ``WWW-Authenticate`` is an invalid or expired token). 404 means a configured
    course or assignment does not exist: `SourceConfigError`.

    Args:
        response: the answer.
        what: names the call in messages.

    Returns:
        None, or the error to raise.
    """
    status = response.status_code
    if status == 403 and "Rate Limit Exceeded" in response.text:
        remaining = response.headers.get("X-Rate-Limit-Remaining", "?")
        return SourceUnavailable(f"{what}: Canvas rate limit exceeded (remaining {remaining})")
    if status == 401 and "WWW-Authenticate" in response.headers:
        return SourceAuthError(f"{what}: HTTP 401: invalid or expired access token")
    if status == 404:
        return SourceConfigError(f"{what}: HTTP 404: {_message(response)}")
    return classify_http(response, what)


class CanvasSource:
    """A `CompletionSource` reading module progress, enrollments and scores from Canvas.

    One row per student enrollment per course. The score is the configured final
    assessment's submission (``score / points_possible * 100``), else the enrollment's
    ``grades.final_score`` (course total).

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
        per_page: int = 100,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """Configure the source; nothing is requested until `fetch_completions`.

        Args:
            name: the configured source name.
            base_url: the Canvas root, e.g. ``https://school.instructure.com``.
            token: an access token (never logged).
            course_ids: numeric ids or ``sis_course_id:<id>``; empty reads the token
                user's courses.
            final_assessment: id or name of the assignment holding the final assessment.
            timeout: seconds allowed per HTTP request.
            per_page: items per page (Canvas caps it at 100).
            retry: how transient failures are retried (default `RetryPolicy()`).
            transport: an httpx transport to use instead of the network (tests).
        """
        if not 1 <= per_page <= 100:
            raise ValueError("per_page must be between 1 and 100")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.course_ids = tuple(course_ids)
        self.final_assessment = final_assessment
        self.timeout = timeout
        self.per_page = per_page
        self._retry = retry
        self._transport = transport

    def __repr__(self) -> str:
        return f"CanvasSource(name={self.name!r}, base_url={self.base_url!r})"

    def fetch_completions(self, since: datetime | None, *, fetched_at: datetime) -> pd.DataFrame:
        """Read every student's progress and score in the configured courses.

        Canvas has no "changed since" filter on progress, so `since` is applied here:
        completions before it are dropped; students still in progress are always returned.

        Calls: ``GET /api/v1/courses[/:id]``, ``/courses/:id/users``, ``/enrollments``,
        ``/bulk_user_progress``, ``/assignments``, ``/assignments/:id/submissions``.

        Args:
            since: completions before this (UTC) are dropped; None keeps everything.
            fetched_at: the batch clock, stored in `FETCHED_AT`.

        Returns:
            The canonical completion frame.

        Raises:
            SourceAuthError: the token is invalid, expired or lacks permissions.
            SourceConfigError: a configured course or final assessment does not exist.
            SourceUnavailable: Canvas kept throttling, timing out or failing.
            SourceError: any other failure, including a paging loop.
        """
        records: list[dict[str, object]] = []
        api = ApiClient(
            f"{self.base_url}/api/v1/",
            vendor="Canvas",
            classify=classify_canvas,
            auth=BearerToken(self._token),
            retry=self._retry,
            timeout=self.timeout,
            transport=self._transport,
            secrets=[self._token],
        )
        with api:
            for course in self._courses(api):
                for record in self._course_records(api, course, since, fetched_at):
                    records.append({**record, ROW_NUMBER: len(records) + 1})
        logger.info("read %d rows from Canvas source %s", len(records), self.name)
        return to_completion_frame(records)

    def _list(self, api: ApiClient, path: str, what: str, **params: Any) -> list[JSONDict]:
        """Every item of a paged listing, following ``Link: rel="next"`` verbatim."""

        def fetch(url: str | None) -> tuple[list[JSONDict], str | None]:
            query = None if url else {**params, "per_page": self.per_page}
            response = api.request("GET", url or path, what=what, params=query)
            page = api.json_of(response, what)
            if not isinstance(page, list):
                raise SourceError(f"{what}: expected a JSON array, got {type(page).__name__}")
            return page, next_link(response)

        return list(paginate(fetch, what=what, redact=api.redact))

    def _courses(self, api: ApiClient) -> list[JSONDict]:
        if not self.course_ids:
            return self._list(api, "courses", "Canvas courses")
        courses = []
        for key in self.course_ids:
            course = api.get_json(f"courses/{quote(key, safe=':')}", what=f"Canvas course {key}")
            courses.append(course)
        return courses

    def _course_records(
        self, api: ApiClient, course: JSONDict, since: datetime | None, fetched_at: datetime
    ) -> list[dict[str, object]]:
        cid = course["id"]
        key = course.get("sis_course_id") or str(cid)
        what = f"Canvas course {key}"
        progress = {
            p["id"]: p.get("progress") or {}
            for p in self._list(api, f"courses/{cid}/bulk_user_progress", f"{what} progress")
        }
        if progress and all("error" in p for p in progress.values()):
            logger.warning("Canvas course %s has no module requirements; skipped", key)
            return []
        users = {
            u["id"]: u
            for u in self._list(
                api,
                f"courses/{cid}/users",
                f"{what} users",
                **{"enrollment_type[]": "student", "include[]": "email"},
            )
        }
        enrollments = self._list(
            api,
            f"courses/{cid}/enrollments",
            f"{what} enrollments",
            **{"type[]": "StudentEnrollment"},
        )
        scores = self._final_scores(api, cid, what)
        rows = []
        for enrollment in enrollments:
            row = self._record(course, key, enrollment, users, progress, scores, fetched_at)
            completed_at = row[COMPLETED_AT]
            if since is not None and isinstance(completed_at, datetime) and completed_at < since:
                continue
            rows.append(row)
        return rows

    def _final_scores(
        self, api: ApiClient, cid: object, what: str
    ) -> dict[object, tuple[float | None, JSONDict]] | None:
        if not self.final_assessment:
            return None
        assignments = self._list(api, f"courses/{cid}/assignments", f"{what} assignments")
        wanted = self.final_assessment
        found = next((a for a in assignments if wanted in (str(a.get("id")), a.get("name"))), None)
        if found is None:
            raise SourceConfigError(f"{what}: no assignment {wanted!r} (final_assessment)")
        submissions = self._list(
            api,
            f"courses/{cid}/assignments/{found['id']}/submissions",
            f"{what} submissions of assignment {found['id']}",
        )
        possible = found.get("points_possible")
        return {s.get("user_id"): (_ratio(s.get("score"), possible), s) for s in submissions}

    def _record(
        self,
        course: JSONDict,
        key: str,
        enrollment: JSONDict,
        users: dict[object, JSONDict],
        progress: dict[object, JSONDict],
        scores: dict[object, tuple[float | None, JSONDict]] | None,
        fetched_at: datetime,
    ) -> dict[str, object]:
        errors: list[str] = []
        uid = enrollment.get("user_id")
        user = users.get(uid, {})
        state = progress.get(uid, {})
        done, total = state.get("requirement_completed_count"), state.get("requirement_count")
        completed_at = _timestamp(state.get("completed_at"), errors)
        if scores is not None:
            score, submission = scores.get(uid, (None, {}))
            kind = "final_assessment"
        else:
            score = _ratio((enrollment.get("grades") or {}).get("final_score"), 100)
            submission, kind = {}, "course_total"
        email = (user.get("email") or "").strip().lower()
        return {
            SOURCE: self.name,
            SOURCE_SYSTEM: _SYSTEM,
            SOURCE_RECORD_ID: str(enrollment.get("id")),
            LEARNER_ID: str(uid),
            LEARNER_EMAIL: email or None,
            LEARNER_NAME: user.get("name") or (enrollment.get("user") or {}).get("name"),
            COURSE_ID: key,
            COURSE_NAME: course.get("name"),
            COMPLETED: None if "error" in state or not state else completed_at is not None,
            COMPLETED_AT: completed_at,
            SCORE: score,
            SCORE_KIND: kind if score is not None else "none",
            MODULES_COMPLETED: done,
            MODULES_TOTAL: total,
            PROGRESS_PCT: done / total * 100 if isinstance(done, int) and total else None,
            FETCHED_AT: fetched_at,
            RAW: {"enrollment": enrollment, "progress": state, "submission": submission},
            PARSE_ERRORS: tuple(errors),
        }


def _ratio(score: Any, possible: Any) -> float | None:
    try:
        return float(score) / float(possible) * 100 if score is not None and possible else None
    except (TypeError, ValueError):
        return None


def _timestamp(value: Any, errors: list[str]) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        errors.append(f"{COMPLETED_AT}: {value!r} is not an ISO 8601 time")
        return None
    if parsed.tzinfo is None:
        errors.append(f"{COMPLETED_AT}: {value!r} has no UTC offset")
        return None
    return parsed


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json()["errors"][0]["message"])
    except (ValueError, KeyError, IndexError, TypeError):
        return "not found"
