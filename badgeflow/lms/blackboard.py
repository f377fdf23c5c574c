"""Completions from Blackboard Learn (Anthology), read through its public REST API.

Auth is two-legged OAuth2: the REST application's key and secret (HTTP Basic) buy a bearer
token at ``/learn/api/public/v1/oauth2/token``; it is cached until shortly before it expires
and renewed once after a 401. Listings page through ``paging.nextPage``.

Learn keeps no course-completion record: completion is derived from the gradebook columns
each course names in its `BlackboardCourseRule` (see `badgeflow.lms._blackboard_rules` for
the exact rule). The canonical `COURSE_ID` is the course's ``courseId`` (the id people see,
``DS101``), not the primary key (``_101_1``); either can be configured.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import quote, urljoin

import httpx
import pandas as pd

from badgeflow.errors import SourceAuthError, SourceConfigError, SourceError, SourceUnavailable
from badgeflow.lms._blackboard_rules import (
    BlackboardCourseRule,
    Outcome,
    course_key,
    derive,
    resolve_columns,
)
from badgeflow.lms._frame import to_completion_frame
from badgeflow.lms._http import (
    ApiClient,
    OAuth2ClientCredentials,
    RetryPolicy,
    classify_http,
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

__all__ = ["BlackboardCourseRule", "BlackboardSource", "classify_blackboard"]

logger = logging.getLogger(__name__)

_SYSTEM: Final = "blackboard"
_TOKEN_PATH: Final = "v1/oauth2/token"


def classify_blackboard(response: httpx.Response, what: str) -> SourceError | None:
    """Learn's verdict on a response, read from its ``RestException`` body.

    429 means the application's call quota is spent (transient; the usage headers are
    quoted); 401 an invalid or expired token; 403 a missing entitlement; 404 an unknown
    course or column (`SourceConfigError`). The rest follows `classify_http`.

    Args:
        response: the answer.
        what: names the call in messages.

    Returns:
        None, or the error to raise.
    """
    status = response.status_code
    message = _message(response)
    if status == 429:
        remaining = response.headers.get("X-Rate-Limit-Remaining", "?")
        return SourceUnavailable(f"{what}: Blackboard rate limit exceeded (remaining {remaining})")
    if status == 401:
        return SourceAuthError(f"{what}: HTTP 401: {message or 'invalid or expired token'}")
    if status == 403:
        return SourceAuthError(
            f"{what}: HTTP 403: {message or 'forbidden'} (check the REST application's "
            "entitlements and the role of the user it acts as)"
        )
    if status == 404:
        return SourceConfigError(f"{what}: HTTP 404: {message or 'not found'}")
    return classify_http(response, what)


class BlackboardSource:
    """A `CompletionSource` deriving completions from Blackboard Learn gradebooks.

    One row per student membership per configured course.

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
        courses: Sequence[BlackboardCourseRule],
        timeout: float = 30.0,
        page_size: int = 100,
        retry: RetryPolicy | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """Configure the source; nothing is requested until `fetch_completions`.

        Args:
            name: the configured source name.
            base_url: the Learn host, e.g. ``https://learn.example.edu``.
            client_id: the REST application key.
            client_secret: the REST application secret (never logged).
            courses: one completion rule per course to read.
            timeout: seconds allowed per HTTP request.
            page_size: ``limit`` per page (Learn caps it at 100 on most listings).
            retry: how transient failures are retried (default `RetryPolicy()`).
            clock: the time source of the token cache.
        """
        if not 1 <= page_size <= 100:
            raise ValueError("page_size must be between 1 and 100")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self._secret = client_secret
        self.courses = tuple(courses)
        self.timeout = timeout
        self.page_size = page_size
        self._retry = retry
        self._auth = OAuth2ClientCredentials(
            _TOKEN_PATH, client_id, client_secret, style="basic", clock=clock
        )

    def __repr__(self) -> str:
        return f"BlackboardSource(name={self.name!r}, base_url={self.base_url!r})"

    @property
    def tokens_fetched(self) -> int:
        """How many access tokens this source has requested so far."""
        return self._auth.tokens_fetched

    def fetch_completions(self, since: datetime | None, *, fetched_at: datetime) -> pd.DataFrame:
        """Derive every student's completion in the configured courses from the gradebook.

        Learn has no "completed since" filter, so `since` is applied here: completions
        before it are dropped; students who have not completed are always returned.

        Calls: ``POST /learn/api/public/v1/oauth2/token``, ``GET v3/courses/{courseId}``,
        ``v1/courses/{id}/users``, ``v2/courses/{id}/gradebook/columns``,
        ``.../columns/{columnId}/users``, ``.../columns/{columnId}/attempts``.

        Args:
            since: completions before this (UTC) are dropped; None keeps everything.
            fetched_at: the batch clock, stored in `FETCHED_AT`.

        Returns:
            The canonical completion frame.

        Raises:
            SourceAuthError: bad application key or secret, or a missing entitlement.
            SourceConfigError: a configured course or gradebook column does not exist.
            SourceUnavailable: Learn kept throttling, timing out or failing.
            SourceError: any other failure, including a paging loop.
        """
        records: list[dict[str, object]] = []
        api = ApiClient(
            f"{self.base_url}/learn/api/public/",
            vendor="Blackboard",
            classify=classify_blackboard,
            auth=self._auth,
            retry=self._retry,
            timeout=self.timeout,
            secrets=[self._secret],
        )
        with api:
            for rule in self.courses:
                for record in self._course_records(api, rule, since, fetched_at):
                    records.append({**record, ROW_NUMBER: len(records) + 1})
        logger.info("read %d rows from Blackboard source %s", len(records), self.name)
        return to_completion_frame(records)

    def _list(self, api: ApiClient, path: str, what: str, **params: Any) -> list[JSONDict]:
        """Every item of a listing, following ``paging.nextPage`` (server-relative)."""

        def fetch(url: str | None) -> tuple[list[JSONDict], str | None]:
            query = None if url else {**params, "limit": self.page_size}
            page = api.get_json(url or path, what=what, params=query)
            results = page.get("results") if isinstance(page, dict) else None
            if not isinstance(results, list):
                raise SourceError(f"{what}: expected {{'results': [...]}}")
            following = (page.get("paging") or {}).get("nextPage")
            return results, urljoin(self.base_url + "/", following) if following else None

        return list(paginate(fetch, what=what, redact=api.redact))

    def _course_records(
        self,
        api: ApiClient,
        rule: BlackboardCourseRule,
        since: datetime | None,
        fetched_at: datetime,
    ) -> list[dict[str, object]]:
        what = f"Blackboard course {rule.course}"
        course = api.get_json(f"v3/courses/{quote(course_key(rule.course), safe=':')}", what=what)
        cid = quote(str(course["id"]), safe="")
        members = self._list(
            api, f"v1/courses/{cid}/users", f"{what} memberships", expand="user", role="Student"
        )
        columns = self._list(api, f"v2/courses/{cid}/gradebook/columns", f"{what} columns")
        modules, final = resolve_columns(rule, columns, what)
        grades: dict[str, dict[str, JSONDict]] = {}
        attempts: dict[str, dict[str, list[JSONDict]]] = {}
        for column in [*modules, *([final] if final else [])]:
            col = str(column["id"])
            base = f"v2/courses/{cid}/gradebook/columns/{quote(col, safe='')}"
            listed = self._list(api, f"{base}/users", f"{what} grades of column {col}")
            grades[col] = {str(g.get("userId")): g for g in listed}
            attempts[col] = defaultdict(list)
            if (column.get("grading") or {}).get("type") == "Attempts":
                for a in self._list(api, f"{base}/attempts", f"{what} attempts of column {col}"):
                    attempts[col][str(a.get("userId"))].append(a)
        rows, seen = [], set()
        for member in members:
            uid = str(member.get("userId"))
            if uid in seen:
                continue
            seen.add(uid)
            mine = {c: g[uid] for c, g in grades.items() if uid in g}
            tries = {c: a.get(uid, []) for c, a in attempts.items()}
            outcome = derive(rule, modules, final, mine, tries)
            if since is not None and outcome.completed_at and outcome.completed_at < since:
                continue
            raw = {"membership": member, "grades": mine, "attempts": tries}
            rows.append(self._record(course, uid, member, outcome, raw, fetched_at))
        return rows

    def _record(
        self,
        course: JSONDict,
        uid: str,
        member: JSONDict,
        out: Outcome,
        raw: JSONDict,
        at: datetime,
    ) -> dict[str, object]:
        user = member.get("user") or {}
        name = user.get("name") or {}
        full = " ".join(p for p in (name.get("given"), name.get("family")) if p)
        email = ((user.get("contact") or {}).get("email") or "").strip().lower()
        done, total = out.modules_completed, out.modules_total
        return {
            SOURCE: self.name,
            SOURCE_SYSTEM: _SYSTEM,
            SOURCE_RECORD_ID: f"{uid}:{course['id']}",
            LEARNER_ID: uid,
            LEARNER_EMAIL: email or None,
            LEARNER_NAME: full or user.get("userName"),
            COURSE_ID: course.get("courseId") or str(course["id"]),
            COURSE_NAME: course.get("name"),
            COMPLETED: out.completed,
            COMPLETED_AT: out.completed_at,
            SCORE: out.score,
            SCORE_KIND: out.score_kind,
            MODULES_COMPLETED: done,
            MODULES_TOTAL: total,
            PROGRESS_PCT: done / total * 100 if done is not None and total else None,
            FETCHED_AT: at,
            RAW: raw,
            PARSE_ERRORS: tuple(out.errors),
        }


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        text = body.get("message") or body.get("error_description") or body.get("error")
        return str(text) if text else ""
    return ""
