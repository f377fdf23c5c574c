"""Completions from 360Learning, read through its API v2 (OAuth2 client credentials).

A token comes from ``POST /api/v2/oauth2/token`` (JSON body, valid one hour), is reused for
every call of a fetch and renewed before it expires or after a 401; every call also carries
the mandatory ``360-api-version: v2.0`` header. Course completions are course *attempts*
(``GET /courses/stats``): one row per attempt, keyed by the attempt's ``_id``, completed when
``completedAt`` is set, scored by the attempt's ``score`` (already a percentage). Path
completions (``GET /paths/stats``) are one row per learner per path session, completed when
``status.type`` is ``successful``. Both listings take ``completedAt[gte]``, so incremental
pulls are filtered by 360Learning, and page with ``Link: rel="next"`` cursors that keep the
filters. Ids are 24-hex ObjectIds; the canonical `COURSE_ID` is the course's or path's id.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Final
from urllib.parse import urlencode

import httpx
import pandas as pd

from badgeflow.errors import ConfigurationError, SourceConfigError, SourceError
from badgeflow.lms._frame import to_completion_frame
from badgeflow.lms._http import ApiClient, OAuth2ClientCredentials, RetryPolicy, next_link, paginate
from badgeflow.lms._learning360_wire import (
    UserNotFound,
    classify_360learning,
    filter_time,
    percent,
    timestamp,
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

__all__ = ["Learning360Source", "classify_360learning"]

logger = logging.getLogger(__name__)

_SYSTEM: Final = "360learning"
_OBJECT_ID: Final = re.compile(r"^[a-fA-F0-9]{24}$")


class Learning360Source:
    """A `CompletionSource` reading course attempts and path statistics from 360Learning.

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
        course_ids: Sequence[str] = (),
        path_ids: Sequence[str] = (),
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """Configure the source; nothing is requested until `fetch_completions`.

        Args:
            name: the configured source name.
            base_url: the platform, ``https://app.360learning.com`` (EU) or
                ``https://app.us.360learning.com`` (US).
            client_id: the API v2 client id.
            client_secret: its secret (never logged).
            course_ids: courses to read; empty reads every course's statistics.
            path_ids: paths to read as well (none by default).
            timeout: seconds allowed per HTTP request.
            retry: how transient failures are retried (default `RetryPolicy()`).
            transport: an httpx transport to use instead of the network (tests).
            clock: returns the current UTC time, for token expiry (default: system clock).

        Raises:
            ConfigurationError: an id is not a 24-hex ObjectId.
        """
        for key in (*course_ids, *path_ids):
            if not _OBJECT_ID.match(key):
                raise ConfigurationError(f"360Learning id {key!r} is not a 24-hex ObjectId")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self.course_ids = tuple(course_ids)
        self.path_ids = tuple(path_ids)
        self.timeout = timeout
        self._retry = retry
        self._transport = transport
        self._clock = clock or (lambda: datetime.now(UTC))

    def __repr__(self) -> str:
        return f"Learning360Source(name={self.name!r}, base_url={self.base_url!r})"

    def fetch_completions(self, since: datetime | None, *, fetched_at: datetime) -> pd.DataFrame:
        """Read course attempts (and path statistics) completed at or after `since`.

        With `since`, 360Learning filters on ``completedAt[gte]`` (whole seconds), so only
        completed attempts come back; without it, every attempt, in progress or not.

        Calls: ``POST /api/v2/oauth2/token``; ``GET /api/v2/courses/{id}``,
        ``/courses/stats``, ``/paths/{id}``, ``/paths/stats``, ``/users/{id}``.

        Args:
            since: completions before this (UTC) are not read; None reads everything.
            fetched_at: the batch clock, stored in `FETCHED_AT`.

        Returns:
            The canonical completion frame.

        Raises:
            SourceAuthError: bad client credentials, or a scope the client lacks.
            SourceConfigError: a configured course or path does not exist.
            SourceUnavailable: 360Learning kept throttling, timing out or failing.
            SourceError: any other failure, including a paging loop.
        """
        auth = OAuth2ClientCredentials(
            "oauth2/token", self.client_id, self._secret, style="json_snake", clock=self._clock
        )
        api = ApiClient(
            f"{self.base_url}/api/v2/",
            vendor="360Learning",
            classify=classify_360learning,
            auth=auth,
            retry=self._retry,
            timeout=self.timeout,
            transport=self._transport,
            secrets=[self._secret],
            headers={"360-api-version": "v2.0", "Accept": "application/json"},
        )
        window = {"completedAt[gte]": filter_time(since)} if since is not None else {}
        with api:
            reader = _Reader(api)
            items: list[tuple[str, JSONDict]] = []
            for cid in self.course_ids:
                reader.name("courses", cid, required=True)
                items += reader.stats("courses", {"courseId[eq]": cid, **window})
            if not self.course_ids:
                items += reader.stats("courses", window)
            for pid in self.path_ids:
                reader.name("paths", pid, required=True)
                items += reader.stats("paths", {"pathId[in][0]": pid, **window})
            records = [
                {**reader.record(kind, item, self.name, fetched_at), ROW_NUMBER: n}
                for n, (kind, item) in enumerate(items, start=1)
            ]
        logger.info("read %d rows from 360Learning source %s", len(records), self.name)
        return to_completion_frame(records)


