"""360Learning API v2 wire details: its error bodies, filter times, percentages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from badgeflow.errors import SourceAuthError, SourceConfigError, SourceError, SourceUnavailable
from badgeflow.lms._http import classify_http
from badgeflow.models import COMPLETED_AT

__all__ = ["UserNotFound", "classify_360learning", "filter_time", "percent", "timestamp"]


class UserNotFound(SourceError):
    """``/users/{id}`` is 404: the user was erased; the statistics remain."""


def classify_360learning(response: httpx.Response, what: str) -> SourceError | None:
    """360Learning's verdict on a response, read from its error bodies.

    ``{"error": "tooManyRequests"}`` (429) is transient; 401 (``invalid_token``, or
    ``invalid_client`` from the token call) and 403 ``invalid_scope`` are auth errors; a 404
    ``courseNotFound``/``pathNotFound`` is a configured id 360Learning does not know
    (`SourceConfigError`); anything else follows `classify_http`.

    Args:
        response: the answer.
        what: names the call in messages.

    Returns:
        None, or the error to raise.
    """
    status = response.status_code
    if 200 <= status < 300:
        return None
    code, message = _error_of(response)
    detail = f"{what}: HTTP {status} {code}" + (f": {message}" if message else "")
    if status == 429:
        return SourceUnavailable(f"{what}: 360Learning rate limit exceeded (HTTP 429 {code})")
    if status == 401 and code == "invalid_client":
        return SourceAuthError(f"{detail}: the client_id/client_secret pair is invalid")
    if status == 401:
        return SourceAuthError(f"{detail}: access token missing, invalid or expired")
    if status == 403:
        return SourceAuthError(f"{detail} (grant the API client this scope)")
    if status == 404 and code == "userNotFound":
        return UserNotFound(detail)
    if status == 404:
        return SourceConfigError(detail)
    error = classify_http(response, what)
    if error is not None and code:
        error.args = (f"{error.args[0]}: {code}" + (f": {message}" if message else ""),)
    return error


def filter_time(since: datetime) -> str:
    # Filters take YYYY-MM-DDThh:mm:ss.sssZ and drop the milliseconds: floor to the second.
    return since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def timestamp(value: Any, errors: list[str]) -> datetime | None:
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


def percent(value: Any, column: str, errors: list[str]) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 100:
        return float(value)
    errors.append(f"{column}: {value!r} is not a percentage (0-100)")
    return None


def _error_of(response: httpx.Response) -> tuple[str, str]:
    """``(code, message)`` of ``{"error": "code"}`` or ``{"error": {"code", "message"}}``."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return "", ""
    if isinstance(error, dict):
        return str(error.get("code") or ""), str(error.get("message") or "")
    return (str(error), "") if error else ("", "")
