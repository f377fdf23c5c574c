from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from badgeflow.fakelms.blackboard import BlackboardDataset, FakeBlackboard

DATASET = Path(__file__).parents[2] / "fixtures" / "lms" / "blackboard" / "simple.json"
ROOT = "/learn/api/public"


@pytest.fixture
def server():
    with FakeBlackboard(BlackboardDataset.load(DATASET), "key", "secret") as server:
        yield server


@pytest.fixture
def token(server):
    response = httpx.post(
        f"{server.base_url}{ROOT}/v1/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=("key", "secret"),
    )
    return response.json()["access_token"]


def get(server, path, token, **params):
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{server.base_url}{ROOT}{path}", params=params, headers=headers)


def test_token_endpoint_takes_basic_auth_and_a_form(server):
    url = f"{server.base_url}{ROOT}/v1/oauth2/token"
    ok = httpx.post(url, data={"grant_type": "client_credentials"}, auth=("key", "secret"))
    bad = httpx.post(url, data={"grant_type": "client_credentials"}, auth=("key", "nope"))
    grant = httpx.post(url, data={"grant_type": "password"}, auth=("key", "secret"))

    assert ok.status_code == 200
    assert ok.json()["token_type"] == "Bearer" and ok.json()["expires_in"] == 3599
    assert (bad.status_code, bad.json()) == (401, {"error": "invalid_client"})
    assert grant.status_code == 400


def test_results_and_paging_next_page_is_server_relative(server, token):
    first = get(server, "/v1/courses/_101_1/users", token, limit=3, expand="user", role="Student")
    body = first.json()

    assert [m["userId"] for m in body["results"]] == ["_7_1", "_8_1", "_9_1"]
    assert body["results"][0]["user"]["contact"] == {"email": "Amelia.Hart@example.com"}
    assert body["results"][0]["courseRoleId"] == "Student"
    following = body["paging"]["nextPage"]
    assert following.startswith(f"{ROOT}/v1/courses/_101_1/users?")
    assert "offset=3" in following and "limit=3" in following and "role=Student" in following
    second = httpx.get(server.base_url + following, headers={"Authorization": f"Bearer {token}"})
    assert [m["userId"] for m in second.json()["results"]] == ["_10_1", "_11_1", "_12_1"]
    last = get(server, "/v1/courses/_101_1/users", token, limit=3, offset=6, role="Student")
    assert [m["userId"] for m in last.json()["results"]] == ["_13_1"]
    assert "paging" not in last.json()
    assert first.headers["X-Rate-Limit-Limit"] == "10000"


@pytest.mark.parametrize("key", ["_101_1", "courseId:DS101", "externalId:SIS.DS101"])
def test_courses_by_primary_or_prefixed_id(server, token, key):
    course = get(server, f"/v3/courses/{key}", token).json()

    assert (course["id"], course["courseId"], course["externalId"]) == (
        "_101_1",
        "DS101",
        "SIS.DS101",
    )


def test_unknown_course_and_column_are_404_rest_exceptions(server, token):
    course = get(server, "/v3/courses/courseId:NOPE", token)
    column = get(server, "/v2/courses/_101_1/gradebook/columns/_999_1/users", token)

    assert course.status_code == 404
    assert course.json()["status"] == 404 and course.json()["message"] == "Course not found"
    assert column.status_code == 404 and column.json()["message"] == "Grade column not found"


def test_grades_columns_and_attempts_shapes(server, token):
    columns = get(server, "/v2/courses/_101_1/gradebook/columns", token).json()["results"]
    grades = get(server, "/v2/courses/_101_1/gradebook/columns/_504_1/users", token).json()
    attempts = get(server, "/v2/courses/_101_1/gradebook/columns/_504_1/attempts", token).json()
    final = get(server, "/v2/courses/_102_1/gradebook/columns/finalGrade/users", token).json()

    assert columns[0] == {
        "id": "_501_1",
        "externalId": None,
        "name": "Module 1 quiz",
        "displayName": "Module 1 quiz",
        "externalGrade": False,
        "score": {"possible": 10.0},
        "availability": {"available": "Yes"},
        "grading": {"type": "Attempts"},
    }
    assert grades["results"][0]["displayGrade"] == {
        "scaleType": "Score",
        "score": 41.0,
        "possible": 50.0,
        "text": "41.0",
    }
    assert grades["results"][0]["status"] == "Graded"
    assert [a["id"] for a in attempts["results"][:3]] == ["_9003_1", "_9004_1", "_9005_1"]
    assert attempts["results"][1]["attemptDate"] == "2026-09-14T10:00:00.000Z"
    assert [g["score"] for g in final["results"]] == [91.0, 88.0]


def test_expired_tokens_are_refused_with_401(server, token):
    assert get(server, "/v3/courses/_101_1", token).status_code == 200
    server.expire_tokens()

    refused = get(server, "/v3/courses/_101_1", token)

    assert refused.status_code == 401
    assert refused.json()["message"] == "API request is not authorized."


def test_throttling_is_429_with_usage_headers_and_no_retry_after(server, token):
    server.throttle_next(1)

    response = get(server, "/v3/courses/_101_1", token)

    assert response.status_code == 429
    assert response.headers["X-Rate-Limit-Remaining"] == "0"
    assert "Retry-After" not in response.headers
    assert response.json()["status"] == 429


def test_fault_bursts_answer_rest_exceptions(server, token):
    server.fail_next(1, status=503)

    response = get(server, "/v3/courses/_101_1", token)

    assert response.status_code == 503 and response.json()["status"] == 503


def test_dataset_references_are_checked(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"courses": [], "users": [], "memberships": [{"user_id": "_1_1", "course_id": "_9_1"}]}'
    )

    with pytest.raises(ValueError, match="unknown course or user"):
        BlackboardDataset.load(bad)
