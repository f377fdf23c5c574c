from __future__ import annotations

import json
import logging
import socket
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pandas as pd
import pytest

from badgeflow.errors import (
    SourceAuthError,
    SourceConfigError,
    SourceError,
    SourceUnavailable,
    is_transient,
)
from badgeflow.fakelms.moodle import FakeMoodle, MoodleDataset
from badgeflow.lms import CompletionSource, MoodleSource
from badgeflow.lms._frame import FRAME_COLUMNS
from badgeflow.lms._http import NO_RETRY, RetryPolicy
from badgeflow.models import (
    COMPLETED,
    COMPLETED_AT,
    COURSE_ID,
    COURSE_NAME,
    FETCHED_AT,
    LEARNER_EMAIL,
    LEARNER_ID,
    LEARNER_NAME,
    MODULES_COMPLETED,
    MODULES_TOTAL,
    PARSE_ERRORS,
    RAW,
    ROW_NUMBER,
    SCORE,
    SCORE_KIND,
    SOURCE,
    SOURCE_RECORD_ID,
    SOURCE_SYSTEM,
)

DATASET = Path(__file__).parents[2] / "fixtures" / "lms" / "moodle" / "simple.json"
TOKEN = "s3cr3t-token-0123456789"
FETCHED = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


# (record id, learner, email, course, completed, completed_at, score, score kind, modules)
EXPECTED = [
    ("11:2", "11", "ada.lovelace@example.com", "SQL110", True, utc("2026-01-01"), 80.0,
     "final_assessment", 3, 3),
    ("12:2", "12", "alan.turing@example.com", "SQL110", False, None, None, "none", 1, 3),
    ("13:2", "13", "grace.hopper@example.com", "SQL110", True, utc("2026-02-01"), 75.0,
     "final_assessment", 2, 3),
    ("15:2", "15", "barbara.liskov@example.org", "SQL110", True, utc("2026-03-01"), 100.0,
     "final_assessment", 3, 3),
    ("11:3", "11", "ada.lovelace@example.com", "3", True, utc("2026-01-02"), 75.0,
     "course_total", 2, 2),
]  # fmt: skip
CHECKED = [
    SOURCE_RECORD_ID, LEARNER_ID, LEARNER_EMAIL, COURSE_ID, COMPLETED, COMPLETED_AT, SCORE,
    SCORE_KIND, MODULES_COMPLETED, MODULES_TOTAL,
]  # fmt: skip


@pytest.fixture
def dataset() -> MoodleDataset:
    return MoodleDataset.load(DATASET)


@pytest.fixture
def server(dataset):
    with FakeMoodle(dataset, TOKEN) as server:
        yield server


def source(server: FakeMoodle, **options) -> MoodleSource:
    options.setdefault("final_assessment", "final-exam")
    options.setdefault("timeout", 5.0)
    return MoodleSource("moodle-main", server.base_url, TOKEN, **options)


def rows(frame: pd.DataFrame) -> list[tuple]:
    return [
        tuple(None if not isinstance(v, str) and pd.isna(v) else v for v in row)
        for row in frame[CHECKED].itertuples(index=False)
    ]


def test_is_a_completion_source(server):
    assert isinstance(source(server), CompletionSource)


def test_happy_path_yields_one_canonical_row_per_enrolled_user_and_course(server):
    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert tuple(frame.columns) == FRAME_COLUMNS
    assert rows(frame) == EXPECTED
    assert frame[ROW_NUMBER].tolist() == [1, 2, 3, 4, 5]
    assert set(frame[SOURCE]) == {"moodle-main"}
    assert set(frame[SOURCE_SYSTEM]) == {"moodle"}
    assert set(frame[FETCHED_AT]) == {pd.Timestamp(FETCHED)}
    assert frame[PARSE_ERRORS].tolist() == [()] * 5
    assert frame.iloc[0][LEARNER_NAME] == "Ada Lovelace"
    assert frame.iloc[0][COURSE_NAME] == "SQL Essentials"
    assert frame.iloc[4][COURSE_NAME] == "Web Basics"


def test_raw_keeps_the_payloads_behind_each_row(server):
    raw = source(server).fetch_completions(None, fetched_at=FETCHED).iloc[0][RAW]

    assert raw["course"] == {
        "id": 2,
        "idnumber": "SQL110",
        "shortname": "SQL110",
        "fullname": "SQL Essentials",
    }
    assert raw["user"]["id"] == 11
    assert raw["completionstatus"]["completed"] is True
    assert len(raw["activities"]) == 4
    assert raw["gradeitem"]["idnumber"] == "final-exam"
    assert raw["gradeitem"]["graderaw"] == 32
    json.dumps(raw)  # stays JSON


