"""Completions from SAP Litmos, read through its Developer API (``apikey`` header).

Every call carries the ``source`` query parameter (the calling application's name, which
Litmos requires) and ``format=json`` (Litmos answers XML otherwise). Listings page with
``start``/``limit`` (at most 1000): a page shorter than ``limit`` is the last.

Course results come from ``/results/details``, Litmos's own incremental feed: ``since``
is sent to the server, so only results updated since then come back. Litmos dates carry
no zone and are UTC. Modules and the final assessment's score come from the course's
``/modules`` and ``/org/modules/results``; the latter is read whole, because a module
finished before `since` still counts towards a result updated after it. The canonical
`COURSE_ID` is the course ``Code`` when set, else its id; ``course_ids`` name Litmos
course ids (the encrypted ``Id``s the API uses).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import httpx
import pandas as pd

from badgeflow.errors import SourceConfigError, SourceError, SourceUnavailable
from badgeflow.lms._frame import to_completion_frame
from badgeflow.lms._http import ApiClient, RetryPolicy, classify_http, paginate
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

__all__ = ["LitmosSource", "classify_litmos"]

logger = logging.getLogger(__name__)

_SYSTEM: Final = "litmos"
_MAX_LIMIT: Final = 1000
_WCF_DATE: Final = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def classify_litmos(response: httpx.Response, what: str) -> SourceError | None:
    """Litmos's verdict on a response.

    503 is how Litmos says its rate limit (100 calls a minute per key) is exceeded:
    transient, like the other 5xx. 401 (bad key, API not enabled) and 403 are permanent
    auth errors; 404 means a configured course does not exist (`SourceConfigError`); 406
    is a rejected ``since`` date or ``limit``, a plain `SourceError`.

    Args:
        response: the answer.
        what: names the call in messages.

    Returns:
        None, or the error to raise.
    """
    status = response.status_code
    text = response.text.strip()[:200]
    if status == 503:
        return SourceUnavailable(f"{what}: Litmos HTTP 503: {text or 'rate limit exceeded'}")
    found = classify_http(response, what)
    if found is None:
        return None
    if status == 404:
        return SourceConfigError(f"{what}: HTTP 404: {text or 'not found'}")
    return type(found)(f"{found}: {text}") if text else found


class LitmosSource:
    """A `CompletionSource` reading course results, module results and scores from Litmos.

    Attributes:
        name: the configured source name, stored in `SOURCE`.
    """

    def __init__(
        self,
        name: str,
        base_url: str,
        api_key: str,
        *,
        source_app: str = "badgeflow",
        course_ids: Sequence[str] = (),
        final_assessment: str | None = None,
        page_size: int = _MAX_LIMIT,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """Configure the source; nothing is requested until `fetch_completions`.

        Args:
            name: the configured source name.
            base_url: the API root, e.g. ``https://api.litmos.com/v1.svc``.
            api_key: the account's API key (never logged).
            source_app: the ``source`` parameter naming this application (50 characters at most).
            course_ids: Litmos course ids; empty reads every course with results.
            final_assessment: id or name of the module holding the final assessment;
                unset gives no score. A configured course must have it; other courses
                without it get no score.
            page_size: ``limit`` per page (Litmos allows at most 1000).
            timeout: seconds allowed per HTTP request.
            retry: how transient failures are retried (default `RetryPolicy()`).
            transport: an httpx transport to use instead of the network (tests).
        """
        if not 1 <= page_size <= _MAX_LIMIT:
            raise ValueError(f"page_size must be between 1 and {_MAX_LIMIT}")
        if not 1 <= len(source_app) <= 50:
            raise ValueError("source_app must have 1 to 50 characters")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.source_app = source_app
        self.course_ids = tuple(course_ids)
        self.final_assessment = final_assessment
        self.page_size = page_size
        self.timeout = timeout
        self._retry = retry
        self._transport = transport

    def __repr__(self) -> str:
        return f"LitmosSource(name={self.name!r}, base_url={self.base_url!r})"

    def fetch_completions(self, since: datetime | None, *, fetched_at: datetime) -> pd.DataFrame:
        """Read the course results updated since `since`, with modules and scores.

        Calls: ``GET /courses/<id>`` (each configured course), ``/results/details?since``,
        ``/courses/<id>/modules``, ``/org/modules/results``.

        Args:
            since: only results Litmos updated at or after this (UTC); None reads all.
            fetched_at: the batch clock, stored in `FETCHED_AT`.

        Returns:
            The canonical completion frame.

        Raises:
            SourceAuthError: the API key is wrong, or the API is not enabled.
            SourceConfigError: a configured course or final assessment does not exist.
            SourceUnavailable: Litmos kept throttling (503), timing out or failing.
            SourceError: any other failure, including a paging loop.
        """
        api = ApiClient(
            self.base_url + "/",
            vendor="Litmos",
            classify=classify_litmos,
            retry=self._retry,
            timeout=self.timeout,
            transport=self._transport,
            secrets=[self._api_key],
            headers={"apikey": self._api_key, "Accept": "application/json"},
        )
        records: list[dict[str, object]] = []
        with api:
            for cid in self.course_ids:
                self._get(api, f"courses/{cid}", f"Litmos course {cid}")
            window = {"since": _litmos_date(since)} if since is not None else {}
            results = self._paged(api, "results/details", "Litmos results", window, _result_key)
            if self.course_ids:
                results = [r for r in results if r.get("CourseId") in self.course_ids]
            if results:
                modules = self._course_modules(api, {str(r.get("CourseId")) for r in results})
                attempts = _latest_attempts(
                    self._paged(
                        api, "org/modules/results", "Litmos module results", {}, _attempt_key
                    )
                )
                for result in results:
                    record = self._record(result, modules, attempts, fetched_at)
                    records.append({**record, ROW_NUMBER: len(records) + 1})
        logger.info("read %d rows from Litmos source %s", len(records), self.name)
        return to_completion_frame(records)

    def _get(self, api: ApiClient, path: str, what: str, **params: Any) -> Any:
        query = {"source": self.source_app, "format": "json", **params}
        return api.get_json(path, what=what, params=query)

    def _paged(
        self,
        api: ApiClient,
        path: str,
        what: str,
        params: dict[str, str],
        key: Callable[[JSONDict], object],
    ) -> list[JSONDict]:
        """Every item of a ``start``/``limit`` listing, refusing a server that repeats pages."""
        seen: set[object] = set()

        def fetch(start: int | None) -> tuple[list[JSONDict], int | None]:
            offset = start or 0
            page = self._get(api, path, what, start=offset, limit=self.page_size, **params)
            if not isinstance(page, list):
                raise SourceError(f"{what}: expected a JSON array, got {type(page).__name__}")
            keys = {key(item) for item in page}
            if page and keys <= seen:
                raise SourceError(
                    f"{what}: paging loop: start={offset} returned only items already read; "
                    "refusing to read forever"
                )
            seen.update(keys)
            return page, offset + len(page) if len(page) >= self.page_size else None

        return list(paginate(fetch, what=what, redact=api.redact))

    def _course_modules(self, api: ApiClient, course_ids: set[str]) -> dict[str, _Modules]:
        found = {}
        for cid in sorted(course_ids):
            listing = self._get(api, f"courses/{cid}/modules", f"Litmos modules of course {cid}")
            ids = [str(m.get("Id")) for m in listing]
            final = None
            if self.final_assessment:
                wanted = self.final_assessment
                match = next((m for m in listing if wanted in (m.get("Id"), m.get("Name"))), None)
                if match is None and cid in self.course_ids:
                    raise SourceConfigError(
                        f"Litmos course {cid}: no module {wanted!r} (final_assessment)"
                    )
                final = str(match.get("Id")) if match is not None else None
            found[cid] = _Modules(ids, final)
        return found

    def _record(
        self,
        result: JSONDict,
        modules: dict[str, _Modules],
        attempts: dict[tuple[str, str], JSONDict],
        fetched_at: datetime,
    ) -> dict[str, object]:
        errors: list[str] = []
        uid, cid = str(result.get("Id")), str(result.get("CourseId"))
        course = modules[cid]
        mine = [attempts.get((uid, m), {}) for m in course.ids]
        final = attempts.get((uid, course.final), {}) if course.final else {}
        score = _number(final.get("Score"), SCORE, errors)
        completed = bool(result.get("Complete"))
        completed_at = _timestamp(result.get("CompletedDate"), errors) if completed else None
        if completed and completed_at is None and not errors:
            errors.append(f"{COMPLETED_AT}: complete without CompletedDate")
        email = str(result.get("Email") or "").strip().lower()
        name = " ".join(p for p in (result.get("FirstName"), result.get("LastName")) if p)
        return {
            SOURCE: self.name,
            SOURCE_SYSTEM: _SYSTEM,
            SOURCE_RECORD_ID: f"{uid}:{cid}",
            LEARNER_ID: uid,
            LEARNER_EMAIL: email or None,
            LEARNER_NAME: name or None,
            COURSE_ID: str(result.get("Code") or cid),
            COURSE_NAME: result.get("CourseName"),
            COMPLETED: completed,
            COMPLETED_AT: completed_at,
            SCORE: score,
            SCORE_KIND: "final_assessment" if score is not None else "none",
            MODULES_COMPLETED: sum(1 for a in mine if a.get("Completed") is True),
            MODULES_TOTAL: len(course.ids),
            PROGRESS_PCT: _number(result.get("PercentageComplete"), PROGRESS_PCT, errors),
            FETCHED_AT: fetched_at,
            RAW: {"result": result, "final_module": final},
            PARSE_ERRORS: tuple(errors),
        }


class _Modules:
    """A course's module ids, and which one is the final assessment."""

    def __init__(self, ids: list[str], final: str | None) -> None:
        self.ids = ids
        self.final = final


