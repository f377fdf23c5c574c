"""Completions from Docebo, read through its REST API with an OAuth2 token.

Docebo lists enrollments at two endpoints with different field names, and both are mapped
to the same canonical row (`SOURCE_RECORD_ID` ``"<user_id>:<course_id>"`` either way, so a
source can switch between them without duplicating a completion):

=====================  ========================================  ===========================
canonical              ``/course/v1/courses/enrollments``        ``/learn/v1/enrollments``
=====================  ========================================  ===========================
course id / code       ``course_id`` / ``course_code``            ``id`` / ``code``
course name            ``course_name``                            ``name``
completed              ``enrollment_status == "completed"``       ``status == "completed"``
completed at           ``enrollment_completion_date``             ``course_complete_date``
score                  ``enrollment_score``                       ``score``
level                  ``enrollment_level`` (``student``...)      ``level`` (``3``, ``4``, ``6``)
=====================  ========================================  ===========================

The admin listing (course service) is preferred: it filters by course on the server. The
learn listing also carries learning plans, skipped here, and has no course filter, so
configured courses are picked out client-side. ``enrollment_endpoint="auto"`` reads the
course service and falls back to the learn listing, with a warning, when the course service
refuses (403: the API user lacks the permission) or is missing (404). Tutors and instructors
are not learners and are skipped. Emails and names come from ``/manage/v1/user``.

The canonical `COURSE_ID` is the course's code when set, else its numeric id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Final, Literal

import httpx
import pandas as pd

from badgeflow.errors import SourceConfigError
from badgeflow.lms._docebo_auth import DoceboPasswordGrant
from badgeflow.lms._docebo_wire import (
    DoceboForbidden,
    PageCursor,
    classify_docebo,
    learner_enrollment,
    parse_docebo_time,
    read_page,
    wire_time,
)
from badgeflow.lms._frame import to_completion_frame
from badgeflow.lms._http import (
    ApiClient,
    Authenticator,
    OAuth2ClientCredentials,
    RetryPolicy,
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

__all__ = ["DoceboSource", "EnrollmentEndpoint"]

logger = logging.getLogger(__name__)

EnrollmentEndpoint = Literal["auto", "course", "learn"]

_SYSTEM: Final = "docebo"
_COURSE_SERVICE: Final = "course/v1/courses/enrollments"
_LEARN: Final = "learn/v1/enrollments"


class DoceboSource:
    """A `CompletionSource` reading course enrollments (status, date, score) from Docebo.

    Attributes:
        name: the configured source name, stored in `SOURCE`.
    """

    def __init__(
        self,
        name: str,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        username: str | None = None,
        password: str | None = None,
        course_ids: Sequence[int] = (),
        enrollment_endpoint: EnrollmentEndpoint = "auto",
        page_size: int = 200,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """Configure the source; nothing is requested until `fetch_completions`.

        Args:
            name: the configured source name.
            base_url: the platform root, e.g. ``https://academy.docebosaas.com``.
            client_id: the API app's OAuth2 client id.
            client_secret: its secret (never logged).
            username: with `password`, use the password grant as this user; None uses
                the client-credentials grant.
            password: the user's password (never logged).
            course_ids: numeric course ids; empty reads every course.
            enrollment_endpoint: ``course`` (admin listing), ``learn``, or ``auto``
                (course, falling back to learn when refused or missing).
            page_size: items per page (Docebo allows 1-200).
            timeout: seconds allowed per HTTP request.
            retry: how transient failures are retried (default `RetryPolicy()`).
            transport: an httpx transport to use instead of the network (tests).
            clock: the time used for token expiry (tests pass a fake one).
        """
        if not 1 <= page_size <= 200:
            raise ValueError("page_size must be between 1 and 200")
        if (username is None) != (password is None):
            raise ValueError("the password grant needs both username and password")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self._secrets = (client_secret, password)
        self.username = username
        self.course_ids = tuple(int(c) for c in course_ids)
        self.enrollment_endpoint: EnrollmentEndpoint = enrollment_endpoint
        self.page_size, self.timeout = page_size, timeout
        self._retry, self._transport, self._clock = retry, transport, clock

    def __repr__(self) -> str:
        return f"DoceboSource(name={self.name!r}, base_url={self.base_url!r})"

    def fetch_completions(self, since: datetime | None, *, fetched_at: datetime) -> pd.DataFrame:
        """Read the enrollments of the configured courses changed since `since`.

        Calls: ``POST /oauth2/token``, ``GET /learn/v1/courses/{id}``,
        ``/course/v1/courses/enrollments`` or ``/learn/v1/enrollments`` (with
        ``updated_from``), ``/manage/v1/user/{id}`` or ``/manage/v1/user``.

        Args:
            since: only enrollments Docebo changed at or after this (UTC) are read
                (``updated_from``); None reads everything.
            fetched_at: the batch clock, stored in `FETCHED_AT`.

        Returns:
            The canonical completion frame.

        Raises:
            SourceAuthError: bad client, secret or login; a token refused after renewal;
                a permission missing (403) where no fallback applies.
            SourceConfigError: a configured course does not exist.
            SourceUnavailable: Docebo kept throttling, timing out or failing.
            SourceError: any other failure, including a paging loop.
        """
        secret, password = self._secrets
        api = ApiClient(
            f"{self.base_url}/",
            vendor="Docebo",
            classify=classify_docebo,
            auth=self._authenticator(),
            retry=self._retry,
            timeout=self.timeout,
            transport=self._transport,
            secrets=[s for s in (secret, password) if s],
        )
        with api:
            courses = {cid: self._course(api, cid) for cid in self.course_ids}
            endpoint, items = self._enrollments(api, since)
            rows = [r for r in (self._normalise(endpoint, i, courses) for i in items) if r]
            users = self._users(api, sorted({str(r["user_id"]) for r in rows}, key=_numeric))
        records = [
            {**self._record(row, users, endpoint, fetched_at), ROW_NUMBER: n}
            for n, row in enumerate(rows, start=1)
        ]
        logger.info("read %d rows from Docebo source %s (%s)", len(records), self.name, endpoint)
        return to_completion_frame(records)

    def _authenticator(self) -> Authenticator:
        secret, password = self._secrets
        if self.username is not None and password is not None:
            return DoceboPasswordGrant(
                "oauth2/token", self.client_id, secret, self.username, password, clock=self._clock
            )
        return OAuth2ClientCredentials(
            "oauth2/token", self.client_id, secret, scope="api", style="form", clock=self._clock
        )

    def _list(self, api: ApiClient, path: str, what: str, params: dict[str, Any]) -> list[JSONDict]:
        def fetch(cursor: PageCursor | None) -> tuple[list[JSONDict], PageCursor | None]:
            return read_page(api, path, what, params, cursor, self.page_size)

        return list(paginate(fetch, what=what, redact=api.redact))

    def _course(self, api: ApiClient, course_id: int) -> JSONDict:
        body = api.get_json(f"learn/v1/courses/{course_id}", what=f"Docebo course {course_id}")
        data = body.get("data") if isinstance(body, dict) else None
        return data if isinstance(data, dict) else {}

    def _enrollments(
        self, api: ApiClient, since: datetime | None
    ) -> tuple[Literal["course", "learn"], list[JSONDict]]:
        changed = {"updated_from": wire_time(since)} if since is not None else {}
        if self.enrollment_endpoint != "learn":
            course_filter = {"course_id[]": [str(c) for c in self.course_ids]}
            try:
                what = "Docebo enrollments (course service)"
                return "course", self._list(api, _COURSE_SERVICE, what, changed | course_filter)
            except (DoceboForbidden, SourceConfigError) as exc:
                if self.enrollment_endpoint == "course":
                    raise
                logger.warning("%s; falling back to /learn/v1/enrollments", exc)
        types = {"type[]": ["elearning", "classroom", "webinar"]}
        return "learn", self._list(api, _LEARN, "Docebo enrollments (learn)", changed | types)

    def _normalise(
        self, endpoint: Literal["course", "learn"], item: JSONDict, courses: dict[int, JSONDict]
    ) -> JSONDict | None:
        row = learner_enrollment(endpoint, item)
        course_id = _numeric(str(row["course_id"])) if row else -1
        if row is None or (self.course_ids and course_id not in self.course_ids):
            return None
        course = courses.get(course_id, {})
        fallback = {k: row[k] or course.get(k) for k in ("code", "name")}
        return row | fallback

    def _users(self, api: ApiClient, user_ids: list[str]) -> dict[str, JSONDict]:
        """Users by id: one call each, or the whole listing when that takes fewer calls."""
        if len(user_ids) > self.page_size:
            listing = self._list(api, "manage/v1/user", "Docebo users", {})
            return {str(u.get("user_id")): u for u in listing}
        users = {}
        for uid in user_ids:
            try:
                body = api.get_json(f"manage/v1/user/{uid}", what=f"Docebo user {uid}")
            except SourceConfigError:
                logger.warning("Docebo user %s not found; no email or name for them", uid)
                continue
            data = body.get("data") if isinstance(body, dict) else None
            if isinstance(data, dict):
                users[uid] = data.get("user_data", data)
        return users

    def _record(
        self,
        row: JSONDict,
        users: dict[str, JSONDict],
        endpoint: str,
        fetched_at: datetime,
    ) -> dict[str, object]:
        errors: list[str] = []
        uid, cid = str(row["user_id"]), str(row["course_id"])
        user = users.get(uid, {})
        completed_at = parse_docebo_time(row["completed_at"], COMPLETED_AT, errors)
        score = _score(row["score"], errors)
        email = str(user.get("email") or "").strip().lower()
        full_name = f"{user.get('first_name') or ''} {user.get('last_name') or ''}".strip()
        status = row["status"]
        return {
            SOURCE: self.name,
            SOURCE_SYSTEM: _SYSTEM,
            SOURCE_RECORD_ID: f"{uid}:{cid}",
            LEARNER_ID: uid,
            LEARNER_EMAIL: email or None,
            LEARNER_NAME: full_name or user.get("username") or row["raw"].get("username"),
            COURSE_ID: str(row["code"] or cid),
            COURSE_NAME: row["name"],
            COMPLETED: None if status is None else status == "completed",
            COMPLETED_AT: completed_at,
            SCORE: score,
            SCORE_KIND: "course_total" if score is not None else "none",
            MODULES_COMPLETED: None,
            MODULES_TOTAL: None,
            PROGRESS_PCT: None,
            FETCHED_AT: fetched_at,
            RAW: {"endpoint": endpoint, "enrollment": row["raw"]},
            PARSE_ERRORS: tuple(errors),
        }


def _score(value: Any, errors: list[str]) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        errors.append(f"{SCORE}: {value!r} is not a number")
        return None


def _numeric(value: str) -> int:
    return int(value) if value.isdigit() else -1