def test_without_final_assessment_the_course_total_is_the_score(server):
    frame = source(server, final_assessment=None).fetch_completions(None, fetched_at=FETCHED)

    first = frame.iloc[0]
    assert (first[SCORE], first[SCORE_KIND]) == (80.0, "course_total")


def test_course_without_criteria_is_skipped_with_a_warning(server, caplog):
    caplog.set_level(logging.WARNING, logger="badgeflow.lms.moodle")

    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert "ONB100" not in set(frame[COURSE_ID])
    assert "ONB100 has no completion criteria" in caplog.text
    calls = server.wsfunction_calls("core_completion_get_course_completion_status")
    assert sum(1 for c in calls if c.args["courseid"] == "4") == 1  # gave up after the first


def test_user_not_enrolled_is_skipped_with_a_warning(server, caplog):
    caplog.set_level(logging.WARNING, logger="badgeflow.lms.moodle")

    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert "14" not in set(frame[LEARNER_ID])
    assert "user 14 is not enrolled in 3" in caplog.text


def test_site_course_is_never_read(server):
    source(server).fetch_completions(None, fetched_at=FETCHED)

    enrol_calls = server.wsfunction_calls("core_enrol_get_enrolled_users")
    assert {c.args["courseid"] for c in enrol_calls} == {"2", "3", "4"}


def test_paging_with_a_page_smaller_than_the_course(server):
    frame = source(server, page_size=2).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED
    sql_pages = [
        {o["name"]: o["value"] for o in c.args["options"]}
        for c in server.wsfunction_calls("core_enrol_get_enrolled_users")
        if c.args["courseid"] == "2"
    ]
    assert sql_pages == [
        {"limitfrom": "0", "limitnumber": "2"},
        {"limitfrom": "2", "limitnumber": "2"},
        {"limitfrom": "4", "limitnumber": "2"},
    ]


@pytest.mark.parametrize("wanted", [["SQL110"], ["2"]])
def test_course_ids_select_by_id_number_or_numeric_id(server, wanted):
    frame = source(server, course_ids=wanted).fetch_completions(None, fetched_at=FETCHED)

    assert set(frame[COURSE_ID]) == {"SQL110"}
    assert len(frame) == 4


def test_unknown_course_id_fails_fast_naming_it(server):
    with pytest.raises(SourceConfigError, match="course\\(s\\) NOPE not found") as caught:
        source(server, course_ids=["SQL110", "NOPE"]).fetch_completions(None, fetched_at=FETCHED)

    assert not is_transient(caught.value)


def test_since_skips_completions_before_it_and_their_grade_calls(server):
    frame = source(server).fetch_completions(datetime(2026, 1, 15, tzinfo=UTC), fetched_at=FETCHED)

    # Ada's two completions (Jan 1 and 2) are older; Alan has not completed: still read.
    assert sorted(frame[SOURCE_RECORD_ID]) == ["12:2", "13:2", "15:2"]
    graded = {c.args["userid"] for c in server.wsfunction_calls("gradereport_user_get_grade_items")}
    assert "11" not in graded


def test_since_after_everything_keeps_only_learners_still_in_progress(server):
    frame = source(server).fetch_completions(datetime(2030, 1, 1, tzinfo=UTC), fetched_at=FETCHED)

    assert list(frame[SOURCE_RECORD_ID]) == ["12:2"]
    assert list(frame[ROW_NUMBER]) == [1]


def test_token_travels_in_the_body_never_in_the_url(server, caplog):
    caplog.set_level(logging.DEBUG)

    source(server).fetch_completions(None, fetched_at=FETCHED)

    assert server.calls
    assert all("wstoken" not in c.query_keys for c in server.calls)
    assert all(c.query_keys == {"wsfunction", "moodlewsrestformat"} for c in server.calls)
    assert TOKEN not in caplog.text


def test_bad_token_is_an_auth_error(server):
    bad = MoodleSource("moodle-main", server.base_url, "wrong")

    with pytest.raises(SourceAuthError, match="invalidtoken") as caught:
        bad.fetch_completions(None, fetched_at=FETCHED)

    assert not is_transient(caught.value)
    assert "check the source's token in the badgeflow config" in str(caught.value)


