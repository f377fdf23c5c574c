"""A fake SAP Litmos on loopback speaking the Developer API's wire format, for tests and demos.

Served (``/v1.svc``, header ``apikey``, required query ``source``, JSON with ``format=json``
and XML otherwise, ``start``/``limit`` offset paging with ``limit`` at most 1000):
``results/details`` and ``org/modules/results`` (both filtered by ``since``/``to``, which
take ``yyyy-MM-dd HH:mm:ss``, ``yyyy-MM-dd HH:mm`` or ``yyyy-MM-dd``), ``courses/<id>``,
``courses/<id>/modules`` and ``users/<id>``.

Litmos's own signals: a bad or expired key is 401, a missing ``source`` 400, an unknown
course 404, a bad date or ``limit`` over 1000 406, all with plain-text bodies; over the
rate limit (`throttle_next`) it answers 503 "Service Unavailable. The API rating limit has
been exceeded." with no ``Retry-After``. Dates have no zone (``2026-10-02T09:15:00.000``,
UTC). Setting `ignore_start` serves the first page whatever ``start`` asks (a paging loop).

Run it by hand::

    python -m badgeflow.fakelms.litmos --dataset data.json --port 8091 --key demo-key
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from xml.sax.saxutils import escape

from badgeflow.fakelms._server import (
    FakeLMSServer,
    FakeRequest,
    FakeResponse,
    serve_until_interrupted,
)
from badgeflow.fakelms.litmos_dataset import FakeLitmosCourse, FakeLitmosResult, LitmosDataset

__all__ = ["FakeLitmos", "LitmosDataset", "main"]

_PREFIX: Final = "/v1.svc/"
_COURSE: Final = re.compile(r"^courses/([^/]+)(/modules)?$")
_USER: Final = re.compile(r"^users/([^/]+)$")
_MAX_LIMIT: Final = 1000
_DATE_FORMATS: Final = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


class FakeLitmos(FakeLMSServer):
    """A Litmos Developer API on ``127.0.0.1``; see the module docstring for what it speaks.

    Examples:
        >>> with FakeLitmos(LitmosDataset(), api_key="k") as server:
        ...     server.base_url.startswith("http://127.0.0.1:")
        True
    """

    vendor = "Litmos"

    def __init__(
        self, dataset: LitmosDataset, api_key: str, *, host: str = "127.0.0.1", port: int = 0
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
        self.ignore_start = False

    def throttle_response(self, request: FakeRequest) -> FakeResponse:
        """503 "The API rating limit has been exceeded" (Litmos sends no Retry-After)."""
        return _text(503, "Service Unavailable. The API rating limit has been exceeded.")

    def error_response(self, status: int) -> FakeResponse:
        """A server error with a plain-text body."""
        return _text(status, "The server encountered an error processing the request.")

    def handle(self, request: FakeRequest) -> FakeResponse:
        """Authenticate, route and page one API request."""
        if request.headers.get("apikey") != self.api_key or self.tokens_expired:
            return _text(401, "Unauthorized: invalid API key")
        source = request.param("source")
        if not source or len(source) > 50:
            return _text(
                400, "Bad Request: the source parameter is required (50 characters at most)"
            )
        path = request.path.removeprefix(_PREFIX)
        as_json = (request.param("format") or "").lower() == "json"
        if path in ("results/details", "org/modules/results"):
            try:
                since, to = _date(request.param("since")), _date(request.param("to"))
                start = int(request.param("start") or 0)
                limit = int(request.param("limit") or 100)
            except ValueError:
                return _text(406, "Not Acceptable: invalid date or paging parameter")
            if limit > _MAX_LIMIT or limit < 1 or start < 0:
                return _text(406, f"Not Acceptable: limit must be between 1 and {_MAX_LIMIT}")
            items = (
                self._results(since, to) if path == "results/details" else self._modules(since, to)
            )
            first = 0 if self.ignore_start else start
            return _answer(items[first : first + limit], as_json)
        match = _COURSE.match(path)
        if match:
            course = self.dataset.course(match.group(1))
            if course is None:
                return _text(404, "Not Found: course does not exist")
            if match.group(2):
                return _answer([_module(course, m.id) for m in course.modules], as_json)
            return _answer(_course(course), as_json)
        match = _USER.match(path)
        user = self.dataset.user(match.group(1)) if match else None
        if user is not None:
            return _answer(self._user(user.id), as_json)
        return _text(404, "Not Found")

    def _user(self, user_id: str) -> dict[str, Any]:
        user = self.dataset.user(user_id)
        assert user is not None
        return {
            "Id": user.id,
            "OriginalId": user.original_id,
            "UserName": user.username,
            "FirstName": user.first_name,
            "LastName": user.last_name,
            "FullName": f"{user.first_name} {user.last_name}",
            "Email": user.email or "",
            "AccessLevel": "Learner",
            "Active": True,
        }

    def _results(self, since: datetime | None, to: datetime | None) -> list[dict[str, Any]]:
        rows = []
        for r in _within(self.dataset.results, since, to):
            course = self.dataset.course(r.course_id)
            assert course is not None
            user = self._user(r.user_id)
            rows.append(
                {
                    "Id": user["Id"],
                    "UserOriginalId": user["OriginalId"],
                    "UserName": user["UserName"],
                    "FirstName": user["FirstName"],
                    "LastName": user["LastName"],
                    "Active": True,
                    "Email": user["Email"],
                    "AccessLevel": "Learner",
                    "CourseId": course.id,
                    "CourseOriginalId": course.original_id,
                    "UpdatedDate": _stamp(r.updated_at),
                    "Code": course.code,
                    "CourseName": course.name,
                    "Complete": r.completed_at is not None,
                    "PercentageComplete": r.percentage,
                    "CompletedDate": _stamp(r.completed_at),
                    "UpToDate": True,
                    "Overdue": False,
                    "CompliantTillDate": None,
                }
            )
        return rows

    def _modules(self, since: datetime | None, to: datetime | None) -> list[dict[str, Any]]:
        rows = []
        for r in self.dataset.results:
            course = self.dataset.course(r.course_id)
            user = self.dataset.user(r.user_id)
            assert course is not None and user is not None
            for module_id, m in r.modules.items():
                changed = m.finished_at or r.updated_at
                if (since and changed < since) or (to and changed > to):
                    continue
                rows.append(
                    {
                        **_module(course, module_id),
                        "UserId": user.id,
                        "OriginalUserId": user.original_id,
                        "ModuleResultId": f"{user.original_id}-{module_id}-{m.attempt}",
                        "Score": m.score,
                        "Completed": m.finished_at is not None,
                        "AttemptNumber": m.attempt,
                        "FinishedDate": _stamp(m.finished_at),
                        "UpdatedDate": _stamp(changed),
                        "UserName": user.username,
                    }
                )
        return rows


def _within(
    results: list[FakeLitmosResult], since: datetime | None, to: datetime | None
) -> list[FakeLitmosResult]:
    found = [
        r
        for r in results
        if not (since and r.updated_at < since) and not (to and r.updated_at > to)
    ]
    return sorted(found, key=lambda r: (r.updated_at, r.user_id, r.course_id))


def _course(course: FakeLitmosCourse) -> dict[str, Any]:
    return {
        "Id": course.id,
        "OriginalId": course.original_id,
        "Code": course.code,
        "Name": course.name,
        "Active": True,
        "ForSale": False,
        "Description": "",
    }


def _module(course: FakeLitmosCourse, module_id: str) -> dict[str, Any]:
    index, module = next((i, m) for i, m in enumerate(course.modules) if m.id == module_id)
    return {
        "Id": module.id,
        "OriginalModuleId": course.original_id * 100 + index + 1,
        "Name": module.name,
        "Code": course.code,
        "Passmark": module.passmark,
        "ModuleType": "Assessment" if module.passmark else "Content",
        "Active": True,
    }


def _date(text: str | None) -> datetime | None:
    if not text:
        return None
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValueError(text)


def _stamp(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000") if value else None


def _text(status: int, message: str) -> FakeResponse:
    return FakeResponse(status, message.encode(), {"Content-Type": "text/plain; charset=utf-8"})


def _answer(payload: Any, as_json: bool) -> FakeResponse:
    if as_json:
        return FakeResponse.json(payload)
    return FakeResponse(
        200, _xml(payload).encode(), {"Content-Type": "application/xml; charset=utf-8"}
    )


def _xml(payload: Any, tag: str = "Item") -> str:
    if isinstance(payload, list):
        return f"<Items>{''.join(_xml(item) for item in payload)}</Items>"
    fields = "".join(f"<{k}>{escape(_xml_text(v))}</{k}>" for k, v in payload.items())
    return f"<{tag}>{fields}</{tag}>"


def _xml_text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).lower() if isinstance(value, bool) else str(value)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a dataset until interrupted (Ctrl-C).

    Args:
        argv: command-line arguments; the process's when None.

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(prog="python -m badgeflow.fakelms.litmos")
    parser.add_argument("--dataset", type=Path, required=True, help="dataset JSON")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=8091, help="TCP port (default 8091)")
    parser.add_argument("--key", default="demo-key", help="API key to accept")
    options = parser.parse_args(argv)
    dataset = LitmosDataset.load(options.dataset)
    server = FakeLitmos(dataset, options.key, host=options.host, port=options.port)
    return serve_until_interrupted(
        server, lambda: f"fake Litmos serving {options.dataset} at {server.base_url}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
