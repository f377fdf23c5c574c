"""A fake Blackboard Learn on loopback speaking the public REST API's wire format.

Served under ``/learn/api/public``: ``POST v1/oauth2/token`` (HTTP Basic application key and
secret, form ``grant_type=client_credentials``), ``GET v3/courses/{courseId}``,
``v1/courses/{courseId}/users`` (``expand=user``, ``role``), ``v2/courses/{courseId}/gradebook/
columns``, ``.../columns/{columnId}/users`` and ``.../columns/{columnId}/attempts``. Course ids
are primary (``_101_1``) or prefixed (``courseId:DS101``, ``externalId:...``); column ids are
primary, ``externalId:...`` or ``finalGrade``.

Listings page with ``offset``/``limit`` (default and cap 100) in ``{"results": [...],
"paging": {"nextPage": "<server-relative URL>"}}``, ``nextPage`` omitted on the last page.
Errors use Learn's ``RestException`` body ``{"status", "message", "extraInfo"}``: 401 for a
missing or expired bearer token, 404 for an unknown course or column. Throttling
(`throttle_next`) is 429 with the ``X-Rate-Limit-*`` usage headers and no ``Retry-After``.
Setting `loop_paging` makes ``nextPage`` point back at the current page.

Run it by hand::

    python -m badgeflow.fakelms.blackboard --dataset data.json --port 8092
"""

from __future__ import annotations

import argparse
import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

from badgeflow.fakelms._server import (
    FakeLMSServer,
    FakeRequest,
    FakeResponse,
    serve_until_interrupted,
)
from badgeflow.fakelms.blackboard_dataset import (
    BlackboardDataset,
    FakeBlackboardCourse,
    FakeColumn,
    FakeGrade,
)

__all__ = ["BlackboardDataset", "FakeBlackboard", "main"]

_ROOT: Final = "/learn/api/public"
_COURSE: Final = re.compile(rf"^{_ROOT}/(v1|v2|v3)/courses/([^/]+)(?:/(.*))?$")
_COLUMN: Final = re.compile(r"^gradebook/columns/([^/]+)/(users|attempts)$")
_MAX_LIMIT: Final = 100
_DAILY_QUOTA: Final = 10_000


