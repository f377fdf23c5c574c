from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from badgeflow.fakelms.canvas import CanvasDataset, FakeCanvas

DATASET = Path(__file__).parents[2] / "fixtures" / "lms" / "canvas" / "simple.json"
TOKEN = "t-0123456789"


@pytest.fixture
def server():
    with FakeCanvas(CanvasDataset.load(DATASET), TOKEN) as server:
        yield server


def get(server, path, token=TOKEN, **params):
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(server.base_url + path, params=params, headers=headers)


def test_link_header_pages_with_per_page(server):
    first = get(server, "/api/v1/courses/101/enrollments", per_page=2, **{"type[]": "x"})

    assert [e["id"] for e in first.json()] == [9001, 9002]
    links = first.links
    assert set(links) == {"current", "first", "last", "next"}
    assert "type%5B%5D=x" in links["next"]["url"] and "page=2" in links["next"]["url"]
    last = httpx.get(links["last"]["url"], headers={"Authorization": f"Bearer {TOKEN}"})
    assert [e["id"] for e in last.json()] == [9005]
    assert "next" not in last.links
    assert first.headers["X-Request-Cost"]


def test_sis_course_id_addresses_a_course(server):
    assert get(server, "/api/v1/courses/sis_course_id:DS101").json()["id"] == 101


def test_progress_shape_and_not_module_based(server):
    items = get(server, "/api/v1/courses/101/bulk_user_progress", per_page=100).json()
    assert items[0]["progress"] == {
        "requirement_count": 3,
        "requirement_completed_count": 3,
        "next_requirement_url": None,
        "completed_at": "2026-09-14T10:00:00Z",
    }
    (onboarding,) = get(server, "/api/v1/courses/103/bulk_user_progress").json()
    assert "not module based" in onboarding["progress"]["error"]["message"]


def test_email_only_when_included(server):
    plain = get(server, "/api/v1/courses/101/users")
    with_email = get(server, "/api/v1/courses/101/users", **{"include[]": "email"})

    assert "email" not in plain.json()[0]
    assert with_email.json()[0]["email"] == "Amelia.Hart@example.com"


def test_bad_and_expired_tokens_are_401_with_www_authenticate(server):
    assert get(server, "/api/v1/courses", token="nope").status_code == 401
    server.expire_tokens()
    expired = get(server, "/api/v1/courses")
    assert expired.status_code == 401
    assert "WWW-Authenticate" in expired.headers


def test_unknown_course_is_404_with_errors(server):
    response = get(server, "/api/v1/courses/999")

    assert response.status_code == 404
    assert response.json() == {"errors": [{"message": "The specified resource does not exist."}]}


@pytest.mark.parametrize("status", [403, 429])
def test_throttling_looks_like_canvas(server, status):
    server.throttle_status = status
    server.throttle_next(1)

    response = get(server, "/api/v1/courses")

    assert response.status_code == status
    assert "Rate Limit Exceeded" in response.text
    assert response.headers["X-Rate-Limit-Remaining"] == "0.0"


def test_loop_paging_points_next_at_the_same_page(server):
    server.loop_paging = True

    response = get(server, "/api/v1/courses", per_page=1)

    assert "page=1" in response.links["next"]["url"]


def test_dataset_references_must_resolve(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"enrollments": [{"id": 1, "user_id": 2, "course_id": 3}]}')

    with pytest.raises(ValueError, match="unknown course or user"):
        CanvasDataset.load(bad)
