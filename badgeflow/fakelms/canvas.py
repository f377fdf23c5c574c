"""A fake Canvas LMS on loopback speaking the REST API's wire format, for tests and demos.

Served (``/api/v1``, Bearer token, JSON, ``Link`` header paging with ``page``/``per_page``):
``courses``, ``courses/:id`` (``:id`` numeric or ``sis_course_id:<sis id>``),
``courses/:id/users``, ``courses/:id/enrollments``, ``courses/:id/bulk_user_progress``,
``courses/:id/assignments`` and ``courses/:id/assignments/:aid/submissions``.

Canvas's own signals: a bad or expired token is 401 with ``WWW-Authenticate``; an unknown
course 404 ``{"errors": [{"message"}]}``; every answer carries ``X-Request-Cost``; throttling
(`throttle_next`) is 403 ``403 Forbidden (Rate Limit Exceeded)`` with
``X-Rate-Limit-Remaining`` (set `throttle_status` to 429 for the newer form). Setting
`loop_paging` makes every ``next`` link point back at the current page.

Run it by hand::

    python -m badgeflow.fakelms.canvas --dataset data.json --port 8089 --token demo-token
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

from badgeflow.fakelms._server import (
    FakeLMSServer,
    FakeRequest,
    FakeResponse,
    serve_until_interrupted,
)
from badgeflow.fakelms.canvas_dataset import CanvasDataset, FakeCanvasCourse

__all__ = ["CanvasDataset", "FakeCanvas", "main"]

_COURSE: Final = re.compile(r"^/api/v1/courses/([^/]+)(?:/(.*))?$")
_SUBMISSIONS: Final = re.compile(r"^assignments/(\d+)/submissions$")
_MAX_PER_PAGE: Final = 100


class FakeCanvas(FakeLMSServer):
    """A Canvas REST API on ``127.0.0.1``; see the module docstring for what it speaks.

    Examples:
        >>> with FakeCanvas(CanvasDataset(), token="t") as server:
        ...     server.base_url.startswith("http://127.0.0.1:")
        True
    """

    vendor = "Canvas"

    def __init__(
        self, dataset: CanvasDataset, token: str, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        """Prepare the server; it listens once started (``with`` or `start`).

        Args:
            dataset: what the server serves.
            token: the only access token it accepts (until `expire_tokens`).
            host: the address to bind.
            port: the TCP port; 0 picks a free one.
        """
        super().__init__(host=host, port=port)
        self.dataset = dataset
        self.token = token
        self.throttle_status = 403
        self.loop_paging = False

    def throttle_response(self, request: FakeRequest) -> FakeResponse:
        """403 (or 429) "Rate Limit Exceeded" with Canvas's cost headers."""
        body = f"{self.throttle_status} Forbidden (Rate Limit Exceeded)".encode()
        headers = {
            "Content-Type": "text/plain; charset=utf-8",
            "X-Request-Cost": "0",
            "X-Rate-Limit-Remaining": "0.0",
        }
        return FakeResponse(self.throttle_status, body, headers)

    def handle(self, request: FakeRequest) -> FakeResponse:
        """Authenticate, route and page one API request."""
        if request.bearer() != self.token or self.tokens_expired:
            return FakeResponse.json(
                {"errors": [{"message": "Invalid access token."}]},
                401,
                {"WWW-Authenticate": 'Bearer realm="canvas-lms"'},
            )
        if request.path == "/api/v1/courses":
            return self._page(request, [self._course(c) for c in self.dataset.courses])
        match = _COURSE.match(request.path)
        course = self.dataset.course(match.group(1)) if match else None
        if match is None or course is None:
            return _not_found()
        rest = match.group(2) or ""
        if rest == "":
            return _json(self._course(course))
        if rest == "users":
            return self._page(request, self._list(request, lambda: self._users(course, request)))
        if rest == "enrollments":
            return self._page(request, self._list(request, lambda: self._enrollments(course)))
        if rest == "bulk_user_progress":
            return self._page(request, self._list(request, lambda: self._progress(course)))
        if rest == "assignments":
            return self._page(request, [a.model_dump() for a in course.assignments])
        found = _SUBMISSIONS.match(rest)
        if found and any(a.id == int(found.group(1)) for a in course.assignments):
            items = self._list(request, lambda: self._submissions(course, found.group(1)))
            return self._page(request, items)
        return _not_found()

    def _list(self, request: FakeRequest, build: Callable[[], list[Any]]) -> list[Any]:
        return self.listing(request, build, paging=("page", "per_page"))

    def _course(self, course: FakeCanvasCourse) -> dict[str, Any]:
        return {
            "id": course.id,
            "name": course.name,
            "course_code": course.course_code or course.sis_course_id or str(course.id),
            "sis_course_id": course.sis_course_id,
            "workflow_state": "available",
        }

    def _users(self, course: FakeCanvasCourse, request: FakeRequest) -> list[dict[str, Any]]:
        with_email = "email" in request.params("include[]")
        users = []
        for enrollment in self.dataset.course_enrollments(course.id):
            user = self.dataset.user(enrollment.user_id)
            assert user is not None  # the dataset validator guarantees it
            entry: dict[str, Any] = {
                "id": user.id,
                "name": user.name,
                "sortable_name": user.name,
                "short_name": user.name,
                "sis_user_id": user.sis_user_id,
            }
            if with_email:
                entry["email"] = user.email
            users.append(entry)
        return users

    def _enrollments(self, course: FakeCanvasCourse) -> list[dict[str, Any]]:
        return [
            {
                "id": e.id,
                "course_id": course.id,
                "sis_course_id": course.sis_course_id,
                "user_id": e.user_id,
                "type": "StudentEnrollment",
                "role": "StudentEnrollment",
                "enrollment_state": "active",
                "updated_at": _iso(e.updated_at),
                "grades": {
                    "current_score": e.final_score,
                    "final_score": e.final_score,
                    "current_grade": None,
                    "final_grade": None,
                },
                "user": {"id": e.user_id, "name": _name(self.dataset, e.user_id)},
            }
            for e in self.dataset.course_enrollments(course.id)
        ]

    def _progress(self, course: FakeCanvasCourse) -> list[dict[str, Any]]:
        items = []
        for e in self.dataset.course_enrollments(course.id):
            if course.requirement_count == 0:
                progress: dict[str, Any] = {
                    "error": {
                        "message": "no progress available because this course is not "
                        "module based (has modules and module completion requirements) or "
                        "the user is not enrolled as a student in this course"
                    }
                }
            else:
                progress = {
                    "requirement_count": course.requirement_count,
                    "requirement_completed_count": e.requirements_completed,
                    "next_requirement_url": None,
                    "completed_at": _iso(e.completed_at),
                }
            name = _name(self.dataset, e.user_id)
            items.append({"id": e.user_id, "display_name": name, "progress": progress})
        return items

    def _submissions(self, course: FakeCanvasCourse, assignment_id: str) -> list[dict[str, Any]]:
        return [
            {
                "assignment_id": int(assignment_id),
                "user_id": e.user_id,
                "score": e.submissions.get(assignment_id),
                "workflow_state": "graded" if e.submissions.get(assignment_id) else "unsubmitted",
            }
            for e in self.dataset.course_enrollments(course.id)
        ]

    def _page(self, request: FakeRequest, items: list[dict[str, Any]]) -> FakeResponse:
        try:
            page = max(int(request.param("page") or 1), 1)
            per_page = min(max(int(request.param("per_page") or 10), 1), _MAX_PER_PAGE)
        except ValueError:
            return FakeResponse.json({"errors": [{"message": "invalid page"}]}, 400)
        last = max((len(items) + per_page - 1) // per_page, 1)
        links = {"current": page, "first": 1, "last": last}
        if page < last:
            links["next"] = page if self.loop_paging else page + 1
        if page > 1:
            links["prev"] = page - 1
        others = [(k, v) for k, v in request.query if k not in ("page", "per_page")]
        header = ",".join(
            f"<{self.base_url}{request.path}?"
            f'{urlencode([*others, ("page", n), ("per_page", per_page)])}>; rel="{rel}"'
            for rel, n in links.items()
        )
        chunk = items[(page - 1) * per_page : page * per_page]
        return FakeResponse.json(chunk, headers={"Link": header, "X-Request-Cost": "0.01"})


def _json(payload: Any) -> FakeResponse:
    return FakeResponse.json(payload, headers={"X-Request-Cost": "0.01"})


def _not_found() -> FakeResponse:
    return FakeResponse.json(
        {"errors": [{"message": "The specified resource does not exist."}]}, 404
    )


def _iso(value: Any) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def _name(dataset: CanvasDataset, user_id: int) -> str:
    user = dataset.user(user_id)
    return user.name if user else ""


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a dataset until interrupted (Ctrl-C).

    Args:
        argv: command-line arguments; the process's when None.

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(prog="python -m badgeflow.fakelms.canvas")
    parser.add_argument("--dataset", type=Path, required=True, help="dataset JSON")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=8089, help="TCP port (default 8089)")
    parser.add_argument("--token", default="demo-token", help="token to accept")
    options = parser.parse_args(argv)
    dataset = CanvasDataset.load(options.dataset)
    server = FakeCanvas(dataset, options.token, host=options.host, port=options.port)
    return serve_until_interrupted(
        server, lambda: f"fake Canvas serving {options.dataset} at {server.base_url}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
