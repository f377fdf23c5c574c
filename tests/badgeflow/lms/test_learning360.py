from __future__ import annotations

import json
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
from badgeflow.fakelms.learning360 import FakeLearning360, Learning360Dataset
from badgeflow.lms import CompletionSource, Learning360Source, build_source
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
from badgeflow.settings import Settings

DATASET = Path(__file__).parents[2] / "fixtures" / "lms" / "learning360" / "simple.json"
CLIENT_ID = "client-0123456789"
SECRET = "secret-abcdef0123456789"
FETCHED = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
C1, C2 = "c00000000000000000000101", "c00000000000000000000102"
P1 = "b00000000000000000000201"
AMELIA, BO, CHIDI, DANA = (f"a0000000000000000000000{n}" for n in (1, 2, 3, 4))
ERASED = "a00000000000000000000009"
CHECKED = [
    SOURCE_RECORD_ID, LEARNER_ID, LEARNER_EMAIL, COURSE_ID, COMPLETED, COMPLETED_AT, SCORE,
    SCORE_KIND, PROGRESS_PCT,
]  # fmt: skip


# One transport for the module: httpx builds a TLS context per client otherwise (~0.3 s each).
TRANSPORT = httpx.HTTPTransport()


@pytest.fixture(scope="module", autouse=True)
def _close_transport():
    yield
    TRANSPORT.close()  # its pooled connections would otherwise outlive the fake servers


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def e(n: int) -> str:
    return f"e0000000000000000000000{n}"


def d(n: int) -> str:
    return f"d0000000000000000000000{n}"


EXPECTED = [
    (e(1), AMELIA, "amelia.hart@example.com", C1, True, utc("2026-09-14T10:00"), 82.0,
     "course_total", 100.0),
    (e(2), BO, "bo.chen@example.com", C1, False, None, None, "none", 40.0),
    (e(3), CHIDI, "chidi.okafor@example.com", C1, True, utc("2026-10-01T08:30:00.250"), 100.0,
     "course_total", 100.0),
    (e(4), DANA, "dana.ruiz@example.com", C1, True, utc("2026-10-20T09:00"), 55.0,
     "course_total", 100.0),
    (e(5), DANA, "dana.ruiz@example.com", C1, True, utc("2026-11-20T16:45"), 70.0,
     "course_total", 100.0),
    (e(6), ERASED, None, C1, True, utc("2026-11-02T12:00"), 90.0, "course_total", 100.0),
    (e(7), AMELIA, "amelia.hart@example.com", C2, True, utc("2026-10-05T12:00"), 88.0,
     "course_total", 100.0),
    (d(1), AMELIA, "amelia.hart@example.com", P1, True, utc("2026-10-05T12:00"), 85.0,
     "course_total", 100.0),
    (d(2), BO, "bo.chen@example.com", P1, False, None, None, "none", 50.0),
    (d(3), CHIDI, "chidi.okafor@example.com", P1, False, None, 40.0, "course_total", 100.0),
]  # fmt: skip


@pytest.fixture
def server():
    dataset = Learning360Dataset.load(DATASET)
    with FakeLearning360(dataset, CLIENT_ID, SECRET, page_size=2) as server:
        yield server


def source(server, **options) -> Learning360Source:
    options.setdefault("course_ids", [C1, C2])
    options.setdefault("path_ids", [P1])
    options.setdefault("timeout", 5.0)
    options.setdefault("transport", TRANSPORT)
    options.setdefault("retry", RetryPolicy(sleep=lambda s: None))
    return Learning360Source("l360", server.base_url, CLIENT_ID, SECRET, **options)


def rows(frame: pd.DataFrame) -> list[tuple]:
    return [
        tuple(None if not isinstance(v, str) and pd.isna(v) else v for v in row)
        for row in frame[CHECKED].itertuples(index=False)
    ]


def calls(server, path: str) -> list[dict[str, str]]:
    return [dict(r.query) for r in server.requests if r.path == path]


def token_requests(server) -> int:
    return sum(r.path == "/api/v2/oauth2/token" for r in server.requests)


def test_is_a_completion_source(server):
    assert isinstance(source(server), CompletionSource)


