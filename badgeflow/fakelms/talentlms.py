"""A fake TalentLMS on loopback speaking the v1 REST API's wire format, for tests and demos.

Served (``/api/v1``, HTTP Basic auth with the API key as user name and an empty password,
arguments as ``key:value`` path segments joined by commas): ``users``, ``users/id:<id>``,
``courses``, ``courses/id:<id>`` (with its ``users`` and ``units``),
``getuserstatusincourse/course_id:<c>,user_id:<u>`` and ``ratelimit``.

TalentLMS's own habits: numbers are JSON strings, dates come twice (the portal's
``DD/MM/YYYY, HH:MM:SS`` and a ``*_timestamp`` string of Unix seconds, ``null`` when
absent), lists are never paged, errors are ``{"error": {"type", "message"}}``: 401 for a bad
or expired key, 404 for an unknown course or user, 400 for a malformed argument.
Throttling (`throttle_next`) is 429 with a ``Rate limit exceeded`` error and no
``Retry-After``; ``ratelimit`` counts the hour's calls down from `limit`.

Run it by hand::

    python -m badgeflow.fakelms.talentlms --dataset data.json --port 8090 --key demo-key
"""

from __future__ import annotations

import argparse
import base64
import binascii
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from badgeflow.fakelms._server import (
    FakeLMSServer,
    FakeRequest,
    FakeResponse,
    serve_until_interrupted,
)
from badgeflow.fakelms.talentlms_dataset import (
    FakeTalentCourse,
    FakeTalentEnrollment,
    TalentLMSDataset,
)

__all__ = ["FakeTalentLMS", "TalentLMSDataset", "main"]

_PREFIX: Final = "/api/v1/"
_RESET: Final = 1_798_761_600  # the fake's hourly window never resets during a test


