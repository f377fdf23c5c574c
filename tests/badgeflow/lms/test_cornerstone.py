from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pandas as pd
import pytest

from badgeflow.errors import (
    ConfigurationError,
    SourceAuthError,
    SourceConfigError,
    SourceError,
    SourceUnavailable,
    is_transient,
)
from badgeflow.fakelms.cornerstone import TOKEN_PATH, CornerstoneDataset, FakeCornerstone
from badgeflow.lms import CompletionSource, CornerstoneSource
from badgeflow.lms._frame import FRAME_COLUMNS
from badgeflow.lms._http import NO_RETRY, RetryPolicy
from badgeflow.models import (
    COMPLETED,
    COMPLETED_AT,
    COURSE_ID,
    COURSE_NAME,
    LEARNER_EMAIL,
    LEARNER_ID,
    LEARNER_NAME,
    PARSE_ERRORS,
    PROGRESS_PCT,
    ROW_NUMBER,
    SCORE,
    SCORE_KIND,
    SOURCE_RECORD_ID,
    SOURCE_SYSTEM,
)

DATASET = Path(__file__).parents[2] / "fixtures" / "lms" / "cornerstone" / "simple.json"
CLIENT, SECRET = "badgeflow-edge", "csod-secret-0123456789abcdef"
FETCHED = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
DS = "e2470b68-32fc-4380-b69d-27513b697d51"
SQL = "9560f3cf-e336-4d5d-9169-8badc8126cb2"
GDPR = "dbf8cdf0-feaf-4165-86e5-a584e60d0459"
CHECKED = [SOURCE_RECORD_ID, LEARNER_ID, LEARNER_EMAIL, COURSE_ID, COMPLETED, COMPLETED_AT, SCORE]


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


EXPECTED = [
    (f"33417:{SQL}:1", "33417", "amelia.hart@example.com", SQL, True, utc("2026-10-05T12:00"),
     None),
    (f"33417:{DS}:1", "33417", "amelia.hart@example.com", DS, True, utc("2026-09-14T10:00"), 82.5),
    (f"33418:{DS}:1", "33418", "bo.chen@example.com", DS, False, None, None),
    (f"33419:{GDPR}:1", "33419", "chidi.okafor@example.com", GDPR, True, utc("2026-03-01T09:00"),
     95.0),
    (f"33419:{GDPR}:2", "33419", "chidi.okafor@example.com", GDPR, False, None, None),
    (f"33419:{DS}:1", "33419", "chidi.okafor@example.com", DS, True, utc("2026-10-01T08:30"),
     100.0),
    (f"33420:{DS}:1", "33420", None, DS, True, utc("2026-11-20T16:45:00.693"), 70.0),
    (f"33421:{DS}:1", "33421", "eli.novak@example.com", DS, False, None, 40.0),
]  # fmt: skip


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def server():
    stamp = datetime(2026, 11, 29, 5, 59, 55, tzinfo=UTC)
    with FakeCornerstone(
        CornerstoneDataset.load(DATASET), CLIENT, SECRET, clock=lambda: stamp
    ) as s:
        yield s


def source(server, secret: str = SECRET, **options) -> CornerstoneSource:
    options.setdefault("page_size", 2)
    options.setdefault("timeout", 5.0)
    options.setdefault("retry", RetryPolicy(sleep=lambda s: None))
    return CornerstoneSource("csod-main", server.base_url, CLIENT, secret, **options)


def rows(frame: pd.DataFrame) -> list[tuple]:
    return [
        tuple(None if not isinstance(v, str) and pd.isna(v) else v for v in row)
        for row in frame[CHECKED].itertuples(index=False)
    ]


def view_requests(server, view: str) -> list[dict[str, str]]:
    return [dict(r.query) for r in server.requests if r.path.endswith("/views/" + view)]


def token_requests(server) -> int:
    return sum(r.path == TOKEN_PATH for r in server.requests)


def test_is_a_completion_source(server):
    assert isinstance(source(server), CompletionSource)