def test_http_503_is_unavailable_and_transient(server):
    server.fail_next(1, status=503)

    with pytest.raises(SourceUnavailable, match="HTTP 503") as caught:
        source(server, retry=NO_RETRY).fetch_completions(None, fetched_at=FETCHED)

    assert is_transient(caught.value)
    assert TOKEN not in str(caught.value)


def test_timeout_is_unavailable(server):
    server.delay_next(1, 1.0)

    with pytest.raises(SourceUnavailable, match="timed out") as caught:
        source(server, timeout=0.2, retry=NO_RETRY).fetch_completions(None, fetched_at=FETCHED)

    assert isinstance(caught.value.__cause__, httpx.TimeoutException)


def test_connection_refused_is_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = MoodleSource(
        "moodle-main", f"http://127.0.0.1:{port}", TOKEN, timeout=2.0, retry=NO_RETRY
    )

    with pytest.raises(SourceUnavailable, match="cannot reach") as caught:
        dead.fetch_completions(None, fetched_at=FETCHED)

    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_bursts_throttling_and_cut_off_answers_are_retried_without_losing_rows(server, caplog):
    waits = []
    retry = RetryPolicy(max_attempts=5, sleep=waits.append, random=lambda: 0.5)
    server.fail_next(2, status=502)
    server.throttle_next(1)
    server.truncate_next(1)
    caplog.set_level(logging.DEBUG)

    frame = source(server, retry=retry).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == [tuple(None if pd.isna(v) else v for v in e[:10]) for e in EXPECTED]
    # 502, 502 back off 0.5 s then 1 s; the 429's Retry-After (1 s) is honoured as sent.
    # then the cut-off answer (attempt 4) backs off 8 s * 0.5; the fifth attempt succeeds.
    assert waits == [0.5, 1.0, 1.0, 4.0]
    assert TOKEN not in caplog.text


def test_a_persistent_burst_gives_up_after_max_attempts(server):
    waits = []
    server.fail_next(10, status=503)

    with pytest.raises(SourceUnavailable, match="HTTP 503"):
        source(server, retry=RetryPolicy(max_attempts=3, sleep=waits.append)).fetch_completions(
            None, fetched_at=FETCHED
        )

    assert len(waits) == 2
    assert len(server.requests) == 3


def test_an_expired_token_is_a_permanent_auth_error(server):
    server.expire_tokens()

    with pytest.raises(SourceAuthError, match="invalidtoken"):
        source(server).fetch_completions(None, fetched_at=FETCHED)

    assert len(server.requests) == 1


def test_repr_hides_the_token(server):
    assert TOKEN not in repr(source(server))


# --- HTTP-level edge cases with httpx.MockTransport ------------------------------------------


def moodle_answering(payload, status: int = 200):
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(payload, bytes):
            return httpx.Response(status, content=payload)
        return httpx.Response(status, json=payload)

    return MoodleSource(
        "m", "https://moodle.test", TOKEN, retry=NO_RETRY, transport=httpx.MockTransport(handler)
    )


def test_other_moodle_exceptions_are_source_errors_with_code_and_message():
    error = {
        "exception": "moodle_exception",
        "errorcode": "cannotviewreport",
        "message": "You cannot view this report",
    }

    with pytest.raises(SourceError, match="cannotviewreport: You cannot view this report") as e:
        moodle_answering(error).fetch_completions(None, fetched_at=FETCHED)

    assert not isinstance(e.value, SourceAuthError | SourceUnavailable)


@pytest.mark.parametrize("code", ["invalidtoken", "accessexception"])
def test_auth_error_codes(code):
    error = {"exception": "moodle_exception", "errorcode": code, "message": "no"}

    with pytest.raises(SourceAuthError):
        moodle_answering(error).fetch_completions(None, fetched_at=FETCHED)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, SourceAuthError),
        (403, SourceAuthError),
        (429, SourceUnavailable),
        (500, SourceUnavailable),
        (404, SourceError),
    ],
)
def test_http_statuses(status, error):
    with pytest.raises(error, match=f"HTTP {status}"):
        moodle_answering({}, status=status).fetch_completions(None, fetched_at=FETCHED)


def test_an_html_page_instead_of_json_is_a_source_error():
    with pytest.raises(SourceError, match="not JSON"):
        moodle_answering(b"<html>Maintenance</html>").fetch_completions(None, fetched_at=FETCHED)