class FakeTalentLMS(FakeLMSServer):
    """A TalentLMS v1 API on ``127.0.0.1``; see the module docstring for what it speaks.

    Attributes:
        limit: the hourly call limit ``ratelimit`` reports.
        calls: authenticated calls answered so far (``ratelimit`` counts them down).

    Examples:
        >>> with FakeTalentLMS(TalentLMSDataset(), api_key="k") as server:
        ...     server.base_url.startswith("http://127.0.0.1:")
        True
    """

    vendor = "TalentLMS"

    def __init__(
        self, dataset: TalentLMSDataset, api_key: str, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        """Prepare the server; it listens once started (``with`` or `start`).

        Args:
            dataset: what the server serves.
            api_key: the only API key it accepts (until `expire_tokens`).
            host: the address to bind.
            port: the TCP port; 0 picks a free one.
        """
        super().__init__(host=host, port=port)
        self.dataset = dataset
        self.api_key = api_key
        self.limit = 10_000
        self.calls = 0

    def throttle_response(self, request: FakeRequest) -> FakeResponse:
        """429 with TalentLMS's error body (v1 sends no ``Retry-After``)."""
        return _error(429, "Rate limit exceeded", "invalid_request_error")

    def error_response(self, status: int) -> FakeResponse:
        """A server error in TalentLMS's error shape."""
        return _error(status, "Internal server error", "api_error")

    def handle(self, request: FakeRequest) -> FakeResponse:
        """Authenticate, route and answer one API request."""
        if _basic_user(request) != self.api_key or self.tokens_expired:
            return _error(401, "Invalid API key provided", "invalid_request_error")
        self.calls += 1
        if not request.path.startswith(_PREFIX):
            return _error(404, "The requested endpoint does not exist")
        endpoint, _, raw = request.path.removeprefix(_PREFIX).partition("/")
        try:
            args = _arguments(raw)
        except ValueError as exc:
            return _error(400, str(exc))
        if endpoint == "ratelimit":
            return FakeResponse.json(self._ratelimit())
        if endpoint == "users":
            if "id" in args:
                user = self.dataset.user(args["id"])
                return FakeResponse.json(self._user(user.id)) if user else _missing("user")
            return FakeResponse.json([self._user(u.id) for u in self.dataset.users])
        if endpoint == "courses":
            if "id" in args:
                course = self.dataset.course(args["id"])
                return (
                    FakeResponse.json(self._course(course, full=True))
                    if course
                    else _missing("course")
                )
            return FakeResponse.json([self._course(c, full=False) for c in self.dataset.courses])
        if endpoint == "getuserstatusincourse":
            return self._status(args)
        return _error(404, "The requested endpoint does not exist")

    def _ratelimit(self) -> dict[str, Any]:
        return {
            "limit": str(self.limit),
            "remaining": max(self.limit - self.calls, 0),
            "reset": str(_RESET),
            "formatted_reset": _portal_date(datetime.fromtimestamp(_RESET, UTC)),
        }

    def _user(self, user_id: int) -> dict[str, Any]:
        user = self.dataset.user(user_id)
        assert user is not None
        return {
            "id": str(user.id),
            "login": user.login,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email or "",
            "user_type": "Learner-Type",
            "status": "active",
            "last_updated": "",
            "last_updated_timestamp": None,
        }

    def _course(self, course: FakeTalentCourse, *, full: bool) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": str(course.id),
            "name": course.name,
            "code": course.code,
            "category_id": None,
            "status": "active",
        }
        if full:
            entry["users"] = [
                self._course_user(e) for e in self.dataset.course_enrollments(course.id)
            ]
            entry["units"] = [
                {"id": str(u.id), "type": u.type, "name": u.name, "url": ""} for u in course.units
            ]
        return entry

    def _course_user(self, e: FakeTalentEnrollment) -> dict[str, Any]:
        user = self.dataset.user(e.user_id)
        assert user is not None
        return {
            "id": str(e.user_id),
            "name": f"{user.first_name[:1]}. {user.last_name}",
            "role": e.role,
            **_dates("enrolled_on", e.enrolled_at),
            **_dates("completed_on", e.completed_at),
            "completion_percentage": str(e.completion_percentage),
            "expired_on": "",
            "expired_on_timestamp": None,
            "total_time": "1h 5m",
        }

    def _status(self, args: dict[str, int]) -> FakeResponse:
        if "course_id" not in args or "user_id" not in args:
            return _error(400, "Missing required argument course_id or user_id")
        course = self.dataset.course(args["course_id"])
        if course is None:
            return _missing("course")
        enrollment = self.dataset.enrollment(args["user_id"], args["course_id"])
        if enrollment is None:
            return _error(404, "The requested user is not enrolled in this course")
        units = []
        for unit in course.units:
            state = enrollment.units.get(str(unit.id))
            done = state is not None and state.completed_at is not None
            score = state.score if state is not None else None
            units.append(
                {
                    "id": str(unit.id),
                    "name": unit.name,
                    "type": unit.type,
                    "completion_status": "Completed" if done else "Not attempted",
                    **_dates("completed_on", state.completed_at if state else None),
                    "score": f"{score:.2f}" if score is not None else "",
                    "total_time": "",
                }
            )
        return FakeResponse.json(
            {
                "role": enrollment.role,
                **_dates("enrolled_on", enrollment.enrolled_at),
                "completion_status": "Completed" if enrollment.completed_at else "incomplete",
                "completion_percentage": str(enrollment.completion_percentage),
                **_dates("completed_on", enrollment.completed_at),
                "expired_on": "",
                "expired_on_timestamp": None,
                "total_time": "1h 5m",
                "units": units,
            }
        )


def _basic_user(request: FakeRequest) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, _password = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user


def _arguments(raw: str) -> dict[str, int]:
    args = {}
    for part in filter(None, raw.split(",")):
        name, sep, value = part.partition(":")
        if not sep or not value.isdigit():
            raise ValueError(f"Invalid argument {part!r}")
        args[name] = int(value)
    return args


def _portal_date(value: datetime) -> str:
    return value.strftime("%d/%m/%Y, %H:%M:%S")


def _dates(name: str, value: datetime | None) -> dict[str, str | None]:
    if value is None:
        return {name: "", f"{name}_timestamp": None}
    return {name: _portal_date(value), f"{name}_timestamp": str(int(value.timestamp()))}


def _error(status: int, message: str, kind: str = "invalid_request_error") -> FakeResponse:
    return FakeResponse.json({"error": {"type": kind, "message": message}}, status)


def _missing(what: str) -> FakeResponse:
    return _error(404, f"The requested {what} does not exist")


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a dataset until interrupted (Ctrl-C).

    Args:
        argv: command-line arguments; the process's when None.

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(prog="python -m badgeflow.fakelms.talentlms")
    parser.add_argument("--dataset", type=Path, required=True, help="dataset JSON")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=8090, help="TCP port (default 8090)")
    parser.add_argument("--key", default="demo-key", help="API key to accept")
    options = parser.parse_args(argv)
    dataset = TalentLMSDataset.load(options.dataset)
    server = FakeTalentLMS(dataset, options.key, host=options.host, port=options.port)
    return serve_until_interrupted(
        server, lambda: f"fake TalentLMS serving {options.dataset} at {server.base_url}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
