from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from badgeflow.fakelms.docebo import DoceboDataset, FakeDocebo

DATASET = Path(__file__).parents[2] / "fixtures" / "lms" / "docebo" / "simple.json"
CLIENT, SECRET, USER, PASSWORD = "app", "s3cret-value", "api.reader", "pw-12345"


@pytest.fixture
def server():
    fake = FakeDocebo(
        DoceboDataset.load(DATASET),
        client_id=CLIENT,
        client_secret=SECRET,
        username=USER,
        password=PASSWORD,
    )
    with fake as server:
        yield server


def token(server, **fields) -> httpx.Response:
    form = {"grant_type": "client_credentials", "client_id": CLIENT, "client_secret": SECRET}
    return httpx.post(server.base_url + "/oauth2/token", data={**form, "scope": "api", **fields})


def get(server, path, **params) -> httpx.Response:
    bearer = token(server).json()["access_token"]
    return httpx.get(
        server.base_url + path, params=params, headers={"Authorization": f"Bearer {bearer}"}
    )


def test_both_grants_issue_bearer_tokens(server):
    client = token(server).json()
    password = token(server, grant_type="password", username=USER, password=PASSWORD).json()

    assert client["token_type"] == "Bearer" and client["expires_in"] == 3600
    assert client["scope"] == "api" and "refresh_token" not in client
    assert password["access_token"] != client["access_token"] and password["refresh_token"]


def test_json_token_requests_are_accepted(server):
    body = {"grant_type": "client_credentials", "client_id": CLIENT, "client_secret": SECRET}

    assert httpx.post(server.base_url + "/oauth2/token", json=body).status_code == 200


@pytest.mark.parametrize(
    ("fields", "status", "error"),
    [
        ({"client_secret": "nope"}, 400, "invalid_client"),
        ({"grant_type": "password", "username": USER, "password": "x"}, 401, "invalid_grant"),
        ({"grant_type": "implicit"}, 400, "unsupported_grant_type"),
    ],
)
def test_token_errors_are_oauth2_shaped(server, fields, status, error):
    response = token(server, **fields)

    assert response.status_code == status
    assert response.json()["error"] == error and response.json()["error_description"]


def test_the_two_enrollment_listings_use_their_own_field_names(server):
    admin = get(server, "/course/v1/courses/enrollments", **{"course_id[]": "15"}).json()
    learn = get(server, "/learn/v1/enrollments", **{"id_user[]": "13001"}).json()

    (row,) = admin["data"]["items"]
    assert row["course_code"] == "" and row["course_name"] == "SQL Essentials"
    assert row["enrollment_status"] == "completed" and row["enrollment_score"] == 88.0
    assert row["enrollment_completion_date"] == "2026-10-05 12:00:00"
    items = {i["id"]: i for i in learn["data"]["items"]}
    assert sorted(items) == [12, 15, 20]  # the learning plan too
    assert items[15]["status"] == "completed" and items[15]["score"] == 88.0
    assert items[15]["course_complete_date"] == "2026-10-05 12:00:00"
    assert items[12]["level"] == "3" and items[20]["type"] == "learning_plan"
    assert "enrollment_status" not in items[15] and "status" not in row


def test_envelope_pages_with_has_more_data(server):
    first = get(server, "/course/v1/courses/enrollments", page_size=4).json()
    last = get(server, "/course/v1/courses/enrollments", page_size=4, page=2).json()

    assert set(first) == {"data", "version", "_links"}
    assert first["data"]["has_more_data"] is True
    assert (first["data"]["current_page"], first["data"]["total_page_count"]) == (1, 2)
    assert len(first["data"]["items"]) == len(last["data"]["items"]) == 4  # 8, no plan
    assert last["data"]["has_more_data"] is False
    big = get(server, "/course/v1/courses/enrollments", page_size=500).json()
    assert big["data"]["current_page_size"] == 200


def test_updated_from_filters_on_last_update(server):
    found = get(server, "/course/v1/courses/enrollments", updated_from="2026-11-01 00:00:00")
    bad = get(server, "/learn/v1/enrollments", updated_from="yesterday")

    assert [i["user_id"] for i in found.json()["data"]["items"]] == [13004]
    assert bad.status_code == 400 and bad.json()["name"] == "Bad Request"


def test_unknown_course_and_user_are_404(server):
    course = get(server, "/learn/v1/courses/999")
    plan = get(server, "/learn/v1/courses/20")

    assert course.status_code == plan.status_code == 404
    assert course.json() == {
        "name": "Not Found", "message": "Course not found", "code": 0, "status": 404,
    }  # fmt: skip
    assert get(server, "/manage/v1/user/1").status_code == 404
    assert get(server, "/learn/v1/courses/12").json()["data"]["code"] == "DS101"
    assert get(server, "/manage/v1/user/13001").json()["data"]["email"].startswith("Amelia")


def test_stale_tokens_are_401_invalid_token(server):
    assert get(server, "/manage/v1/user").status_code == 200
    bearer = token(server).json()["access_token"]
    server.expire_tokens()

    expired = httpx.get(
        server.base_url + "/manage/v1/user", headers={"Authorization": f"Bearer {bearer}"}
    )

    assert expired.status_code == 401 and "WWW-Authenticate" in expired.headers
    assert expired.json()["error"] == "invalid_token"
    assert httpx.get(server.base_url + "/manage/v1/user").status_code == 401


def test_throttling_is_429_without_retry_after(server):
    server.throttle_next(1, after=1)  # after the token request

    response = get(server, "/manage/v1/user")

    assert response.status_code == 429 and "Retry-After" not in response.headers
    assert response.json()["status"] == 429


def test_course_endpoint_refusal_switch(server):
    server.course_endpoint_status = 403

    assert get(server, "/course/v1/courses/enrollments").status_code == 403
    assert get(server, "/learn/v1/enrollments").status_code == 200


def test_secrets_are_not_recorded(server):
    get(server, "/manage/v1/user")

    assert SECRET not in repr(server.requests)