class _Reader:
    """The calls of one fetch, with the course, path and user lookups cached."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self._names: dict[tuple[str, str], str | None] = {}
        self._users: dict[str, JSONDict] = {}

    def stats(self, kind: str, filters: dict[str, str]) -> list[tuple[str, JSONDict]]:
        what = f"360Learning {kind.removesuffix('s')} statistics"
        first = f"{kind}/stats" + (f"?{urlencode(filters, safe='[]:')}" if filters else "")

        def fetch(url: str | None) -> tuple[list[JSONDict], str | None]:
            response = self.api.request("GET", url or first, what=what)
            page = self.api.json_of(response, what)
            if not isinstance(page, list):
                raise SourceError(f"{what}: expected a JSON array, got {type(page).__name__}")
            # Resolved against this page's URL: the link may be absolute or root-relative.
            link = next_link(response)
            return page, str(response.url.join(link)) if link else None

        return [(kind, item) for item in paginate(fetch, what=what, redact=self.api.redact)]

    def name(self, kind: str, key: str, *, required: bool = False) -> str | None:
        if (kind, key) not in self._names:
            noun = kind.removesuffix("s")
            try:
                found = self.api.get_json(f"{kind}/{key}", what=f"360Learning {noun} {key}")
            except SourceConfigError:
                if required:
                    raise
                logger.warning("360Learning %s %s no longer exists", noun, key)
                found = {}
            self._names[kind, key] = found.get("name") if isinstance(found, dict) else None
        return self._names[kind, key]

    def user(self, key: str) -> JSONDict:
        if key not in self._users:
            try:
                found = self.api.get_json(f"users/{key}", what=f"360Learning user {key}")
            except UserNotFound:
                logger.warning("360Learning user %s not found (erased?)", key)
                found = {}
            self._users[key] = found if isinstance(found, dict) else {}
        return self._users[key]

    def record(self, kind: str, item: JSONDict, source: str, fetched_at: datetime) -> JSONDict:
        errors: list[str] = []
        course_key = str(item.get("courseId" if kind == "courses" else "pathId") or "")
        uid = str(item.get("userId") or "")
        user = self.user(uid) if _OBJECT_ID.match(uid) else {}
        if kind == "courses":
            completed_at = timestamp(item.get("completedAt"), errors)
            completed: bool | None = completed_at is not None
        else:
            status = item.get("status")
            completed = isinstance(status, dict) and status.get("type") == "successful"
            completed_at = timestamp(item.get("completedAt"), errors) if completed else None
            if completed and completed_at is None:
                errors.append(f"{COMPLETED_AT}: path status successful without completedAt")
        score = percent(item.get("score"), SCORE, errors)
        full_name = " ".join(str(user.get(k) or "") for k in ("firstName", "lastName")).strip()
        email = str(user.get("mail") or "").strip().lower()
        return {
            SOURCE: source,
            SOURCE_SYSTEM: _SYSTEM,
            SOURCE_RECORD_ID: str(item.get("_id") or f"{uid}:{course_key}"),
            LEARNER_ID: uid,
            LEARNER_EMAIL: email or None,
            LEARNER_NAME: full_name or None,
            COURSE_ID: course_key,
            COURSE_NAME: self.name(kind, course_key) if _OBJECT_ID.match(course_key) else None,
            COMPLETED: completed,
            COMPLETED_AT: completed_at,
            SCORE: score,
            SCORE_KIND: "course_total" if score is not None else "none",
            MODULES_COMPLETED: None,
            MODULES_TOTAL: None,
            PROGRESS_PCT: percent(item.get("progress"), PROGRESS_PCT, errors),
            FETCHED_AT: fetched_at,
            RAW: {kind.removesuffix("s") + "_stats": item},
            PARSE_ERRORS: tuple(errors),
        }
