from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from badgeflow.fakelms.litmos import FakeLitmos, LitmosDataset

DATASET = Path(__file__).parents[2] / "fixtures" / "lms" / "litmos" / "simple.json"
KEY = "k-0123456789"


@pytest.fixture
def server():
    with FakeLitmos(LitmosDataset.load(DATASET), KEY) as server:
        yield server


def get(server, path, key=KEY, **params):
    params = {"source": "tests", "format": "json", **params}
    return httpx.get(f"{server.base_url}/v1.svc/{path}", params=params, headers={"apikey": key})


def test_results_details_page_with_start_and_limit_and_filter_by_since(server):
    first = get(server, "results/details", start=0, limit=3).json()
    rest = get(server, "results/details", start=3, limit=3).json()
    recent = get(server, "results/details", since="2026-10-01").json()

    assert len(first) == 3 and len(rest) == 1
    assert first[1]["CompletedDate"] == "2026-09-20T10:00:00.000"  # no zone: UTC
    assert first[1]["Code"] == "SQL110" and first[1]["Complete"] is True
    assert [r["UpdatedDate"] for r in recent] == [
        "2026-10-12T09:00:00.000",
        "2026-11-05T14:30:00.000",
    ]


def test_module_results_carry_scores_and_attempts(server):
    results = get(server, "org/modules/results", limit=1000).json()

    final = next(r for r in results if r["Name"] == "Final assessment")
    assert (final["Score"], final["AttemptNumber"], final["Passmark"]) == (88, 2, 75)
    assert len(get(server, "courses/Xq1Yb7kT2aU1/modules").json()) == 3


def test_xml_unless_format_json(server):
    response = get(server, "courses/Xq1Yb7kT2aU1", format="")

    assert response.headers["Content-Type"].startswith("application/xml")
    assert "<Code>SQL110</Code>" in response.text and "<Active>true</Active>" in response.text


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("results/details", {"since": "01/10/2026"}, 406),
        ("results/details", {"limit": "1001"}, 406),
        ("results/details", {"source": ""}, 400),
        ("courses/nope", {}, 404),
    ],
)
def test_rejections_are_plain_text(server, path, params, status):
    response = get(server, path, **params)

    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("text/plain")


def test_bad_and_expired_keys_are_401(server):
    assert get(server, "results/details", key="nope").status_code == 401
    server.expire_tokens()
    assert get(server, "results/details").status_code == 401


def test_throttling_is_503_rating_limit(server):
    server.throttle_next(1)

    response = get(server, "results/details")

    assert response.status_code == 503
    assert "API rating limit has been exceeded" in response.text
    assert "Retry-After" not in response.headers


def test_ignore_start_serves_the_first_page_again(server):
    server.ignore_start = True

    assert (
        get(server, "results/details", start=2, limit=2).json()
        == get(server, "results/details", start=0, limit=2).json()
    )


def test_dataset_references_must_resolve(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"results": [{"user_id": "u", "course_id": "c", "updated_at": "2026-01-01T00:00:00Z"}]}'
    )

    with pytest.raises(ValueError, match="unknown course or user"):
        LitmosDataset.load(bad)