class FakeBlackboard(FakeLMSServer):
    """A Blackboard Learn REST API on ``127.0.0.1``; see the module docstring.

    Examples:
        >>> with FakeBlackboard(BlackboardDataset(), "key", "secret") as server:
        ...     server.base_url.startswith("http://127.0.0.1:")
        True
    """

    vendor = "Blackboard"

    def __init__(
        self,
        dataset: BlackboardDataset,
        client_id: str,
        client_secret: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        """Prepare the server; it listens once started (``with`` or `start`).

        Args:
            dataset: what the server serves.
            client_id: the application key it accepts at the token endpoint.
            client_secret: the application secret it accepts.
            host: the address to bind.
            port: the TCP port; 0 picks a free one.
        """
        super().__init__(host=host, port=port)
        self.dataset = dataset
        self.client_id = client_id
        self.client_secret = client_secret
        self.loop_paging = False
        self.calls = 0

    def _usage(self) -> dict[str, str]:
        return {
            "X-Rate-Limit-Limit": str(_DAILY_QUOTA),
            "X-Rate-Limit-Remaining": str(max(_DAILY_QUOTA - self.calls, 0)),
            "X-Rate-Limit-Reset": "86400",
        }

    def throttle_response(self, request: FakeRequest) -> FakeResponse:
        """429 once the application's quota is spent, with the usage headers."""
        body = {"status": 429, "message": "Too Many Requests: rate limit exceeded"}
        return FakeResponse.json(body, 429, {**self._usage(), "X-Rate-Limit-Remaining": "0"})

    def error_response(self, status: int) -> FakeResponse:
        """A ``RestException`` body with the burst's status."""
        return _error(status, "Service unavailable" if status >= 500 else "Error")

    def handle(self, request: FakeRequest) -> FakeResponse:
        """Authenticate, route and page one API request."""
        self.calls += 1
        if request.path == f"{_ROOT}/v1/oauth2/token" and request.method == "POST":
            if dict(request.form).get("grant_type") != "client_credentials":
                return FakeResponse.json({"error": "unsupported_grant_type"}, 400)
            return self.client_credentials(
                request, self.client_id, self.client_secret, expires_in=3599
            )
        if not self.token_is_live(request.bearer()):
            return _error(401, "API request is not authorized.")
        match = _COURSE.match(request.path)
        course = self.dataset.course(match.group(2)) if match else None
        if match is None or course is None:
            return _error(404, "Course not found")
        version, rest = match.group(1), match.group(3) or ""
        if version == "v3" and rest == "":
            return self._json(_course(course))
        if version == "v1" and rest == "users":
            return self._page(request, self._memberships(course, request))
        if version == "v2" and rest == "gradebook/columns":
            return self._page(request, [_column(c) for c in course.columns])
        found = _COLUMN.match(rest) if version == "v2" else None
        column = _find_column(course, found.group(1)) if found else None
        if found is None or column is None:
            return _error(404, "Grade column not found")
        grades = self._grades(course, column)
        if found.group(2) == "users":
            return self._page(request, [_grade(uid, column, g) for uid, g in grades])
        if column.grading_type != "Attempts":
            return self._page(request, [])
        attempts = [_attempt(uid, a.model_dump()) for uid, g in grades for a in g.attempts]
        return self._page(request, attempts)

    def _memberships(self, course: FakeBlackboardCourse, request: FakeRequest) -> list[Any]:
        role = request.param("role")
        items = []
        for m in self.dataset.course_memberships(course.id):
            if role and m.role != role:
                continue
            entry: dict[str, Any] = {
                "id": f"{m.user_id}{course.id}",
                "userId": m.user_id,
                "courseId": course.id,
                "created": _iso(m.created),
                "availability": {"available": "Yes"},
                "courseRoleId": m.role,
            }
            user = self.dataset.user(m.user_id)
            if request.param("expand") == "user" and user is not None:
                entry["user"] = {
                    "id": user.id,
                    "userName": user.userName,
                    "name": {"given": user.given, "family": user.family},
                    "contact": {"email": user.email} if user.email else {},
                }
            items.append(entry)
        return items

    def _grades(
        self, course: FakeBlackboardCourse, column: FakeColumn
    ) -> list[tuple[str, FakeGrade]]:
        return [
            (m.user_id, m.grades[column.id])
            for m in self.dataset.course_memberships(course.id)
            if m.role == "Student" and column.id in m.grades
        ]

    def _json(self, payload: Any, status: int = 200) -> FakeResponse:
        return FakeResponse.json(payload, status, self._usage())

    def _page(self, request: FakeRequest, items: list[Any]) -> FakeResponse:
        try:
            offset = max(int(request.param("offset") or 0), 0)
            limit = min(max(int(request.param("limit") or _MAX_LIMIT), 1), _MAX_LIMIT)
        except ValueError:
            return _error(400, "Invalid paging parameters")
        body: dict[str, Any] = {"results": items[offset : offset + limit]}
        if offset + limit < len(items):
            following = offset if self.loop_paging else offset + limit
            others = [(k, v) for k, v in request.query if k not in ("offset", "limit")]
            query = urlencode([*others, ("offset", following), ("limit", limit)])
            body["paging"] = {"nextPage": f"{request.path}?{query}"}
        return self._json(body)


def _find_column(course: FakeBlackboardCourse, key: str) -> FakeColumn | None:
    if key == "finalGrade":
        return next((c for c in course.columns if c.external_grade), None)
    if key.startswith("externalId:"):
        wanted = key.removeprefix("externalId:")
        return next((c for c in course.columns if c.externalId == wanted), None)
    return next((c for c in course.columns if c.id == key), None)


def _course(course: FakeBlackboardCourse) -> dict[str, Any]:
    return {
        "id": course.id,
        "uuid": hashlib.md5(course.id.encode()).hexdigest(),
        "externalId": course.externalId or course.courseId,
        "courseId": course.courseId,
        "name": course.name,
        "hasChildren": False,
        "availability": {"available": "Yes"},
    }


def _column(column: FakeColumn) -> dict[str, Any]:
    return {
        "id": column.id,
        "externalId": column.externalId,
        "name": column.name,
        "displayName": column.name,
        "externalGrade": column.external_grade,
        "score": {"possible": column.possible},
        "availability": {"available": "Yes"},
        "grading": {"type": column.grading_type},
    }


def _grade(user_id: str, column: FakeColumn, grade: FakeGrade) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "userId": user_id,
        "columnId": column.id,
        "status": grade.status,
        "exempt": grade.exempt,
        "corrupt": False,
        "changeIndex": 1,
    }
    if grade.score is not None or grade.text is not None:
        text = grade.text if grade.text is not None else f"{grade.score}"
        entry |= {"score": grade.score, "text": text}
        entry["displayGrade"] = {
            "scaleType": "Score" if grade.text is None else "Text",
            "score": grade.score,
            "possible": column.possible,
            "text": text,
        }
    if grade.overridden is not None:
        entry["overridden"] = _iso(grade.overridden)
    return entry


def _attempt(user_id: str, attempt: dict[str, Any]) -> dict[str, Any]:
    return {"userId": user_id, **{k: v for k, v in attempt.items() if v is not None}}


def _error(status: int, message: str) -> FakeResponse:
    body = {"status": status, "message": message, "extraInfo": "https://developer.anthology.com"}
    return FakeResponse.json(body, status)


def _iso(value: Any) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.000Z") if value is not None else None


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a dataset until interrupted (Ctrl-C).

    Args:
        argv: command-line arguments; the process's when None.

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(prog="python -m badgeflow.fakelms.blackboard")
    parser.add_argument("--dataset", type=Path, required=True, help="dataset JSON")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=8092, help="TCP port (default 8092)")
    parser.add_argument("--client-id", default="demo-key", help="application key to accept")
    parser.add_argument("--client-secret", default="demo-secret", help="secret to accept")
    options = parser.parse_args(argv)
    dataset = BlackboardDataset.load(options.dataset)
    server = FakeBlackboard(
        dataset, options.client_id, options.client_secret, host=options.host, port=options.port
    )
    return serve_until_interrupted(
        server, lambda: f"fake Blackboard serving {options.dataset} at {server.base_url}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
