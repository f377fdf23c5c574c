from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from badgeflow.fakelms.talentlms import FakeTalentLMS, TalentLMSDataset

DATASET = Path(__file__).parents[2] / "fixtures" / "lms" / "talentlms" / "simple.json"
KEY = "k-0123456789"


@pytest.fixture
def server():
    with FakeTalentLMS(TalentLMSDataset.load(DATASET), KEY) as server:
        yield server


def get(server, path, key=KEY):
    return httpx.get(f"{server.base_url}/api/v1/{path}", auth=(key, ""))


def test_course_lists_users_and_units_with_string_numbers_and_dual_dates(server):
    course = get(server, "courses/id:12").json()

    assert (course["id"], course["code"]) == ("12", "PRV120")
    assert [u["id"] for u in course["units"]] == ["301", "302", "303"]
    first = course["users"][0]
    assert first["completed_on"] == "20/09/2026, 10:00:00"
    assert first["completed_on_timestamp"] == "1789898400"
    assert first["completion_percentage"] == "100"
    assert course["users"][1]["completed_on_timestamp"] is None
    assert course["users"][3]["role"] == "instructor"


def test_user_status_in_course_has_units_with_scores(server):
    status = get(server, "getuserstatusincourse/course_id:12,user_id:40").json()

    assert status["completion_status"] == "Completed"
    assert status["units"][2] == {
        "id": "303",
        "name": "Final test",
        "type": "Test",
        "completion_status": "Completed",
        "completed_on": "20/09/2026, 10:00:00",
        "completed_on_timestamp": "1789898400",
        "score": "85.00",
        "total_time": "",
    }
    pending = get(server, "getuserstatusincourse/course_id:12,user_id:41").json()
    assert pending["completion_status"] == "incomplete"
    assert pending["units"][2]["completion_status"] == "Not attempted"


def test_lists_are_not_paged(server):
    assert len(get(server, "users").json()) == 4
    assert [c["id"] for c in get(server, "courses").json()] == ["12", "13"]


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("courses/id:99", 404, "The requested course does not exist"),
        ("users/id:99", 404, "The requested user does not exist"),
        ("courses/id:abc", 400, "Invalid argument 'id:abc'"),
        ("getuserstatusincourse/course_id:12", 400, "Missing required argument"),
        ("getuserstatusincourse/course_id:13,user_id:40", 404, "not enrolled"),
    ],
)
def test_errors_have_talentlms_shape(server, path, status, message):
    response = get(server, path)

    assert response.status_code == status
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert message in response.json()["error"]["message"]


def test_bad_and_expired_keys_are_401(server):
    assert get(server, "users", key="nope").status_code == 401
    server.expire_tokens()
    assert get(server, "users").json()["error"]["message"] == "Invalid API key provided"


def test_throttling_is_429_and_ratelimit_counts_down(server):
    server.throttle_next(1)
    throttled = get(server, "users")
    get(server, "users")

    assert throttled.status_code == 429
    assert throttled.json()["error"]["message"] == "Rate limit exceeded"
    assert "Retry-After" not in throttled.headers
    limit = get(server, "ratelimit").json()
    assert (limit["limit"], limit["remaining"]) == ("10000", 9998)