def _result_key(item: JSONDict) -> object:
    return (item.get("Id"), item.get("CourseId"))


def _attempt_key(item: JSONDict) -> object:
    return item.get("ModuleResultId") or (
        item.get("UserId"),
        item.get("Id"),
        item.get("AttemptNumber"),
    )


def _latest_attempts(items: list[JSONDict]) -> dict[tuple[str, str], JSONDict]:
    """The latest attempt per (user id, module id)."""
    latest: dict[tuple[str, str], JSONDict] = {}
    for item in items:
        key = (str(item.get("UserId")), str(item.get("Id")))
        kept = latest.get(key)
        if kept is None or int(item.get("AttemptNumber") or 0) >= int(
            kept.get("AttemptNumber") or 0
        ):
            latest[key] = item
    return latest


def _litmos_date(value: datetime) -> str:
    """``since`` as Litmos accepts it: ``yyyy-MM-dd HH:mm:ss`` in UTC."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _timestamp(value: Any, errors: list[str]) -> datetime | None:
    """A Litmos date: ISO 8601 (zone-less means UTC) or WCF ``/Date(ms+zzzz)/``."""
    if value in (None, ""):
        return None
    text = str(value)
    wcf = _WCF_DATE.match(text)
    try:
        if wcf:
            return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(wcf.group(1)))
        parsed = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        errors.append(f"{COMPLETED_AT}: {value!r} is not a date")
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _number(value: Any, column: str, errors: list[str]) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        errors.append(f"{column}: {value!r} is not a number")
        return None
