"""Completions from TalentLMS, read through its v1 REST API (HTTP Basic with the API key).

TalentLMS v1 takes arguments as ``key:value`` path segments (``/courses/id:12``), answers
numbers as strings, and gives each date twice: formatted in the portal's date format and
as ``*_timestamp`` Unix seconds (used here, never the formatted one). Lists are not paged.

A learner has completed a course when ``getuserstatusincourse`` says ``completion_status``
``Completed``; ``completed_on_timestamp`` is the completion time. Modules are the course's
units; the score is the configured final test unit's ``score`` in the same answer (so one
call per learner gives completion, modules and score). The canonical `COURSE_ID` is the
course ``code`` when set, else its numeric id; configure courses by either.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final

import httpx
import pandas as pd

from badgeflow.errors import SourceAuthError, SourceConfigError, SourceError, SourceUnavailable
from badgeflow.lms._frame import to_completion_frame
from badgeflow.lms._http import ApiClient, RetryPolicy, classify_http
from badgeflow.lms._http.fanout import ordered_map
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

__all__ = ["TalentLMSSource", "classify_talentlms"]

logger = logging.getLogger(__name__)

_SYSTEM: Final = "talentlms"


def classify_talentlms(response: httpx.Response, what: str) -> SourceError | None:
    """TalentLMS's verdict on a response, quoting its ``{"error": {"message"}}``.

    429 (over the hourly or burst limit) and 5xx are transient; 401 (bad API key) and 403
    (API disabled, domain inactive) are permanent auth errors; 404 means a configured
    course does not exist: `SourceConfigError`.

    Args:
        response: the answer.
        what: names the call in messages.

    Returns:
        None, or the error to raise.
    """
    status = response.status_code
    if 200 <= status < 300:
        return None
    message = f"{what}: HTTP {status}: {_message(response)}"
    if status == 429:
        return SourceUnavailable(f"{what}: TalentLMS rate limit exceeded")
    if status in (401, 403):
        return SourceAuthError(message)
    if status == 404:
        return SourceConfigError(message)
    found = classify_http(response, what)
    return type(found)(message) if found is not None else None


class _ApiKeyAuth:
    """HTTP Basic with the API key as user name and an empty password."""

    def __init__(self, api_key: str) -> None:
        self.value = base64.b64encode(f"{api_key}:".encode()).decode("ascii")

    def __repr__(self) -> str:
        return "_ApiKeyAuth(***)"

    def headers(self, api: ApiClient) -> dict[str, str]:
        return {"Authorization": f"Basic {self.value}"}

    def refresh(self) -> bool:
        return False


class TalentLMSSource:
    """A `CompletionSource` reading learners' course status, units and test scores.

    Attributes:
        name: the configured source name, stored in `SOURCE`.
    """

    def __init__(
        self,
        name: str,
        base_url: str,
        api_key: str,
        *,
        course_ids: Sequence[str] = (),
        final_assessment: str | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        concurrency: int = 1,
    ) -> None:
        """Configure the source; nothing is requested until `fetch_completions`.

        Args:
            name: the configured source name.
            base_url: the portal root, e.g. ``https://academy.talentlms.com``.
            api_key: the portal's API key (never logged).
            course_ids: numeric course ids or course codes; empty reads every course.
            final_assessment: id or name of the test unit holding the final assessment;
                unset gives no score. Configured courses must have it; when every course
                is read, courses without it get no score.
            timeout: seconds allowed per HTTP request.
            retry: how transient failures are retried (default `RetryPolicy()`).
            transport: an httpx transport to use instead of the network (tests).
            concurrency: learners' status calls in flight at once (1: one at a time).
        """
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self._auth = _ApiKeyAuth(api_key)
        self._api_key = api_key
        self.course_ids = tuple(course_ids)
        self.final_assessment = final_assessment
        self.timeout = timeout
        self._retry = retry
        self._transport = transport
        self.concurrency = concurrency

    def __repr__(self) -> str:
        return f"TalentLMSSource(name={self.name!r}, base_url={self.base_url!r})"

    def fetch_completions(self, since: datetime | None, *, fetched_at: datetime) -> pd.DataFrame:
        """Read every learner's status in the configured courses.

        TalentLMS has no "changed since" filter, so `since` is applied here: learners whose
        course listing shows a completion before it are neither asked for nor returned;
        learners still in progress always are.

        Calls: ``GET /api/v1/users``, ``/courses``, ``/courses/id:<id>``,
        ``/getuserstatusincourse/course_id:<c>,user_id:<u>``.

        Args:
            since: completions before this (UTC) are dropped; None keeps everything.
            fetched_at: the batch clock, stored in `FETCHED_AT`.

        Returns:
            The canonical completion frame.

        Raises:
            SourceAuthError: the API key is wrong, or the API is disabled.
            SourceConfigError: a configured course or final test does not exist.
            SourceUnavailable: TalentLMS kept throttling, timing out or failing.
            SourceError: any other failure.
        """
        records: list[dict[str, object]] = []
        api = ApiClient(
            f"{self.base_url}/api/v1/",
            vendor="TalentLMS",
            classify=classify_talentlms,
            auth=self._auth,
            retry=self._retry,
            timeout=self.timeout,
            transport=self._transport,
            secrets=[self._api_key, self._auth.value],
        )
        with api:
            users = {str(u.get("id")): u for u in _array(api, "users", "TalentLMS users")}
            for course in self._courses(api):
                for record in self._course_records(api, course, users, since, fetched_at):
                    records.append({**record, ROW_NUMBER: len(records) + 1})
        logger.info("read %d rows from TalentLMS source %s", len(records), self.name)
        return to_completion_frame(records)

    def _courses(self, api: ApiClient) -> list[JSONDict]:
        listed: list[JSONDict] | None = None
        ids = []
        for key in self.course_ids:
            if key.isdigit():
                ids.append(key)
                continue
            if listed is None:
                listed = _array(api, "courses", "TalentLMS courses")
            found = next((c for c in listed if c.get("code") == key), None)
            if found is None:
                raise SourceConfigError(f"TalentLMS: no course with code {key!r}")
            ids.append(str(found.get("id")))
        if not self.course_ids:
            ids = [str(c.get("id")) for c in _array(api, "courses", "TalentLMS courses")]
        return [api.get_json(f"courses/id:{cid}", what=f"TalentLMS course {cid}") for cid in ids]

    def _course_records(
        self,
        api: ApiClient,
        course: JSONDict,
        users: dict[str, JSONDict],
        since: datetime | None,
        fetched_at: datetime,
    ) -> list[dict[str, object]]:
        cid = str(course.get("id"))
        key = course.get("code") or cid
        final = self._final_unit(course, key)
        uids = []
        for member in course.get("users") or []:
            if member.get("role") != "learner":
                continue
            listed = _epoch(member.get("completed_on_timestamp"), [])
            if since is not None and listed is not None and listed < since:
                continue
            uids.append(str(member.get("id")))

        def status_of(uid: str) -> JSONDict:
            found: JSONDict = api.get_json(
                f"getuserstatusincourse/course_id:{cid},user_id:{uid}",
                what=f"TalentLMS status of user {uid} in course {key}",
            )
            return found

        rows = []
        statuses = ordered_map(status_of, uids, concurrency=self.concurrency)
        for uid, status in zip(uids, statuses, strict=True):
            row = self._record(course, key, uid, users.get(uid, {}), status, final, fetched_at)
            done_at = row[COMPLETED_AT]
            if since is not None and isinstance(done_at, datetime) and done_at < since:
                continue
            rows.append(row)
        return rows

    def _final_unit(self, course: JSONDict, key: object) -> str | None:
        wanted = self.final_assessment
        if not wanted:
            return None
        units = course.get("units") or []
        found = next((u for u in units if wanted in (str(u.get("id")), u.get("name"))), None)
        if found is None and self.course_ids:
            raise SourceConfigError(
                f"TalentLMS course {key}: no unit {wanted!r} (final_assessment)"
            )
        return str(found.get("id")) if found is not None else None

    def _record(
        self,
        course: JSONDict,
        key: object,
        uid: str,
        user: JSONDict,
        status: JSONDict,
        final: str | None,
        fetched_at: datetime,
    ) -> dict[str, object]:
        errors: list[str] = []
        units = status.get("units") or []
        done = sum(1 for u in units if str(u.get("completion_status")).lower() == "completed")
        completed = str(status.get("completion_status", "")).lower() == "completed"
        completed_at = _epoch(status.get("completed_on_timestamp"), errors)
        if completed and completed_at is None:
            errors.append(f"{COMPLETED_AT}: completed without completed_on_timestamp")
        unit: JSONDict = next((u for u in units if str(u.get("id")) == final), {}) if final else {}
        score = _percent(unit.get("score"), errors, SCORE)
        email = str(user.get("email") or "").strip().lower()
        name = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)
        return {
            SOURCE: self.name,
            SOURCE_SYSTEM: _SYSTEM,
            SOURCE_RECORD_ID: f"{uid}:{course.get('id')}",
            LEARNER_ID: uid,
            LEARNER_EMAIL: email or None,
            LEARNER_NAME: name or None,
            COURSE_ID: str(key),
            COURSE_NAME: course.get("name"),
            COMPLETED: completed,
            COMPLETED_AT: completed_at if completed else None,
            SCORE: score,
            SCORE_KIND: "final_assessment" if score is not None else "none",
            MODULES_COMPLETED: done,
            MODULES_TOTAL: len(units),
            PROGRESS_PCT: _percent(status.get("completion_percentage"), errors, PROGRESS_PCT),
            FETCHED_AT: fetched_at,
            RAW: {"status": status},
            PARSE_ERRORS: tuple(errors),
        }


def _array(api: ApiClient, path: str, what: str) -> list[JSONDict]:
    """An unpaged v1 listing (TalentLMS returns every item in one answer)."""
    found = api.get_json(path, what=what)
    if not isinstance(found, list):
        raise SourceError(f"{what}: expected a JSON array, got {type(found).__name__}")
    return found


def _epoch(value: Any, errors: list[str]) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromtimestamp(int(str(value)), UTC)
    except (ValueError, OverflowError, OSError):
        errors.append(f"{COMPLETED_AT}: {value!r} is not a Unix timestamp")
        return None


def _percent(value: Any, errors: list[str], column: str) -> float | None:
    text = str(value).strip().removesuffix("%") if value is not None else ""
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        errors.append(f"{column}: {value!r} is not a percentage")
        return None


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.reason_phrase or "error"
