from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from badgeflow.fakelms.learning360 import FakeLearning360, Learning360Dataset, main

DATASET = Path(__file__).parents[2] / "fixtures" / "lms" / "learning360" / "simple.json"
CLIENT_ID, SECRET = "cid-0123", "secret-0123456"
C1, P1 = "c00000000000000000000101", "b00000000000000000000201"


# One client for the module: building httpx's TLS context for every call costs more than the call.
HTTP = httpx.Client()


@pytest.fixture(scope="module", autouse=True)
def _close_http():
    yield
    HTTP.close()  # its pooled connections would otherwise outlive the fake servers


@pytest.fixture
def server():
    with FakeLearning360(Learning360Dataset.load(DATASET), CLIENT_ID, SECRET, page_size=2) as fake:
        yield fake


def token(server, **body) -> httpx.Response:
    body = body or {"grant_type": "client_credentials", "client_id": CLIENT_ID,
                    "client_secret": SECRET}  # fmt: skip
    return HTTP.post(server.base_url + "/api/v2/oauth2/token", json=body)


def get(server, path, *, bearer=None, version="v2.0", params=None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {bearer or token(server).json()['access_token']}"}
    if version:
        headers["360-api-version"] = version
    url = path if path.startswith("http") else server.base_url + path
    return HTTP.get(url, params=params, headers=headers)


def test_token_answer_is_a_one_hour_bearer_token(server):
    answer = token(server).json()

    assert set(answer) == {"token_type", "access_token", "expires_in"}
    assert (answer["token_type"], answer["expires_in"]) == ("Bearer", 3600)
    assert server.token_is_live(answer["access_token"])


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "x"},
         401, "invalid_client"),
        ({"grant_type": "password", "client_id": CLIENT_ID, "client_secret": SECRET},
         400, "unsupported_grant_type"),
        ({"grantType": "client_credentials", "clientId": CLIENT_ID, "clientSecret": SECRET},
         400, "invalid_request"),
    ],
)  # fmt: skip
def test_token_errors_are_a_single_error_field(server, body, status, error):
    answer = token(server, **body)

    assert (answer.status_code, answer.json()) == (status, {"error": error})


def test_calls_need_a_live_token_and_the_version_header(server):
    assert get(server, f"/api/v2/courses/{C1}", bearer="nope").json() == {"error": "invalid_token"}
    missing = get(server, f"/api/v2/courses/{C1}", version=None)
    assert missing.status_code == 400
    live = token(server).json()["access_token"]
    server.expire_tokens()
    assert get(server, f"/api/v2/courses/{C1}", bearer=live).status_code == 401


def test_course_stats_page_with_a_next_cursor_that_keeps_the_filters(server):
    first = get(server, "/api/v2/courses/stats", params={"courseId[eq]": C1})

    assert [a["_id"][-1] for a in first.json()] == ["1", "2"]
    assert first.json()[0] == {
        "_id": "e00000000000000000000001", "courseId": C1,
        "userId": "a00000000000000000000001", "lang": "en", "progress": 100, "score": 82,
        "timeSpent": 5400000, "completedAt": "2026-09-14T10:00:00.000Z",
    }  # fmt: skip
    seen = [a["_id"] for a in first.json()]
    url = first.links["next"]["url"]
    assert set(httpx.URL(url).params) == {"next"}
    while url:
        page = get(server, url)
        seen += [a["_id"] for a in page.json()]
        url = page.links.get("next", {}).get("url")
    assert len(seen) == len(set(seen)) == 6  # C2's attempt is filtered out on every page


def test_completed_at_filters_need_millisecond_iso_z(server):
    bad = get(server, "/api/v2/courses/stats", params={"completedAt[gte]": "2026-10-01"})
    good = get(
        server, "/api/v2/courses/stats", params={"completedAt[gte]": "2026-11-02T00:00:00.000Z"}
    )

    assert bad.status_code == 400 and bad.json()["error"]["code"] == "badRequest"
    assert [a["_id"][-1] for a in good.json()] == ["5", "6"]


def test_unknown_parameters_are_refused(server):
    answer = get(server, "/api/v2/courses/stats", params={"per_page": "100"})

    assert answer.status_code == 400


def test_path_stats_carry_status_type(server):
    (first, second) = get(server, "/api/v2/paths/stats", params={"pathId[in][0]": P1}).json()

    assert first["status"] == {"type": "successful"}
    assert first["pathId"] == P1 and "completedAt" in first
    assert second["status"] == {"type": "onTime"} and "completedAt" not in second


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/v2/courses/cccccccccccccccccccccccc", "courseNotFound"),
        ("/api/v2/paths/bbbbbbbbbbbbbbbbbbbbbbbb", "pathNotFound"),
        ("/api/v2/users/aaaaaaaaaaaaaaaaaaaaaaaa", "userNotFound"),
    ],
)
def test_unknown_ids_are_404_with_a_code(server, path, code):
    answer = get(server, path)

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == code


def test_a_missing_scope_is_403_invalid_scope(server):
    server.scopes.discard("users:read")

    answer = get(server, "/api/v2/users/a00000000000000000000001")

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "invalid_scope"


def test_throttling_is_429_too_many_requests_with_optional_retry_after(server):
    server.throttle_next(1)
    plain = HTTP.get(server.base_url + "/api/v2/courses/stats")
    server.retry_after = "3"
    server.throttle_next(1)
    with_header = HTTP.get(server.base_url + "/api/v2/courses/stats")

    assert (plain.status_code, plain.json()) == (429, {"error": "tooManyRequests"})
    assert "Retry-After" not in plain.headers
    assert with_header.headers["Retry-After"] == "3"


def test_expire_after_expires_tokens_after_that_many_calls(server):
    live = token(server).json()["access_token"]
    server.expire_after = 1

    assert get(server, f"/api/v2/courses/{C1}", bearer=live).status_code == 200
    assert get(server, f"/api/v2/courses/{C1}", bearer=live).status_code == 401
    assert server.expire_after is None


def test_dataset_refuses_dangling_courses(tmp_path):
    data = json.loads(DATASET.read_text())
    data["attempts"][0]["courseId"] = "ffffffffffffffffffffffff"
    (tmp_path / "d.json").write_text(json.dumps(data))

    with pytest.raises(ValueError, match="unknown course"):
        Learning360Dataset.load(tmp_path / "d.json")


def test_main_refuses_a_broken_dataset(tmp_path):
    (tmp_path / "broken.json").write_text("{")

    with pytest.raises(ValueError, match="not a 360Learning dataset"):
        main(["--dataset", str(tmp_path / "broken.json")])
