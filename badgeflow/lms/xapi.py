"""Completions from an xAPI Learning Record Store (LRS), read from ``GET /statements``.

Each ``completed``, ``passed`` or ``failed`` statement about a configured activity is one
completion record (``SOURCE_RECORD_ID`` is the statement id, which the LRS never reuses).
``completed``/``passed`` count as completed unless the result says ``success: false`` or
``completion: false``; ``failed`` never does. The score is ``result.score.scaled`` x 100, else
``raw`` within ``min``/``max``. The completion time is the statement's ``timestamp``, capped
at its ``stored`` time (``since`` filters on ``stored``, so the watermark never runs ahead of
what the LRS has stored).

The learner is the actor's ``mbox`` (``mailto:``, which gives the email). ``mbox_sha1sum``,
``account`` (learner id ``<homePage>::<name>``) and ``openid`` actors carry no email: their
rows get a `PARSE_ERRORS` note unless ``identity.mapping_file`` maps them (see
`badgeflow.identity`). Activities map to catalog course ids through the source's
``activities`` setting; statements about other activities are skipped and reported once.
Voided statements are ignored; one voided after it was read is returned again as not
completed, so the stored record stops counting.
"""

from __future__ import annotations

import base64
import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Final
from urllib.parse import urljoin

import httpx
import pandas as pd

from badgeflow.errors import SourceError
from badgeflow.lms._frame import to_completion_frame
from badgeflow.lms._http import ApiClient, RetryPolicy, classify_http, paginate
from badgeflow.lms._xapi_record import VERBS, VOIDED, statement_record
from badgeflow.models import ROW_NUMBER, JSONDict

__all__ = ["XapiSource", "classify_xapi"]

logger = logging.getLogger(__name__)

VERSION: Final = "1.0.3"
"""The xAPI version sent in ``X-Experience-API-Version``."""


def classify_xapi(response: httpx.Response, what: str) -> SourceError | None:
    """The LRS's verdict on a response: `classify_http`, plus the LRS's message on a 400.

    Args:
        response: the answer.
        what: names the call in messages.

    Returns:
        None, or the error to raise.
    """
    found = classify_http(response, what)
    if found is not None and response.status_code == 400:
        try:
            message = str(response.json().get("message") or "")
        except (ValueError, AttributeError):
            message = ""
        return SourceError(f"{found}: the LRS refused the query: {message or 'bad request'}")
    return found


class _BasicAuth:
    """HTTP Basic with the LRS key and secret; it cannot be renewed."""

    def __init__(self, key: str, secret: str) -> None:
        self.value = base64.b64encode(f"{key}:{secret}".encode()).decode("ascii")

    def __repr__(self) -> str:
        return "_BasicAuth(***)"

    def headers(self, api: ApiClient) -> dict[str, str]:
        return {"Authorization": f"Basic {self.value}"}

    def refresh(self) -> bool:
        return False