def test_one_canonical_row_per_registration_following_next_links(server):
    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert tuple(frame.columns) == FRAME_COLUMNS
    assert rows(frame) == EXPECTED
    assert set(frame[SOURCE_SYSTEM]) == {"cornerstone"}
    assert list(frame[ROW_NUMBER]) == list(range(1, 9))
    assert frame[LEARNER_NAME].tolist()[:3] == ["Amelia Hart", "Amelia Hart", "Bo Chen"]
    assert frame[COURSE_NAME].tolist()[:4] == [
        "SQL Essentials", "Data Foundations", "Data Foundations", "Data Protection Basics",
    ]  # fmt: skip
    assert frame[SCORE_KIND].tolist()[:2] == ["none", "course_total"]
    assert frame[PROGRESS_PCT].tolist()[2] == 40.0
    assert all(errors == () for errors in frame[PARSE_ERRORS])
    # nine live transcripts (one removed is filtered out), two per page: four pages
    transcripts = view_requests(server, "vw_rpt_transcript")
    assert [q.get("$skiptoken") for q in transcripts] == [None, "2", "4", "6"]
    assert transcripts[0]["$filter"] == "is_removed eq false"
    assert transcripts[0]["$select"].startswith("transc_user_id,transc_object_id,reg_num,")
    assert all("prefer" in r.header_names for r in server.requests[1:])


def test_failed_registration_with_a_completion_date_is_not_completed(server):
    frame = source(server).fetch_completions(None, fetched_at=FETCHED)
    eli = frame[frame[LEARNER_ID] == "33421"].iloc[0]

    assert not eli[COMPLETED] and pd.isna(eli[COMPLETED_AT])
    everyone = source(server, completed_status_group=None).fetch_completions(
        None, fetched_at=FETCHED
    )
    assert everyone[everyone[LEARNER_ID] == "33421"][COMPLETED].tolist() == [True]


def test_since_filters_on_the_server_by_last_modified_time(server):
    since = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)

    frame = source(server).fetch_completions(since, fetched_at=FETCHED)

    assert list(frame[SOURCE_RECORD_ID]) == [
        f"33417:{SQL}:1", f"33418:{DS}:1", f"33419:{GDPR}:2", f"33419:{DS}:1", f"33420:{DS}:1",
        f"33421:{DS}:1",
    ]  # fmt: skip
    (first, *_) = view_requests(server, "vw_rpt_transcript")
    assert first["$filter"] == (
        "is_removed eq false and "
        "user_lo_last_modified_dt ge cast('2026-10-01T02:00:00Z', Edm.DateTimeOffset)"
    )


def test_configured_courses_are_checked_and_filtered_on(server):
    frame = source(server, course_ids=[DS.upper()]).fetch_completions(None, fetched_at=FETCHED)

    assert set(frame[COURSE_ID]) == {DS}
    assert len(frame) == 5
    (training, *_) = view_requests(server, "vw_rpt_training")
    assert training["$filter"] == f"(lo_object_id eq {DS})"
    assert view_requests(server, "vw_rpt_transcript")[0]["$filter"].endswith(
        f"and (transc_object_id eq {DS})"
    )


def test_unknown_learning_object_fails_fast_with_its_id(server):
    unknown = "13f1b387-32da-479e-8353-6c46412ec1cc"

    with pytest.raises(SourceConfigError, match=f"no learning object \\['{unknown}'\\]") as e:
        source(server, course_ids=[DS, unknown]).fetch_completions(None, fetched_at=FETCHED)

    assert not is_transient(e.value)
    assert view_requests(server, "vw_rpt_transcript") == []


def test_course_ids_must_be_guids():
    with pytest.raises(ConfigurationError, match="LO GUIDs"):
        CornerstoneSource("c", "https://acme.csod.com", CLIENT, SECRET, course_ids=["DS101"])


def test_token_request_is_cornerstone_json_and_the_token_is_cached(server):
    csod = source(server)

    csod.fetch_completions(None, fetched_at=FETCHED)
    csod.fetch_completions(None, fetched_at=FETCHED)

    token_calls = [r for r in server.requests if r.path == TOKEN_PATH]
    assert len(token_calls) == 1 and token_calls[0].method == "POST"
    assert "content-type" in token_calls[0].header_names