def test_the_request_is_a_form_post_with_php_bracket_arguments():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    moodle = MoodleSource(
        "m",
        "https://moodle.test/",
        TOKEN,
        course_ids=["7", "12"],
        transport=httpx.MockTransport(handler),
    )
    with pytest.raises(SourceConfigError):  # the handler knows no course
        moodle.fetch_completions(None, fetched_at=FETCHED)

    (request,) = seen
    assert request.method == "POST"
    assert request.url.path == "/webservice/rest/server.php"
    assert dict(request.url.params) == {
        "wsfunction": "core_course_get_courses",
        "moodlewsrestformat": "json",
    }
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    body = httpx.QueryParams(request.content.decode())
    assert body["wstoken"] == TOKEN
    assert body.get_list("options[ids][0]") == ["7"]
    assert body.get_list("options[ids][1]") == ["12"]


def test_paging_stops_when_the_server_ignores_limitfrom(caplog):
    caplog.set_level(logging.WARNING, logger="badgeflow.lms.moodle")
    enrol_calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal enrol_calls
        function = request.url.params["wsfunction"]
        if function == "core_course_get_courses":
            return httpx.Response(200, json=[{"id": 5, "idnumber": "X", "fullname": "X"}])
        if function == "core_enrol_get_enrolled_users":
            enrol_calls += 1
            return httpx.Response(200, json=[{"id": 1, "fullname": "A"}, {"id": 2}])
        if function == "core_completion_get_course_completion_status":
            return httpx.Response(200, json={"completionstatus": {"completed": False}})
        return httpx.Response(200, json={})

    moodle = MoodleSource(
        "m", "https://moodle.test", TOKEN, page_size=2, transport=httpx.MockTransport(handler)
    )
    frame = moodle.fetch_completions(None, fetched_at=FETCHED)

    assert frame[LEARNER_ID].tolist() == ["1", "2"]
    assert enrol_calls == 2
    assert "paging returned no new users" in caplog.text


def test_unusable_grade_range_is_a_parse_error_not_a_crash():
    def handler(request: httpx.Request) -> httpx.Response:
        function = request.url.params["wsfunction"]
        answers = {
            "core_course_get_courses": [{"id": 5, "idnumber": "X", "fullname": "X"}],
            "core_enrol_get_enrolled_users": [{"id": 1, "fullname": "A", "email": "a@x.org"}],
            "core_completion_get_course_completion_status": {
                "completionstatus": {"completed": True, "completions": [{"timecompleted": 0}]}
            },
            "core_completion_get_activities_completion_status": {"statuses": []},
            "gradereport_user_get_grade_items": {
                "usergrades": [
                    {"gradeitems": [{"itemtype": "course", "graderaw": 5, "grademax": 0}]}
                ]
            },
        }
        return httpx.Response(200, json=answers[function])

    moodle = MoodleSource("m", "https://moodle.test", TOKEN, transport=httpx.MockTransport(handler))
    row = moodle.fetch_completions(None, fetched_at=FETCHED).iloc[0]

    assert row[PARSE_ERRORS] == ("score: grade item None has graderaw 5, grademax 0",)
    assert pd.isna(row[SCORE])
    assert row[SCORE_KIND] == "none"
    assert row[COMPLETED]
    assert pd.isna(row[COMPLETED_AT])  # completed, but Moodle gave no time: the contract decides
    assert (row[MODULES_COMPLETED], row[MODULES_TOTAL]) == (0, 0)


def test_page_size_must_be_positive():
    with pytest.raises(ValueError, match="page_size"):
        MoodleSource("m", "https://moodle.test", TOKEN, page_size=0)


def test_a_full_read_asks_for_each_course_s_grades_once_with_the_per_user_answers(server):
    full = source(server).fetch_completions(None, fetched_at=FETCHED)
    course_calls = server.wsfunction_calls("gradereport_user_get_grade_items")
    server.calls.clear()
    # Nothing completed before 1970: an incremental read returns every row, graded per user.
    per_user = source(server).fetch_completions(
        datetime(1970, 1, 2, tzinfo=UTC), fetched_at=FETCHED
    )

    assert course_calls and all("userid" not in c.args for c in course_calls)
    assert len(course_calls) == len({c.args["courseid"] for c in course_calls})
    user_calls = server.wsfunction_calls("gradereport_user_get_grade_items")
    assert len(user_calls) == len(per_user) and all("userid" in c.args for c in user_calls)
    pd.testing.assert_frame_equal(full, per_user)
