"""Docebo's wire format: its error answers, page envelopes, dates and enrollment fields."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Literal

import httpx

from badgeflow.errors import SourceAuthError, SourceConfigError, SourceError, SourceUnavailable
from badgeflow.lms._http import classify_http
from badgeflow.models import JSONDict

if TYPE_CHECKING:
    from badgeflow.lms._http import ApiClient

__all__ = [
    "DoceboForbidden",
    "ENROLLMENT_FIELDS",
    "PageCursor",
    "classify_docebo",
    "learner_enrollment",
    "parse_docebo_time",
    "read_page",
    "wire_time",
]

PageCursor = tuple[int, str | None]
"""The next page: its number and the ``cursor`` Docebo echoed, if any."""

_TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"
_NOT_LEARNERS: Final = frozenset({"tutor", "instructor", "4", "6"})

ENROLLMENT_FIELDS: Final = {
    "course_id": ("course_id", "id"),
    "code": ("course_code", "code"),
    "name": ("course_name", "name"),
    "status": ("enrollment_status", "status"),
    "completed_at": ("enrollment_completion_date", "course_complete_date"),
    "score": ("enrollment_score", "score"),
    "level": ("enrollment_level", "level"),
    "user_id": ("user_id", "user_id"),
}
"""Canonical name -> (``/course/v1/courses/enrollments`` field, ``/learn/v1/enrollments`` field)."""


class DoceboForbidden(SourceAuthError):
    """HTTP 403: the OAuth2 client's user lacks the permission this endpoint needs."""


def classify_docebo(response: httpx.Response, what: str) -> SourceError | None:
    """Docebo's verdict on a response.

    429 is Docebo's rate limit (1,000 calls an hour per source IP): transient, retried with
    backoff (Docebo sends no ``Retry-After``). 401 is an invalid or expired token (the client
    renews it once first), 403 a missing permission (`DoceboForbidden`), 404 an unknown
    course or endpoint (`SourceConfigError`). Messages carry Docebo's own: ``message`` of
    its ``{name, message, code, status}`` errors, or the OAuth2 ``error_description``.

    Args:
        response: the answer.
        what: names the call in messages.

    Returns:
        None, or the error to raise.
    """
    status = response.status_code
    if 200 <= status < 300:
        return None
    said = f"{what}: HTTP {status}: {_message(response)}"
    if status == 429:
        return SourceUnavailable(f"{what}: Docebo rate limit exceeded (HTTP 429)")
    if status == 401:
        return SourceAuthError(said)
    if status == 403:
        return DoceboForbidden(said)
    if status == 404:
        return SourceConfigError(said)
    if status == 400:
        return SourceError(said)
    return classify_http(response, what)


def read_page(
    api: ApiClient,
    path: str,
    what: str,
    params: Mapping[str, Any],
    cursor: PageCursor | None,
    page_size: int,
) -> tuple[list[JSONDict], PageCursor | None]:
    """Read one page of a Docebo listing (a `paginate` fetch).

    Docebo wraps listings as ``{"data": {"items", "has_more_data", "current_page",
    "total_page_count"?, "cursor"?}}``; the next page is ``current_page + 1`` (with the
    ``cursor`` echoed) while ``has_more_data`` holds, or, when that flag is missing, while
    ``current_page < total_page_count``.

    Args:
        api: the open client.
        path: the listing's path.
        what: names the listing in messages.
        params: the listing's filters.
        cursor: the page to read; None for the first.
        page_size: items per page (Docebo allows 1-200).

    Returns:
        The page's items and the next page's cursor (None after the last).

    Raises:
        SourceError: as `ApiClient.request`, or the answer is not a Docebo page.
    """
    page, echoed = cursor or (1, None)
    query: dict[str, Any] = {**params, "page": page, "page_size": page_size}
    if echoed:
        query["cursor"] = echoed
    body = api.get_json(path, what=f"{what} page {page}", params=query)
    data = body.get("data") if isinstance(body, dict) else None
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(items, list):
        raise SourceError(f"{what} page {page}: expected Docebo's data.items envelope")
    current = _int(data.get("current_page"), page)
    more = data.get("has_more_data")
    if more is None:
        more = current < _int(data.get("total_page_count"), current)
    if not more:
        return items, None
    if not items:
        raise SourceError(f"{what} page {page}: empty page, yet has_more_data is true")
    return items, (current + 1, str(data["cursor"]) if data.get("cursor") else None)


def learner_enrollment(endpoint: Literal["course", "learn"], item: JSONDict) -> JSONDict | None:
    """One listed enrollment under the canonical names of `ENROLLMENT_FIELDS`.

    Args:
        endpoint: which listing the item comes from.
        item: the item as Docebo sent it (kept under ``"raw"``).

    Returns:
        The enrollment, or None when it is not a learner's course enrollment (a learning
        plan in the learn listing; a tutor's or instructor's enrollment).
    """
    column = 0 if endpoint == "course" else 1
    row = {name: item.get(fields[column]) for name, fields in ENROLLMENT_FIELDS.items()}
    if endpoint == "learn" and item.get("type") == "learning_plan":
        return None
    if str(row["level"]) in _NOT_LEARNERS:
        return None
    return row | {"raw": item}


def parse_docebo_time(value: Any, field: str, errors: list[str]) -> datetime | None:
    """A Docebo time (``YYYY-MM-DD HH:MM:SS``, UTC) as an aware datetime.

    Empty values and PHP's zero date are None; anything else unreadable is None with a
    message appended to `errors` (the row's `PARSE_ERRORS`).
    """
    if value is None or value == "" or str(value).startswith("0000-00-00"):
        return None
    try:
        return datetime.strptime(str(value), _TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        errors.append(f"{field}: {value!r} is not a Docebo time (YYYY-MM-DD HH:MM:SS)")
        return None


def wire_time(moment: datetime) -> str:
    """`moment` in Docebo's query format (``updated_from``), in UTC."""
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return "no details"
    if isinstance(body, dict):
        said = body.get("message") or body.get("error_description") or body.get("error")
        if said:
            return str(said[0] if isinstance(said, list) and said else said)
    return "no details"