def test_one_row_per_attempt_and_path_session_across_cursor_pages(server):
    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert tuple(frame.columns) == FRAME_COLUMNS
    assert rows(frame) == EXPECTED
    assert set(frame[SOURCE_SYSTEM]) == {"360learning"}
    assert list(frame[ROW_NUMBER]) == list(range(1, 11))
    assert frame[COURSE_NAME].tolist()[5:8] == [
        "Data Foundations",
        "SQL Essentials",
        "Analyst Path",
    ]
    assert frame[LEARNER_NAME].tolist()[:2] == ["Amelia Hart", "Bo Chen"]
    assert all(errors == () for errors in frame[PARSE_ERRORS])
    # six attempts, two per page: the first call carries the filter, then three next cursors
    stats = calls(server, "/api/v2/courses/stats")
    assert stats[0] == {"courseId[eq]": C1}
    assert [set(q) for q in stats[1:3]] == [{"next"}, {"next"}]
    assert len(stats) == 4  # C1: 3 pages, C2: 1 page
    assert calls(server, "/api/v2/paths/stats")[0] == {"pathId[in][0]": P1}
    # one token for the whole fetch; every call carries the version header
    assert token_requests(server) == 1
    assert all("360-api-version" in r.header_names for r in server.requests)


def test_each_user_is_looked_up_once_and_an_erased_one_keeps_its_row(server, caplog):
    caplog.set_level(logging.WARNING, logger="badgeflow.lms.learning360")

    source(server).fetch_completions(None, fetched_at=FETCHED)

    users = [r.path.rsplit("/", 1)[1] for r in server.requests if "/users/" in r.path]
    assert sorted(users) == sorted({AMELIA, BO, CHIDI, DANA, ERASED})
    assert f"360Learning user {ERASED} not found" in caplog.text


def test_root_relative_next_links_are_followed(server):
    server.absolute_links = False

    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED


def test_no_course_ids_reads_every_course(server):
    frame = source(server, course_ids=[], path_ids=[]).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED[:7]
    assert calls(server, "/api/v2/courses/stats")[0] == {}
    assert frame[COURSE_NAME].tolist()[-1] == "SQL Essentials"


def test_since_is_a_server_side_completed_at_filter_in_whole_seconds(server):
    since = datetime(2026, 10, 1, 8, 30, 0, 600000, tzinfo=UTC)

    frame = source(server).fetch_completions(since, fetched_at=FETCHED)

    # 08:30:00.250 is kept: 360Learning drops milliseconds from filters, so we send whole seconds
    assert list(frame[SOURCE_RECORD_ID]) == [e(3), e(4), e(5), e(6), e(7), d(1)]
    stats = calls(server, "/api/v2/courses/stats")[0]
    assert stats == {"courseId[eq]": C1, "completedAt[gte]": "2026-10-01T08:30:00.000Z"}
    assert calls(server, "/api/v2/paths/stats")[0]["completedAt[gte]"] == stats["completedAt[gte]"]


def test_a_later_watermark_reads_only_newer_completions(server):
    frame = source(server).fetch_completions(
        datetime(2026, 11, 2, tzinfo=UTC) - timedelta(days=1), fetched_at=FETCHED
    )

    assert list(frame[SOURCE_RECORD_ID]) == [e(5), e(6)]


def test_secrets_never_in_urls_logs_errors_or_repr(server, caplog):
    caplog.set_level(logging.DEBUG)

    source(server).fetch_completions(None, fetched_at=FETCHED)
    server.throttle_next(5)
    with pytest.raises(SourceUnavailable) as caught:
        source(server, retry=RetryPolicy(max_attempts=2, sleep=lambda s: None)).fetch_completions(
            None, fetched_at=FETCHED
        )

    (token,) = set(server.issued_tokens[:1])
    for secret in (SECRET, token):
        assert all(secret not in str(r.query) for r in server.requests)
        assert secret not in caplog.text
        assert secret not in str(caught.value)
        assert secret not in repr(source(server))


