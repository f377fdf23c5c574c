from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from badgeflow.fakelms.lrs import FakeLRS, LrsDataset

DATASET = Path(__file__).parents[2] / "fixtures" / "lms" / "xapi" / "simple.json"
AUTH = ("key", "secret-0123")
VERSION = {"X-Experience-API-Version": "1.0.3"}
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"


@pytest.fixture
def server():
    with FakeLRS(LrsDataset.load(DATASET), key=AUTH[0], secret=AUTH[1]) as server:
        yield server


def get(server, url="statements", headers=VERSION, auth=AUTH, **params):
    query = params or None
    return httpx.get(urljoin(server.endpoint, url), params=query, headers=headers, auth=auth)


def ids(page) -> list[str]:
    return [s["id"][-2:] for s in page["statements"]]


def test_a_statement_result_pages_through_a_relative_more_irl(server):
    first = get(server, verb=COMPLETED, limit=2, ascending="true")

    assert first.status_code == 200
    assert first.headers["X-Experience-API-Version"] == "1.0.3"
    assert "X-Experience-API-Consistent-Through" in first.headers
    page = first.json()
    assert set(page) == {"statements", "more"}
    assert ids(page) == ["01", "02"]
    assert page["more"].startswith("/xapi/statements?more=")
    seen = ids(page)
    while page["more"]:
        page = get(server, page["more"]).json()
        seen += ids(page)
    # completed statements, oldest stored first; 10 was voided by 11, 07 is "experienced"
    assert seen == ["01", "02", "05", "06", "08", "12"]


def test_newest_first_by_default_and_since_is_exclusive_on_stored(server):
    page = get(server, verb=COMPLETED, since="2026-10-10T12:00:00.500Z").json()

    assert ids(page) == ["12", "08", "06"]
    assert page["more"] == ""


def test_voided_statements_are_left_out_but_can_be_fetched_as_voided(server):
    assert get(server, statementId="00000000-0000-4000-8000-000000000010").status_code == 404
    voided = get(server, voidedStatementId="00000000-0000-4000-8000-000000000010")
    assert voided.json()["actor"]["name"] == "Gus Pryce"
    voiding = get(server, verb="http://adlnet.gov/expapi/verbs/voided").json()
    assert ids(voiding) == ["11"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "yesterday"}, "not an ISO 8601"),
        ({"since": "2026-10-10T12:00:00"}, "no timezone"),
        ({"limit": "-1"}, "negative"),
        ({"page": "2"}, "unknown parameter"),
        ({"more": "garbage"}, "invalid more"),
    ],
)
def test_bad_parameters_are_400_with_a_message(server, params, message):
    response = get(server, **params)

    assert response.status_code == 400
    assert message in response.json()["message"]


def test_the_version_header_is_required(server):
    response = get(server, headers={})

    assert response.status_code == 400
    assert "X-Experience-API-Version" in response.json()["message"]


def test_bad_or_revoked_credentials_are_401_basic(server):
    wrong = get(server, auth=("key", "nope"))
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"].startswith("Basic")
    assert get(server).status_code == 200
    server.expire_tokens()
    assert get(server).status_code == 401
    assert get(server, "about", auth=None).json()["version"][0] == "1.0.3"


def test_throttling_and_outages_speak_the_lrs_error_shape(server):
    server.throttle_next(1)
    server.fail_next(1)

    throttled, failed = get(server), get(server)

    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    assert failed.status_code == 503 and json.loads(failed.content)["error"] is True
    assert get(server).status_code == 200


def test_loop_paging_repeats_the_more_irl(server):
    server.loop_paging = True
    first = get(server, limit=2).json()

    assert get(server, first["more"]).json()["more"] == first["more"]


def test_datasets_must_hold_stored_statements(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"statements": [{"id": "x", "actor": {}}]}), encoding="utf-8")

    with pytest.raises(ValueError, match="lacks verb, object, stored"):
        LrsDataset.load(bad)
