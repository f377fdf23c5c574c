"""Moodle's REST wire format: PHP bracket arguments, and errors sent as HTTP 200 bodies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import httpx

from badgeflow.errors import SourceAuthError, SourceError
from badgeflow.lms._http import classify_http
from badgeflow.models import JSONDict

__all__ = ["MoodleError", "as_dict", "as_list", "classify_moodle", "php_form"]

_AUTH_ERRORS: Final = frozenset({"invalidtoken", "accessexception", "accessdenied"})


class MoodleError(SourceError):
    """Moodle answered a web service call with an exception.

    Attributes:
        errorcode: Moodle's ``errorcode`` (``nocriteriaset``, ``usernotenroled``, ...).
    """

    def __init__(self, what: str, errorcode: str, message: str) -> None:
        super().__init__(f"{what}: {errorcode}: {message}")
        self.errorcode = errorcode


def classify_moodle(response: httpx.Response, what: str) -> SourceError | None:
    """Moodle's verdict: HTTP status first, then the ``exception`` body of an HTTP 200.

    Moodle's REST server reports every web service error with status 200 and a body
    ``{"exception", "errorcode", "message"}``; ``invalidtoken`` and the access codes are
    permanent `SourceAuthError`s, any other code a `MoodleError` carrying it.

    Args:
        response: the answer.
        what: ``"Moodle <wsfunction>"``.

    Returns:
        None, or the error to raise.
    """
    verdict = classify_http(response, what)
    if verdict is not None:
        return verdict
    if response.status_code != 200:
        return SourceError(f"{what}: unexpected HTTP {response.status_code}")
    try:
        payload = response.json()
    except ValueError:
        return None  # the caller's json_of reports it
    if isinstance(payload, dict) and ("exception" in payload or "errorcode" in payload):
        code = str(payload.get("errorcode", ""))
        message = str(payload.get("message", ""))
        if code in _AUTH_ERRORS:
            hint = "check the source's token in the badgeflow config and its web service"
            return SourceAuthError(f"{what}: {code}: {message} ({hint})")
        return MoodleError(what, code, message)
    return None


def php_form(args: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Flatten arguments the way PHP decodes them: ``options[0][name]=limitfrom``.

    Args:
        args: nested arguments (mappings and lists).
        prefix: the enclosing field name (for recursion).

    Returns:
        Form fields, in order.
    """
    pairs: list[tuple[str, str]] = []
    for key, value in args.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, Mapping):
            pairs.extend(php_form(value, name))
        elif isinstance(value, list | tuple):
            pairs.extend(php_form({str(i): v for i, v in enumerate(value)}, name))
        elif isinstance(value, bool):
            pairs.append((name, "1" if value else "0"))
        elif value is not None:
            pairs.append((name, str(value)))
    return pairs


def as_list(payload: Any) -> list[JSONDict]:
    """Check that an answer is a JSON array.

    Raises:
        SourceError: it is not.
    """
    if not isinstance(payload, list):
        raise SourceError(f"Moodle answered {type(payload).__name__} where a list was expected")
    return payload


def as_dict(payload: Any) -> JSONDict:
    """Check that an answer is a JSON object.

    Raises:
        SourceError: it is not.
    """
    if not isinstance(payload, dict):
        raise SourceError(f"Moodle answered {type(payload).__name__} where an object was expected")
    return payload