def test_throttling_without_retry_after_backs_off_with_jitter(server):
    waits = []
    server.throttle_next(2, after=3)

    frame = source(
        server, retry=RetryPolicy(sleep=waits.append, random=lambda: 0.5)
    ).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED
    assert waits == [0.5, 1.0]


def test_throttling_honours_retry_after(server):
    waits = []
    server.retry_after = "2"
    server.throttle_next(2)

    frame = source(server, retry=RetryPolicy(sleep=waits.append)).fetch_completions(
        None, fetched_at=FETCHED
    )

    assert rows(frame) == EXPECTED
    assert waits == [2.0, 2.0]


def test_throttling_that_persists_is_transient(server):
    server.throttle_next(10, after=1)

    with pytest.raises(
        SourceUnavailable, match="rate limit exceeded \\(HTTP 429 tooManyRequests"
    ) as e:
        source(server, retry=RetryPolicy(max_attempts=3, sleep=lambda s: None)).fetch_completions(
            None, fetched_at=FETCHED
        )

    assert is_transient(e.value)


def test_5xx_burst_in_the_middle_of_paging_loses_and_repeats_nothing(server):
    # token, course C1, stats pages 1 and 2 pass; page 3 then fails three times, is retried
    server.fail_next(3, status=502, after=4)

    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED
    stats = calls(server, "/api/v2/courses/stats")
    assert len(stats) == 7 and stats[2] == stats[3] == stats[4] == stats[5]


def test_5xx_that_persists_gives_up_as_unavailable(server):
    server.fail_next(10, status=503, after=2)

    with pytest.raises(SourceUnavailable, match="HTTP 503"):
        source(server, retry=RetryPolicy(max_attempts=2, sleep=lambda s: None)).fetch_completions(
            None, fetched_at=FETCHED
        )


def test_truncated_page_is_read_again(server):
    server.truncate_next(1, after=3)

    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED


def test_slow_answer_times_out_then_succeeds(server):
    server.delay_next(1, 0.5)

    frame = source(server, timeout=0.1).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED


def test_a_token_expiring_mid_run_is_renewed_once_and_nothing_is_lost(server):
    server.expire_after = 4

    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED
    assert token_requests(server) == 2
    assert server.token_is_live(server.issued_tokens[-1])


def test_the_cached_token_is_renewed_before_it_expires():
    # Each API call advances the clock 20 minutes: the 3600 s token (renewed a minute early)
    # lasts three calls; no request ever meets a 401.
    ticks = iter(range(100))
    dataset = Learning360Dataset.load(DATASET)
    with FakeLearning360(dataset, CLIENT_ID, SECRET, page_size=500) as server:
        clock = lambda: FETCHED + timedelta(minutes=20 * next(ticks))  # noqa: E731
        frame = source(server, course_ids=[C1], path_ids=[], clock=clock).fetch_completions(
            None, fetched_at=FETCHED
        )

    assert len(frame) == 6
    api_calls = len(server.requests) - token_requests(server)
    assert token_requests(server) == -(-api_calls // 3)


def test_bad_credentials_fail_fast_and_permanently(server):
    bad = Learning360Source("l", server.base_url, CLIENT_ID, "wrong-secret-123", course_ids=[C1])

    with pytest.raises(SourceAuthError, match="invalid_client") as caught:
        bad.fetch_completions(None, fetched_at=FETCHED)

    assert not is_transient(caught.value)
    assert len(server.requests) == 1
    assert "wrong-secret-123" not in str(caught.value)


def test_a_missing_scope_is_an_auth_error_naming_it(server):
    server.scopes.discard("courseStats:read")

    with pytest.raises(SourceAuthError, match="invalid_scope: .*courseStats:read"):
        source(server).fetch_completions(None, fetched_at=FETCHED)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"course_ids": ["cccccccccccccccccccccccc"]},
            "course cccccccccccccccccccccccc: HTTP 404 courseNotFound",
        ),
        (
            {"path_ids": ["bbbbbbbbbbbbbbbbbbbbbbbb"]},
            "path bbbbbbbbbbbbbbbbbbbbbbbb: HTTP 404 pathNotFound",
        ),
    ],
)
def test_unknown_course_or_path_fails_fast_with_its_id(server, options, message):
    with pytest.raises(SourceConfigError, match=message) as caught:
        source(server, **options).fetch_completions(None, fetched_at=FETCHED)

    assert not is_transient(caught.value)


