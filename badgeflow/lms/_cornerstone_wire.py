"""Cornerstone's wire signals: its error envelopes, and its throttling without ``Retry-After``.

Cornerstone answers gateway-level failures (401, 403, 429, 5xx) with an envelope
``{"status", "timeStamp", "error": {"errorId", "message", "code", ...}}``, query errors with
OData's ``{"error": {"code", "message"}}`` and token errors with RFC 6749's
``{"error": "invalid_client"}``. A throttled client is blocked until the current minute ends
and the 429 carries no ``Retry-After``; `MinuteRetryAfter` supplies one from the envelope's
``timeStamp`` so the shared retry loop waits for the block to lift instead of guessing.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import httpx

from badgeflow.errors import SourceAuthError, SourceConfigError, SourceError, SourceUnavailable
from badgeflow.lms._http import classify_http

__all__ = [
    "MinuteRetryAfter",
    "classify_cornerstone",
    "error_message",
    "parse_number",
    "parse_time",
]


def classify_cornerstone(response: httpx.Response, what: str) -> SourceError | None:
    """Cornerstone's verdict on a response.

    429 is throttling (transient; the message names the requests left this hour from
    ``x-csod-requests-remaining-urilevel``). 401 is a refused client or an invalid/expired
    token, 403 a token without the view's scope: permanent `SourceAuthError`. 404 is a view
    or route the portal does not have (`SourceConfigError`); 400 an OData query error.

    Args:
        response: the answer.
        what: names the call in messages.

    Returns:
        None, or the error to raise.
    """
    status = response.status_code
    if 200 <= status < 300:
        return None
    message = error_message(response)
    detail = f"{what}: HTTP {status}" + (f": {message}" if message else "")
    if status == 429:
        left = response.headers.get("x-csod-requests-remaining-urilevel", "?")
        return SourceUnavailable(f"{detail} (Cornerstone throttling; {left} requests left)")
    if status == 401:
        return SourceAuthError(f"{detail} (check client_id/client_secret)")
    if status == 403:
        return SourceAuthError(f"{detail} (the API client needs the view's <view>:read scope)")
    if status == 404:
        return SourceConfigError(detail)
    found = classify_http(response, what)
    if found is not None and message and not isinstance(found, SourceUnavailable):
        return type(found)(detail)
    return found


def error_message(response: httpx.Response) -> str:
    """The human part of any of Cornerstone's error bodies, or "" when there is none."""
    try:
        body: Any = response.json()
    except (ValueError, UnicodeDecodeError):
        return ""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or error.get("code") or "")
    if isinstance(error, str):
        description = body.get("error_description")
        return f"{error}: {description}" if description else error
    return ""


class MinuteRetryAfter(httpx.BaseTransport):
    """Adds ``Retry-After`` to Cornerstone's 429s: the seconds left in the blocked minute.

    The wait is read from the envelope's ``timeStamp`` (the server's clock, so client clock
    skew does not matter). A 429 that already has ``Retry-After``, or whose body has no
    readable time stamp, is passed on untouched (the retry policy then backs off).
    """

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        """Wrap `inner` (default: a plain `httpx.HTTPTransport`)."""
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request; amend a throttling answer."""
        response = self._inner.handle_request(request)
        if response.status_code == 429 and "retry-after" not in response.headers:
            response.read()
            wait = seconds_left_in_minute(response.content)
            if wait is not None:
                response.headers["Retry-After"] = str(wait)
        return response

    def close(self) -> None:
        """Close the wrapped transport."""
        self._inner.close()


def seconds_left_in_minute(body: bytes) -> int | None:
    """Whole seconds from a 429 envelope's ``timeStamp`` to the next minute (1 to 60).

    Examples:
        >>> seconds_left_in_minute(b'{"status": "429", "timeStamp": "2018-05-15T18:06:55+0000"}')
        5
        >>> seconds_left_in_minute(b"Too many requests") is None
        True
    """
    try:
        stamp = json.loads(body).get("timeStamp")
        when = datetime.fromisoformat(str(stamp))
    except (ValueError, AttributeError, TypeError):
        return None
    return max(math.ceil(60 - when.second - when.microsecond / 1e6), 1)


def parse_number(value: Any, field: str, errors: list[str]) -> float | None:
    """A number, or None with a message in `errors` when the value is not one."""
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        errors.append(f"{field}: {value!r} is not a number")
        return None


def parse_time(value: Any, errors: list[str]) -> datetime | None:
    """An ISO 8601 time; Cornerstone leaves the offset out of some views: that is UTC."""
    if value is None or value == "":
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        errors.append(f"completed_at: {value!r} is not an ISO 8601 time")
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
