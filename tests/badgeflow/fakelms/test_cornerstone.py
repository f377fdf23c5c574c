from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from badgeflow.fakelms.cornerstone import (
    TOKEN_PATH,
    VIEWS_PATH,
    CornerstoneDataset,
    FakeCornerstone,
)

DATASET = Path(__file__).parents[2] / "fixtures" / "lms" / "cornerstone" / "simple.json"
CLIENT, SECRET = "edge-client", "edge-secret"
DS = "e2470b68-32fc-4380-b69d-27513b697d51"


@pytest.fixture
def server():
    stamp = datetime(2018, 5, 15, 18, 6, 55, tzinfo=UTC)
    dataset = CornerstoneDataset.load(DATASET)
    with FakeCornerstone(dataset, CLIENT, SECRET, clock=lambda: stamp) as server:
        yield server


def token(server, scope="all", secret=SECRET) -> httpx.Response:
    body = {"clientId": CLIENT, "clientSecret": secret, "grantType": "client_credentials"}
    return httpx.post(server.base_url + TOKEN_PATH, json=body | {"scope": scope})


def view(server, name, bearer=None, prefer=None, **params) -> httpx.Response:
    headers = {"Authorization": f"Bearer {bearer or token(server).json()['access_token']}"}
    if prefer:
        headers["Prefer"] = f"odata.maxpagesize={prefer}"
    return httpx.get(server.base_url + VIEWS_PATH + name, params=params, headers=headers)


def test_token_answer_has_cornerstone_fields(server):
    answer = token(server, scope="vw_rpt_user:read vw_rpt_transcript:read").json()

    assert set(answer) == {"access_token", "expires_in", "scope", "token_type"}
    assert answer["scope"] == "vw_rpt_transcript:read vw_rpt_user:read"
    assert answer["expires_in"] == 3600


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"clientId": CLIENT, "clientSecret": "x", "grantType": "client_credentials",
          "scope": "all"}, 401, "invalid_client"),
        ({"clientId": CLIENT, "clientSecret": SECRET, "grantType": "password"}, 400,
         "unsupported_grant_type"),
        ({"clientId": CLIENT, "clientSecret": SECRET, "grantType": "client_credentials"}, 400,
         "invalid_scope"),
    ],
)  # fmt: skip
def test_token_errors(server, body, status, error):
    answer = httpx.post(server.base_url + TOKEN_PATH, json=body)

    assert (answer.status_code, answer.json()["error"]) == (status, error)


def test_form_encoded_token_requests_are_not_cornerstone(server):
    answer = httpx.post(server.base_url + TOKEN_PATH, data={"client_id": CLIENT})

    assert answer.status_code == 400


def test_pages_follow_absolute_next_links_with_the_preferred_size(server):
    bearer = token(server).json()["access_token"]
    first = view(server, "vw_rpt_transcript", bearer, prefer=4, **{"$count": "true"})
    page = first.json()

    assert first.headers["Preference-Applied"] == "odata.maxpagesize=4"
    assert page["@odata.count"] == 9 and len(page["value"]) == 4
    assert page["@odata.context"].endswith("$metadata#vw_rpt_transcript")
    link = page["@odata.nextLink"]
    assert link.startswith(server.base_url + VIEWS_PATH) and "%24skiptoken=4" in link
    ids = [r["transc_user_id"] for r in page["value"]]
    headers = {"Authorization": f"Bearer {bearer}", "Prefer": "odata.maxpagesize=4"}
    while "@odata.nextLink" in page:
        page = httpx.get(page["@odata.nextLink"], headers=headers).json()
        ids += [r["transc_user_id"] for r in page["value"]]
    assert len(ids) == 9


def test_select_and_filter(server):
    answer = view(
        server,
        "vw_rpt_transcript",
        **{
            "$select": "transc_user_id,user_lo_comp_dt",
            "$filter": f"transc_object_id eq {DS.upper()} and is_removed eq false and "
            "user_lo_comp_dt ge cast('2026-10-01', Edm.DateTimeOffset)",
        },
    ).json()

    assert answer["value"] == [
        {"transc_user_id": 33419, "user_lo_comp_dt": "2026-10-01T08:30:00"},
        {"transc_user_id": 33420, "user_lo_comp_dt": "2026-11-20T16:45:00.693Z"},
        {"transc_user_id": 33421, "user_lo_comp_dt": "2026-10-10T12:00:00Z"},
    ]
    assert answer["@odata.context"].endswith("#vw_rpt_transcript(transc_user_id,user_lo_comp_dt)")


def test_top_and_skip(server):
    answer = view(server, "vw_rpt_user", **{"$top": "2", "$skip": "1", "$select": "user_id"})

    assert answer.json()["value"] == [{"user_id": 33418}, {"user_id": 33419}]


@pytest.mark.parametrize(
    "params",
    [{"$filter": "nope eq 1"}, {"$filter": "user_id eq"}, {"$select": "user_id,nope"},
     {"$top": "-1"}],
)  # fmt: skip
def test_query_errors_are_odata_400s(server, params):
    answer = view(server, "vw_rpt_user", **params)

    assert answer.status_code == 400
    assert set(answer.json()["error"]) == {"code", "message"}


def test_unknown_view_is_an_odata_404(server):
    answer = view(server, "vw_rpt_nothing")

    assert answer.status_code == 404
    assert answer.json()["error"]["message"] == "The view 'vw_rpt_nothing' does not exist."


def test_bad_and_expired_tokens_are_401_in_the_envelope(server):
    bearer = token(server).json()["access_token"]
    assert view(server, "vw_rpt_user", bearer="nope").status_code == 401
    server.expire_tokens()

    expired = view(server, "vw_rpt_user", bearer=bearer)

    assert expired.status_code == 401
    assert expired.json()["status"] == "401" and expired.json()["error"]["code"] == "401"


def test_a_view_outside_the_token_scope_is_403(server):
    bearer = token(server, scope="vw_rpt_user:read").json()["access_token"]

    assert view(server, "vw_rpt_user", bearer=bearer).status_code == 200
    assert view(server, "vw_rpt_transcript", bearer=bearer).status_code == 403


def test_throttling_looks_like_cornerstone(server):
    bearer = token(server).json()["access_token"]
    server.throttle_next(1)

    answer = view(server, "vw_rpt_user", bearer=bearer)

    assert answer.status_code == 429
    assert "Retry-After" not in answer.headers
    assert answer.headers["x-csod-requests-remaining-urilevel"] == "0"
    assert answer.headers["x-csod-throttling-rate-limit-urilevel"] == "56400"
    body = answer.json()
    assert body["status"] == "429" and body["timeStamp"] == "2018-05-15T18:06:55+0000"
    assert body["error"]["message"] == "CSOD Too many requests."
    assert set(body["error"]) == {"errorId", "message", "code", "description", "details"}


def test_fail_next_answers_in_the_envelope(server):
    server.fail_next(1, status=502)

    answer = view(server, "vw_rpt_user", bearer="whatever")

    assert answer.status_code == 502 and answer.json()["status"] == "502"


def test_loop_paging_repeats_the_page(server):
    server.loop_paging = True

    answer = view(server, "vw_rpt_user", prefer=2, **{"$skiptoken": "2"}).json()

    assert "%24skiptoken=2" in answer["@odata.nextLink"]


def test_dataset_references_must_resolve(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"transcripts": [{"transc_user_id": 1, "transc_object_id": "x"}]}')

    with pytest.raises(ValueError, match="unknown user or training"):
        CornerstoneDataset.load(bad)