def test_a_token_near_its_expiry_is_renewed_before_use(server):
    clock = Clock(FETCHED)
    csod = source(server, clock=clock)
    csod.fetch_completions(None, fetched_at=FETCHED)

    clock.now += timedelta(seconds=3600 - 59)
    csod.fetch_completions(None, fetched_at=FETCHED)

    assert token_requests(server) == 2


def test_an_expired_token_mid_run_is_renewed_once_and_nothing_is_lost(server):
    csod = source(server)
    csod.fetch_completions(None, fetched_at=FETCHED)
    server.expire_tokens()

    frame = csod.fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED
    assert token_requests(server) == 2


def test_client_secret_and_token_never_in_urls_logs_or_repr(server, caplog):
    caplog.set_level(logging.DEBUG)
    csod = source(server)

    csod.fetch_completions(None, fetched_at=FETCHED)

    assert all(SECRET not in str(r.query) for r in server.requests)
    assert SECRET not in caplog.text
    assert SECRET not in repr(csod) and SECRET not in repr(csod.auth)
    assert all("authorization" in r.header_names for r in server.requests[1:])


def test_bad_client_credentials_fail_fast_and_permanently(server):
    with pytest.raises(SourceAuthError, match="HTTP 401: invalid_client") as caught:
        source(server, secret="wrong-secret-0123").fetch_completions(None, fetched_at=FETCHED)

    assert not is_transient(caught.value)
    assert len(server.requests) == 1
    assert "wrong-secret-0123" not in str(caught.value)


def test_a_scope_the_client_may_not_have_is_refused():
    dataset = CornerstoneDataset.load(DATASET)
    with FakeCornerstone(dataset, CLIENT, SECRET, scopes=["vw_rpt_transcript:read"]) as server:
        with pytest.raises(SourceAuthError, match="refused.*invalid_scope"):
            source(server).fetch_completions(None, fetched_at=FETCHED)


def test_a_token_without_a_view_scope_is_a_permanent_auth_error(server):
    narrow = source(server, scope="vw_rpt_transcript:read vw_rpt_training:read")

    with pytest.raises(SourceAuthError, match="vw_rpt_user: HTTP 403.*<view>:read scope"):
        narrow.fetch_completions(None, fetched_at=FETCHED)


def test_throttling_waits_for_the_blocked_minute_to_end(server):
    waits = []
    server.throttle_next(2, after=2)

    frame = source(server, retry=RetryPolicy(sleep=waits.append)).fetch_completions(
        None, fetched_at=FETCHED
    )

    assert rows(frame) == EXPECTED
    assert waits == [5.0, 5.0]  # the 429s are stamped 05:59:55: blocked 5 s more
    assert [q.get("$skiptoken") for q in view_requests(server, "vw_rpt_transcript")] == [
        None, "2", "2", "2", "4", "6",
    ]  # fmt: skip


def test_throttling_that_persists_is_transient(server):
    server.throttle_next(10, after=1)

    with pytest.raises(SourceUnavailable, match="CSOD Too many requests.*0 requests left") as e:
        source(server, retry=RetryPolicy(max_attempts=2, sleep=lambda s: None)).fetch_completions(
            None, fetched_at=FETCHED
        )

    assert is_transient(e.value)


def test_5xx_burst_in_the_middle_of_paging_loses_and_repeats_nothing(server):
    waits = []
    server.fail_next(3, status=502, after=3)

    frame = source(
        server, retry=RetryPolicy(sleep=waits.append, random=lambda: 0.5)
    ).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED
    assert waits == [0.5, 1.0, 2.0]
    assert [q.get("$skiptoken") for q in view_requests(server, "vw_rpt_transcript")] == [
        None, "2", "4", "4", "4", "4", "6",
    ]  # fmt: skip


def test_a_persistent_5xx_gives_up_as_unavailable(server):
    server.fail_next(10, status=503, after=1)

    with pytest.raises(SourceUnavailable, match="HTTP 503"):
        source(server, retry=RetryPolicy(max_attempts=3, sleep=lambda s: None)).fetch_completions(
            None, fetched_at=FETCHED
        )


def test_truncated_page_is_read_again(server):
    server.truncate_next(1, after=2)

    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED


def test_slow_answer_times_out_then_succeeds(server):
    server.delay_next(1, 0.5)

    frame = source(server, timeout=0.1).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED


def test_a_paging_loop_is_refused(server):
    server.loop_paging = True

    with pytest.raises(SourceError, match="paging loop") as caught:
        source(server, retry=NO_RETRY).fetch_completions(None, fetched_at=FETCHED)

    assert not is_transient(caught.value)


def test_unparseable_values_become_parse_errors_not_lost_rows():
    dataset = CornerstoneDataset.model_validate(
        {
            "users": [{"user_id": 1}],
            "trainings": [{"lo_object_id": DS, "lo_title": "Data Foundations"}],
            "transcripts": [
                {"transc_user_id": 1, "transc_object_id": DS, "user_lo_status_group_id": 11,
                 "user_lo_comp_dt": "14/09/2026"},
            ],
        }
    )  # fmt: skip
    with FakeCornerstone(dataset, CLIENT, SECRET) as server:
        frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert len(frame) == 1
    assert frame[PARSE_ERRORS][0] == ("completed_at: '14/09/2026' is not an ISO 8601 time",)
    assert not frame[COMPLETED][0]
    assert frame[LEARNER_NAME][0] is None or pd.isna(frame[LEARNER_NAME][0])


def answering(status: int, body: dict | None, page: dict | None = None) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            return httpx.Response(200, json={"access_token": "tok-123456", "expires_in": 3600})
        return httpx.Response(status, json=page if page is not None else body)

    return httpx.MockTransport(handle)


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (400, {"error": {"code": "BadRequest", "message": "Could not find a property"}},
         SourceError, "HTTP 400: Could not find a property"),
        (404, {"error": {"code": "NotFound", "message": "The view 'x' does not exist."}},
         SourceConfigError, "HTTP 404: The view"),
        (401, {"status": "401", "error": {"message": "Unauthorized"}}, SourceAuthError,
         "HTTP 401: Unauthorized"),
        (500, None, SourceUnavailable, "HTTP 500"),
    ],
)  # fmt: skip
def test_error_shapes(status, body, error, message):
    csod = CornerstoneSource(
        "c", "https://acme.csod.com", CLIENT, SECRET, retry=NO_RETRY,
        transport=answering(status, body),
    )  # fmt: skip

    with pytest.raises(error, match=message) as caught:
        csod.fetch_completions(None, fetched_at=FETCHED)

    assert type(caught.value) is error


def test_a_next_link_to_another_host_is_not_followed():
    page = {"value": [], "@odata.nextLink": "https://evil.example/steal?$skiptoken=2"}
    csod = CornerstoneSource(
        "c", "https://acme.csod.com", CLIENT, SECRET, retry=NO_RETRY,
        transport=answering(200, None, page),
    )  # fmt: skip

    with pytest.raises(SourceError, match="next link leaves https://acme.csod.com"):
        csod.fetch_completions(None, fetched_at=FETCHED)


def test_page_size_is_bounded():
    with pytest.raises(ConfigurationError):
        CornerstoneSource("c", "https://acme.csod.com", CLIENT, SECRET, page_size=1001)


def test_a_registration_repeated_across_pages_is_one_row_the_latest():
    row = {"transc_user_id": 7, "transc_object_id": DS, "reg_num": 1, "user_lo_score": 50}
    pages = {
        None: {"value": [row], "@odata.nextLink": "https://acme.csod.com/p2"},
        "/p2": {"value": [row | {"transc_object_id": DS.upper(), "user_lo_score": 90}]},
    }

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            return httpx.Response(200, json={"access_token": "tok-123456", "expires_in": 3600})
        if request.url.path.endswith("vw_rpt_transcript") or request.url.path == "/p2":
            return httpx.Response(200, json=pages["/p2" if request.url.path == "/p2" else None])
        return httpx.Response(200, json={"value": []})

    csod = CornerstoneSource(
        "c", "https://acme.csod.com", CLIENT, SECRET, transport=httpx.MockTransport(handle)
    )

    frame = csod.fetch_completions(None, fetched_at=FETCHED)

    assert frame[SCORE].tolist() == [90.0]
