"""A fake Docebo on loopback speaking its REST API's wire format, for tests and demos.

Served (JSON; dates ``YYYY-MM-DD HH:MM:SS`` UTC):

- ``POST /oauth2/token``: grants ``client_credentials`` and ``password`` (``client_id``,
  ``client_secret``, ``scope=api``, and ``username``/``password``), as form fields or JSON.
  Errors as the OAuth2 server Docebo runs sends them: 400 ``invalid_client``, 401
  ``invalid_grant``, 400 ``unsupported_grant_type``.
- ``GET /course/v1/courses/enrollments`` (the admin listing; filters ``course_id[]``,
  ``user_id[]``, ``enrollment_status[]``, ``updated_from``): ``enrollment_*`` field names.
- ``GET /learn/v1/enrollments`` (filters ``id_user[]``, ``status[]``, ``type[]``,
  ``updated_from``; no course filter): ``id``/``name``/``code``/``status``/``score``/
  ``course_complete_date`` field names, learning plans listed beside courses, levels as
  Docebo's numeric codes (3 student, 4 tutor, 6 instructor) [I].
- ``GET /learn/v1/courses/{id}``; ``GET /manage/v1/user`` and ``/manage/v1/user/{id}``.

Listings page with ``page`` (1-based) and ``page_size`` (1-200) in the envelope
``{"data": {"items", "count", "has_more_data", "total_page_count", "current_page",
"current_page_size", "cursor"}, "version", "_links"}``. A stale token is 401
``invalid_token`` with ``WWW-Authenticate``; an unknown course or user 404 and any bad
parameter 400, in the ``{name, message, code, status}`` shape [I]; throttling is 429 with no
``Retry-After`` (Docebo documents none). Extra switches: `loop_paging` (the page never
advances), `course_endpoint_status` (the admin listing answers that status: a client without
the permission, or a platform without the endpoint), `expire_tokens_after` and
`revoke_tokens` (every API call is refused, fresh tokens too).

Run it by hand::

    python -m badgeflow.fakelms.docebo --dataset data.json --port 8090
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from badgeflow.fakelms._docebo_items import admin_item, learn_item, user_item
from badgeflow.fakelms._server import (
    FakeLMSServer,
    FakeRequest,
    FakeResponse,
    serve_until_interrupted,
)
from badgeflow.fakelms.docebo_dataset import DoceboDataset, FakeDoceboEnrollment

__all__ = ["DoceboDataset", "FakeDocebo", "main"]

_COURSE: Final = re.compile(r"^/learn/v1/courses/(\d+)$")
_USER: Final = re.compile(r"^/manage/v1/user/(\d+)$")
_MAX_PAGE_SIZE: Final = 200
_REFUSALS: Final = {
    403: ("Forbidden", "You are not allowed to perform this action."),
    404: ("Not Found", "Page not found."),
}


class FakeDocebo(FakeLMSServer):
    """A Docebo platform on ``127.0.0.1``; see the module docstring for what it speaks.

    Examples:
        >>> with FakeDocebo(DoceboDataset(), client_id="c", client_secret="s") as server:
        ...     server.base_url.startswith("http://127.0.0.1:")
        True
    """

    vendor = "Docebo"

    def __init__(
        self,
        dataset: DoceboDataset,
        *,
        client_id: str,
        client_secret: str,
        username: str | None = None,
        password: str | None = None,
        expires_in: int = 3600,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        """Prepare the server; it listens once started (``with`` or `start`).

        Args:
            dataset: what the server serves.
            client_id: the OAuth2 client it knows.
            client_secret: that client's secret.
            username: the user the password grant accepts (None: no password grant).
            password: that user's password.
            expires_in: lifetime of issued tokens, seconds.
            host: the address to bind.
            port: the TCP port; 0 picks a free one.
        """
        super().__init__(host=host, port=port)
        self.dataset = dataset
        self.client_id, self.client_secret = client_id, client_secret
        self.username, self.password = username, password
        self.expires_in = expires_in
        self.loop_paging = False
        self.course_endpoint_status: int | None = None
        self.revoke_tokens = False
        self._expire_countdown: int | None = None

    def expire_tokens_after(self, n: int) -> None:
        """Let `n` more API calls through, then expire every token (mid-run expiry)."""
        self._expire_countdown = n

    def throttle_response(self, request: FakeRequest) -> FakeResponse:
        """429 in Docebo's error shape, without ``Retry-After``."""
        return _error(429, "Too Many Requests", "Rate limit exceeded: 1000 calls per hour")

    def handle(self, request: FakeRequest) -> FakeResponse:
        """Issue tokens, authenticate, route and page one API request."""
        if request.path == "/oauth2/token" and request.method == "POST":
            return self._token(request)
        if self._expire_countdown is not None:
            if self._expire_countdown == 0:
                self.expire_tokens()
                self._expire_countdown = None
            else:
                self._expire_countdown -= 1
        token = request.bearer()
        if self.revoke_tokens or not self.token_is_live(token):
            reason = "was revoked" if self.revoke_tokens else "has expired"
            reason = reason if token else "was not found"
            return FakeResponse.json(
                {"error": "invalid_token", "error_description": f"The access token {reason}"},
                401,
                {"WWW-Authenticate": 'Bearer realm="Service", error="invalid_token"'},
            )
        return self._route(request)

    def _route(self, request: FakeRequest) -> FakeResponse:
        path = request.path
        if path == "/course/v1/courses/enrollments":
            if self.course_endpoint_status is not None:
                status = self.course_endpoint_status
                name, message = _REFUSALS.get(status, ("Error", "Internal error"))
                return _error(status, name, message)
            return self._listing(request, self._admin_items)
        if path == "/learn/v1/enrollments":
            return self._listing(request, self._learn_items)
        if path == "/manage/v1/user":
            return self._page(request, [user_item(u) for u in self.dataset.users])
        found = _COURSE.match(path)
        if found:
            course = self.dataset.course(int(found.group(1)))
            if course is None:
                return _error(404, "Not Found", "Course not found")
            return _envelope(
                {
                    "id_course": course.id,
                    "name": course.name,
                    "code": course.code,
                    "uidCourse": course.uid,
                    "course_type": course.type,
                }
            )
        found = _USER.match(path)
        if found:
            user = self.dataset.user(int(found.group(1)))
            if user is None:
                return _error(404, "Not Found", "User not found")
            return _envelope(user_item(user))
        return _error(404, "Not Found", "Page not found.")

    def _token(self, request: FakeRequest) -> FakeResponse:
        if "json" in request.headers.get("content-type", ""):
            fields = {k: str(v) for k, v in json.loads(request.body or b"{}").items()}
        else:
            fields = dict(request.form)
        grant = fields.get("grant_type")
        if grant not in ("client_credentials", "password"):
            return _oauth_error(400, "unsupported_grant_type", "Grant type not supported")
        if (fields.get("client_id"), fields.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return _oauth_error(400, "invalid_client", "The client credentials are invalid")
        if grant == "password" and (
            self.username is None
            or (fields.get("username"), fields.get("password")) != (self.username, self.password)
        ):
            return _oauth_error(401, "invalid_grant", "Invalid username and password combination")
        answer: dict[str, Any] = {
            "access_token": self.issue_token(),
            "expires_in": self.expires_in,
            "token_type": "Bearer",
            "scope": fields.get("scope") or "api",
        }
        if grant == "password":
            answer["refresh_token"] = self.issue_token()
        return FakeResponse.json(answer)

    def _listing(
        self, request: FakeRequest, render: Callable[[FakeRequest], list[dict[str, Any]]]
    ) -> FakeResponse:
        try:
            items = self.listing(request, lambda: render(request), paging=("page", "page_size"))
        except ValueError as exc:
            return _error(400, "Bad Request", str(exc))
        return self._page(request, items)

    def _admin_items(self, request: FakeRequest) -> list[dict[str, Any]]:
        courses, users = request.params("course_id[]"), request.params("user_id[]")
        statuses = request.params("enrollment_status[]")
        items = []
        for e in self._changed(request):
            course = self.dataset.course(e.course_id)
            if course is None:  # learning plans are not in the course service
                continue
            if (courses and str(e.course_id) not in courses) or (
                users and str(e.user_id) not in users
            ):
                continue
            if statuses and e.status not in statuses:
                continue
            user = self.dataset.user(e.user_id)
            assert user is not None  # the dataset validator guarantees it
            items.append(admin_item(e, course, user))
        return items

    def _learn_items(self, request: FakeRequest) -> list[dict[str, Any]]:
        users, statuses = request.params("id_user[]"), request.params("status[]")
        types = request.params("type[]")
        items = []
        for e in self._changed(request):
            course = next(c for c in self.dataset.courses if c.id == e.course_id)
            if (users and str(e.user_id) not in users) or (statuses and e.status not in statuses):
                continue
            if types and course.type not in types:
                continue
            items.append(learn_item(e, course))
        return items

    def _changed(self, request: FakeRequest) -> list[FakeDoceboEnrollment]:
        raw = request.param("updated_from")
        enrollments = self.dataset.sorted_enrollments()
        if not raw:
            return enrollments
        try:
            since = datetime.strptime(raw, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        except ValueError:
            raise ValueError(f"Invalid updated_from: {raw}") from None
        return [e for e in enrollments if e.updated_at is None or e.updated_at >= since]

    def _page(self, request: FakeRequest, items: list[dict[str, Any]]) -> FakeResponse:
        try:
            page = max(int(request.param("page") or 1), 1)
            size = min(max(int(request.param("page_size") or 20), 1), _MAX_PAGE_SIZE)
        except ValueError:
            return _error(400, "Bad Request", "Invalid page or page_size")
        pages = max((len(items) + size - 1) // size, 1)
        current = 1 if self.loop_paging else page
        chunk = items[(page - 1) * size : page * size]
        return _envelope(
            {
                "items": chunk,
                "count": len(items),
                "has_more_data": self.loop_paging or page < pages,
                "total_page_count": pages,
                "current_page": current,
                "current_page_size": size,
                "cursor": f"c{len(items)}",
            }
        )


def _envelope(data: dict[str, Any]) -> FakeResponse:
    return FakeResponse.json({"data": data, "version": "1.0.0", "_links": []})


def _error(status: int, name: str, message: str) -> FakeResponse:
    body = {"name": name, "message": message, "code": 0, "status": status}
    return FakeResponse.json(body, status)


def _oauth_error(status: int, error: str, description: str) -> FakeResponse:
    return FakeResponse.json({"error": error, "error_description": description}, status)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a dataset until interrupted (Ctrl-C).

    Args:
        argv: command-line arguments; the process's when None.

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(prog="python -m badgeflow.fakelms.docebo")
    parser.add_argument("--dataset", type=Path, required=True, help="dataset JSON")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=8090, help="TCP port (default 8090)")
    parser.add_argument("--client-id", default="demo-client", help="OAuth2 client id")
    parser.add_argument("--client-secret", default="demo-secret", help="OAuth2 client secret")
    options = parser.parse_args(argv)
    server = FakeDocebo(
        DoceboDataset.load(options.dataset),
        client_id=options.client_id,
        client_secret=options.client_secret,
        host=options.host,
        port=options.port,
    )
    return serve_until_interrupted(
        server, lambda: f"fake Docebo serving {options.dataset} at {server.base_url}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