def test_ids_that_are_not_object_ids_are_refused_before_any_call():
    with pytest.raises(ConfigurationError, match="'DS101' is not a 24-hex ObjectId"):
        Learning360Source("l", "https://x.test", CLIENT_ID, SECRET, course_ids=["DS101"])


def test_a_paging_loop_is_refused(server):
    server.loop_paging = True

    with pytest.raises(SourceError, match="paging loop") as caught:
        source(server, retry=NO_RETRY).fetch_completions(None, fetched_at=FETCHED)

    assert not is_transient(caught.value)


def answering(stats: list[dict]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            return httpx.Response(200, json={"access_token": "tok-123456", "expires_in": 3600})
        if request.url.path.endswith("/stats"):
            return httpx.Response(200, json=stats)
        return httpx.Response(200, json={"name": "n", "mail": "x@example.com"})

    return httpx.MockTransport(answer)


def test_unparseable_values_are_kept_with_their_parse_errors():
    bad = [
        {"_id": e(1), "courseId": C1, "userId": AMELIA, "progress": 100, "score": 180,
         "completedAt": "yesterday"},
        {"_id": e(2), "courseId": C1, "userId": BO, "progress": "half", "score": 50,
         "completedAt": "2026-10-01T08:30:00"},
    ]  # fmt: skip
    l360 = Learning360Source(
        "l", "https://x.test", CLIENT_ID, SECRET, course_ids=[C1], transport=answering(bad)
    )

    frame = l360.fetch_completions(None, fetched_at=FETCHED)

    assert frame[PARSE_ERRORS].tolist() == [
        ("completed_at: 'yesterday' is not an ISO 8601 time",
         "score: 180 is not a percentage (0-100)"),
        ("completed_at: '2026-10-01T08:30:00' has no UTC offset",
         "progress_pct: 'half' is not a percentage (0-100)"),
    ]  # fmt: skip
    assert frame[SCORE].isna().tolist() == [True, False]


@pytest.mark.parametrize(
    ("status", "body", "error", "match"),
    [
        (401, {"error": "invalid_token"}, SourceAuthError, "invalid_token"),
        (403, {"error": {"code": "invalid_scope", "message": "m"}}, SourceAuthError, "scope"),
        (429, {"error": "tooManyRequests"}, SourceUnavailable, "rate limit"),
        (503, None, SourceUnavailable, "HTTP 503"),
        (400, {"error": {"code": "badRequest", "message": "no"}}, SourceError, "badRequest: no"),
    ],
)
def test_http_statuses(status, body, error, match):
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            return httpx.Response(200, json={"access_token": "tok-123456", "expires_in": 3600})
        return httpx.Response(status, content=json.dumps(body).encode() if body else b"")

    l360 = Learning360Source(
        "l",
        "https://x.test",
        CLIENT_ID,
        SECRET,
        retry=NO_RETRY,
        transport=httpx.MockTransport(answer),
    )

    with pytest.raises(error, match=match):
        l360.fetch_completions(None, fetched_at=FETCHED)


def test_built_from_settings():
    settings = Settings(
        sources=[
            {
                "kind": "360learning",
                "name": "l360",
                "client_id": CLIENT_ID,
                "client_secret": SECRET,
                "course_ids": [C1],
                "path_ids": [P1],
                "retry_attempts": 2,
            }
        ]
    )

    built = build_source(settings.sources[0])

    assert isinstance(built, Learning360Source)
    assert built.base_url == "https://app.360learning.com"
    assert (built.course_ids, built.path_ids) == ((C1,), (P1,))
    assert SECRET not in repr(built) and SECRET not in repr(settings)


def test_settings_refuse_ids_that_are_not_object_ids():
    with pytest.raises(ValueError, match="course_ids"):
        Settings(
            sources=[
                {"kind": "360learning", "name": "l", "client_id": "c", "client_secret": "s",
                 "course_ids": ["DS101"]}
            ]
        )  # fmt: skip
