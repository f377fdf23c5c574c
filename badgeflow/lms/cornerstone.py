"""Completions from Cornerstone OnDemand, read through its Reporting API (OData views).

Authentication is OAuth2 client credentials with Cornerstone's camelCase JSON token request
(``/services/api/oauth2/token``); the token is cached until a minute before it expires and
renewed after a 401. Transcripts come from ``vw_rpt_transcript``, learners from
``vw_rpt_user`` and titles from ``vw_rpt_training``, each paged by the server behind
``@odata.nextLink`` (page size asked with ``Prefer: odata.maxpagesize``).

One row per transcript registration (user, learning object, ``reg_num``). A registration is
completed when it has a completion date (``user_lo_comp_dt``) and is in the completed status
group (`completed_status_group`, 11 by default). Incremental pulls filter on the server with
``user_lo_last_modified_dt ge <since>``, so a completion an admin records late, back-dated,
is still read. The canonical `COURSE_ID` is the learning object's GUID, lower-cased.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

import httpx
import pandas as pd

from badgeflow.errors import ConfigurationError, SourceConfigError, SourceError
from badgeflow.lms._cornerstone_wire import (
    MinuteRetryAfter,
    classify_cornerstone,
    parse_number,
    parse_time,
)
from badgeflow.lms._frame import to_completion_frame
from badgeflow.lms._http import ApiClient, OAuth2ClientCredentials, RetryPolicy, paginate
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

__all__ = ["DEFAULT_SCOPE", "CornerstoneSource"]

logger = logging.getLogger(__name__)

DEFAULT_SCOPE: Final = "vw_rpt_transcript:read vw_rpt_user:read vw_rpt_training:read"
"""The scopes the connector asks for: read access to the three views it queries."""

_SYSTEM: Final = "cornerstone"
_GUID: Final = re.compile(r"^[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
_TRANSCRIPT_FIELDS: Final = (
    "transc_user_id,transc_object_id,reg_num,user_lo_status_id,user_lo_status_group_id,"
    "user_lo_score,user_lo_pass,user_lo_comp_dt,user_lo_last_modified_dt,user_lo_pct_complete"
)
_USER_FIELDS: Final = "user_id,user_ref,user_name_first,user_name_last,user_email"
_TRAINING_FIELDS: Final = "lo_object_id,lo_title,lo_object_type"
_CHUNK: Final = 40  # ids per "eq ... or eq ..." filter: keeps URLs well under 8 KB


class CornerstoneSource:
    """A `CompletionSource` reading transcripts from Cornerstone's Reporting API.

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
        scope: str = DEFAULT_SCOPE,
        course_ids: Sequence[str] = (),
        completed_status_group: int | None = 11,
        page_size: int = 1000,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """Configure the source; nothing is requested until `fetch_completions`.

        Args:
            name: the configured source name.
            base_url: the portal root, e.g. ``https://acme.csod.com``.
            client_id: the Edge API client id.
            client_secret: its secret (never logged).
            scope: the scopes to request (space-separated ``<view>:read``, or ``all``).
            course_ids: learning object GUIDs to read; empty reads every transcript.
            completed_status_group: the ``user_lo_status_group_id`` meaning completed;
                None counts any registration with a completion date.
            page_size: rows per page asked with ``Prefer: odata.maxpagesize`` (1 to 1000).
            timeout: seconds allowed per HTTP request.
            retry: how transient failures are retried (default `RetryPolicy()`).
            transport: an httpx transport to use instead of the network (tests).
            clock: the token cache's clock (tests pass a fake one).

        Raises:
            ConfigurationError: a course id is not a GUID, or the page size is out of range.
        """
        if not 1 <= page_size <= 1000:
            raise ConfigurationError("page_size must be between 1 and 1000")
        bad = [c for c in course_ids if not _GUID.match(c)]
        if bad:
            raise ConfigurationError(f"Cornerstone course ids must be LO GUIDs, not {bad!r}")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.course_ids = tuple(c.lower() for c in course_ids)
        self.completed_status_group = completed_status_group
        self.page_size = page_size
        self.timeout = timeout
        self._secret = client_secret
        self._retry = retry
        self._transport = transport
        self.auth = OAuth2ClientCredentials(
            f"{self.base_url}/services/api/oauth2/token",
            client_id,
            client_secret,
            scope=scope,
            style="json",
            clock=clock,
        )

    def __repr__(self) -> str:
        return f"CornerstoneSource(name={self.name!r}, base_url={self.base_url!r})"

    def fetch_completions(self, since: datetime | None, *, fetched_at: datetime) -> pd.DataFrame:
        """Read the transcripts changed since `since`, with their learners and titles.

        Calls: ``POST /services/api/oauth2/token`` (when no cached token is fresh);
        ``GET /services/api/x/odata/api/views/vw_rpt_training``, ``vw_rpt_transcript``,
        ``vw_rpt_user`` (``$filter``, ``$select``, following ``@odata.nextLink``).

        Args:
            since: transcripts last modified before this (UTC) are not read; None reads all.
            fetched_at: the batch clock, stored in `FETCHED_AT`.

        Returns:
            The canonical completion frame.

        Raises:
            SourceAuthError: the client was refused, or its token lacks a view's scope.
            SourceConfigError: a configured learning object does not exist.
            SourceUnavailable: Cornerstone kept throttling, timing out or failing.
            SourceError: any other failure, including a paging loop.
        """
        api = ApiClient(
            f"{self.base_url}/services/api/x/odata/api/",
            vendor="Cornerstone",
            classify=classify_cornerstone,
            auth=self.auth,
            retry=self._retry,
            timeout=self.timeout,
            transport=MinuteRetryAfter(self._transport),
            secrets=[self._secret],
            headers={"Accept": "application/json"},
        )
        with api:
            trainings = self._trainings(api, self.course_ids) if self.course_ids else {}
            missing = sorted(set(self.course_ids) - set(trainings))
            if missing:
                raise SourceConfigError(f"Cornerstone has no learning object {missing}")
            transcripts = self._latest(self._transcripts(api, since))
            unseen = {str(t.get("transc_object_id")).lower() for t in transcripts} - set(trainings)
            trainings |= self._trainings(api, sorted(unseen))
            ids = {t.get("transc_user_id") for t in transcripts}
            users = self._users(api, sorted(i for i in ids if isinstance(i, int)))
        records = [
            {**self._record(t, users, trainings, fetched_at), ROW_NUMBER: n}
            for n, t in enumerate(transcripts, start=1)
        ]
        logger.info("read %d rows from Cornerstone source %s", len(records), self.name)
        return to_completion_frame(records)

    def _view(self, api: ApiClient, view: str, select: str, where: str | None) -> list[JSONDict]:
        """Every row of a view query, following ``@odata.nextLink`` verbatim."""
        what = f"Cornerstone {view}"
        prefer = {"Prefer": f"odata.maxpagesize={self.page_size}"}
        origin = urlsplit(self.base_url)[:2]

        def fetch(url: str | None) -> tuple[list[JSONDict], str | None]:
            params = None if url else {"$select": select} | ({"$filter": where} if where else {})
            response = api.request(
                "GET", url or f"views/{view}", what=what, params=params, headers=prefer
            )
            page = api.json_of(response, what)
            rows = page.get("value") if isinstance(page, dict) else None
            if not isinstance(rows, list):
                raise SourceError(f"{what}: expected an OData payload with a 'value' list")
            following = page.get("@odata.nextLink") or None
            if following is not None and urlsplit(str(following))[:2] != origin:
                raise SourceError(f"{what}: next link leaves {self.base_url}; not followed")
            return rows, following

        return list(paginate(fetch, what=what, redact=api.redact))

    def _transcripts(self, api: ApiClient, since: datetime | None) -> list[JSONDict]:
        conditions = ["is_removed eq false"]
        if since is not None:
            stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            conditions.append(f"user_lo_last_modified_dt ge cast('{stamp}', Edm.DateTimeOffset)")
        if not self.course_ids:
            where = " and ".join(conditions)
            return self._view(api, "vw_rpt_transcript", _TRANSCRIPT_FIELDS, where)
        rows: list[JSONDict] = []
        for chunk in _chunks(self.course_ids):
            courses = _any_of("transc_object_id", chunk)
            where = " and ".join([*conditions, courses])
            rows += self._view(api, "vw_rpt_transcript", _TRANSCRIPT_FIELDS, where)
        return rows

    @staticmethod
    def _latest(rows: list[JSONDict]) -> list[JSONDict]:
        """One row per registration: offset paging over live data can repeat a row."""
        key = ("transc_user_id", "transc_object_id", "reg_num")
        unique = {tuple(str(r.get(k)).lower() for k in key): r for r in rows}
        return list(unique.values())

    def _trainings(self, api: ApiClient, ids: Sequence[str]) -> dict[str, JSONDict]:
        found: dict[str, JSONDict] = {}
        for chunk in _chunks([i for i in ids if _GUID.match(i)]):
            where = _any_of("lo_object_id", chunk)
            for row in self._view(api, "vw_rpt_training", _TRAINING_FIELDS, where):
                found[str(row.get("lo_object_id")).lower()] = row
        return found

    def _users(self, api: ApiClient, ids: Sequence[Any]) -> dict[str, JSONDict]:
        found: dict[str, JSONDict] = {}
        numeric = [str(i) for i in ids if isinstance(i, int)]
        for chunk in _chunks(numeric):
            for row in self._view(api, "vw_rpt_user", _USER_FIELDS, _any_of("user_id", chunk)):
                found[str(row.get("user_id"))] = row
        return found

    def _record(
        self,
        row: JSONDict,
        users: dict[str, JSONDict],
        trainings: dict[str, JSONDict],
        fetched_at: datetime,
    ) -> dict[str, object]:
        errors: list[str] = []
        uid, lo = str(row.get("transc_user_id")), str(row.get("transc_object_id")).lower()
        user, training = users.get(uid, {}), trainings.get(lo, {})
        finished = parse_time(row.get("user_lo_comp_dt"), errors)
        group = row.get("user_lo_status_group_id")
        done = finished is not None and self.completed_status_group in (None, group)
        score = parse_number(row.get("user_lo_score"), "score", errors)
        name = f"{user.get('user_name_first') or ''} {user.get('user_name_last') or ''}".strip()
        email = str(user.get("user_email") or "").strip().lower()
        return {
            SOURCE: self.name,
            SOURCE_SYSTEM: _SYSTEM,
            SOURCE_RECORD_ID: f"{uid}:{lo}:{row.get('reg_num')}",
            LEARNER_ID: uid,
            LEARNER_EMAIL: email or None,
            LEARNER_NAME: name or None,
            COURSE_ID: lo,
            COURSE_NAME: training.get("lo_title"),
            COMPLETED: done,
            COMPLETED_AT: finished if done else None,
            SCORE: score,
            SCORE_KIND: "course_total" if score is not None else "none",
            MODULES_COMPLETED: None,
            MODULES_TOTAL: None,
            PROGRESS_PCT: parse_number(row.get("user_lo_pct_complete"), "progress", errors),
            FETCHED_AT: fetched_at,
            RAW: {"transcript": row, "user": user, "training": training},
            PARSE_ERRORS: tuple(errors),
        }


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    return (ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK))


def _any_of(field: str, values: Iterable[str]) -> str:
    return "(" + " or ".join(f"{field} eq {v}" for v in values) + ")"