class XapiSource:
    """A `CompletionSource` reading completion statements from an xAPI LRS.

    Attributes:
        name: the configured source name, stored in `SOURCE`.
        activities: activity IRI → catalog course id.
    """

    def __init__(
        self,
        name: str,
        base_url: str,
        key: str,
        secret: str,
        *,
        activities: Mapping[str, str],
        limit: int = 100,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """Configure the source; nothing is requested until `fetch_completions`.

        Args:
            name: the configured source name.
            base_url: the LRS's xAPI endpoint, e.g. ``https://lrs.example.com/xapi/``.
            key: the LRS client key (Basic-auth user).
            secret: the LRS client secret (never logged).
            activities: activity IRI → catalog course id; other activities are skipped.
            limit: statements per page (``limit``; the LRS may send fewer).
            timeout: seconds allowed per HTTP request.
            retry: how transient failures are retried (default `RetryPolicy()`).
            transport: an httpx transport to use instead of the network (tests).
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.name = name
        self.base_url = base_url if base_url.endswith("/") else f"{base_url}/"
        self._key = key
        self._secret = secret
        self.activities = dict(activities)
        self.limit = limit
        self.timeout = timeout
        self._retry = retry
        self._transport = transport

    def __repr__(self) -> str:
        return f"XapiSource(name={self.name!r}, base_url={self.base_url!r})"

    def fetch_completions(self, since: datetime | None, *, fetched_at: datetime) -> pd.DataFrame:
        """Read the completion statements stored since `since`.

        Calls: ``GET statements?verb=<completed|passed|failed|voided>&since=&limit=``
        (following ``more``), ``GET statements?voidedStatementId=`` per statement voided
        after it was stored.

        Args:
            since: only statements the LRS stored after this (UTC); None reads all.
            fetched_at: the batch clock, stored in `FETCHED_AT`.

        Returns:
            The canonical completion frame, one row per statement about a configured
            activity.

        Raises:
            SourceAuthError: the key/secret are wrong or lack the statements read scope.
            SourceUnavailable: the LRS kept throttling, timing out or failing.
            SourceError: any other failure: a query the LRS refused (400), a paging loop.
        """
        auth = _BasicAuth(self._key, self._secret)
        api = ApiClient(
            self.base_url,
            vendor="LRS",
            classify=classify_xapi,
            auth=auth,
            retry=self._retry,
            timeout=self.timeout,
            transport=self._transport,
            secrets=[self._secret, auth.value],
            headers={"X-Experience-API-Version": VERSION},
        )
        statements: dict[str, JSONDict] = {}
        with api:
            for verb in VERBS:
                statements.update((str(s.get("id")), s) for s in self._statements(api, verb, since))
            voided = {
                str(s["object"].get("id")): s
                for s in self._statements(api, VOIDED, since)
                if (s.get("object") or {}).get("objectType") == "StatementRef"
            }
            for target, voiding in voided.items():
                if statements.pop(target, None) is None:
                    statements.update(self._voided(api, target, voiding))
        return self._frame(list(statements.values()), set(voided), fetched_at)

    def _statements(self, api: ApiClient, verb: str, since: datetime | None) -> Iterator[JSONDict]:
        what = f"LRS statements ({verb.rsplit('/', 1)[-1]})"
        params: dict[str, str] = {"verb": verb, "limit": str(self.limit), "ascending": "true"}
        if since is not None:
            params["since"] = since.astimezone(UTC).isoformat().replace("+00:00", "Z")

        def fetch(more: str | None) -> tuple[list[JSONDict], str | None]:
            url = urljoin(self.base_url, more) if more else "statements"
            page = api.get_json(url, what=what, params=None if more else params)
            if not isinstance(page, dict) or not isinstance(page.get("statements"), list):
                raise SourceError(f"{what}: expected a StatementResult object")
            return page["statements"], page.get("more") or None

        yield from paginate(fetch, what=what, redact=api.redact)

    def _voided(self, api: ApiClient, target: str, voiding: JSONDict) -> dict[str, JSONDict]:
        response = api.request(
            "GET",
            "statements",
            what=f"LRS voided statement {target}",
            params={"voidedStatementId": target},
        )
        statement = api.json_of(response, f"LRS voided statement {target}")
        if not isinstance(statement, dict) or statement.get("verb", {}).get("id") not in VERBS:
            return {}
        return {target: {**statement, "voided_by": voiding.get("id")}}

    def _frame(
        self, statements: list[JSONDict], voided: set[str], fetched_at: datetime
    ) -> pd.DataFrame:
        records: list[dict[str, object]] = []
        unmapped: Counter[str] = Counter()
        for statement in sorted(statements, key=lambda s: (str(s.get("stored")), str(s.get("id")))):
            activity = str((statement.get("object") or {}).get("id"))
            course_id = self.activities.get(activity)
            if course_id is None:
                unmapped[activity] += 1
                continue
            record = statement_record(self.name, statement, course_id, fetched_at)
            records.append({**record, ROW_NUMBER: len(records) + 1})
        for activity, count in sorted(unmapped.items()):
            logger.warning(
                "LRS source %s: %d statement(s) about activity %s skipped: it is not in the "
                "source's activities mapping",
                self.name,
                count,
                activity,
            )
        logger.info(
            "read %d rows from LRS source %s (%d voided)", len(records), self.name, len(voided)
        )
        return to_completion_frame(records)
