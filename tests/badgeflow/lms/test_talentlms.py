from __future__ import annotations

import base64
import logging
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
from badgeflow.fakelms.talentlms import FakeTalentLMS, TalentLMSDataset
from badgeflow.lms import CompletionSource, TalentLMSSource, build_source
from badgeflow.lms._frame import FRAME_COLUMNS
from badgeflow.lms._http import NO_RETRY, RetryPolicy
from badgeflow.models import (
    COMPLETED,
    COMPLETED_AT,
    COURSE_ID,
    LEARNER_EMAIL,
    LEARNER_ID,
    LEARNER_NAME,
    MODULES_COMPLETED,
    MODULES_TOTAL,
    PARSE_ERRORS,
    PROGRESS_PCT,
    ROW_NUMBER,
    SCORE,
    SCORE_KIND,
    SOURCE_RECORD_ID,
    SOURCE_SYSTEM,
)
from badgeflow.settings import Settings

DATASET = Path(__file__).parents[2] / "fixtures" / "lms" / "talentlms" / "simple.json"
KEY = "talent-key-0123456789abcdef"
FETCHED = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
CHECKED = [
    SOURCE_RECORD_ID, LEARNER_ID, LEARNER_EMAIL, COURSE_ID, COMPLETED, COMPLETED_AT, SCORE,
    SCORE_KIND, MODULES_COMPLETED, MODULES_TOTAL,
]  # fmt: skip


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


EXPECTED = [
    ("40:12", "40", "amelia.hart@example.com", "PRV120", True, utc("2026-09-20T10:00"), 85.0,
     "final_assessment", 3, 3),
    ("41:12", "41", "bo.chen@example.com", "PRV120", False, None, None, "none", 1, 3),
    ("42:12", "42", "chidi.okafor@example.com", "PRV120", True, utc("2026-11-05T14:30"), 92.5,
     "final_assessment", 3, 3),
]  # fmt: skip


@pytest.fixture
def server():
    with FakeTalentLMS(TalentLMSDataset.load(DATASET), KEY) as server:
        yield server


def source(server, **options) -> TalentLMSSource:
    options.setdefault("course_ids", ["PRV120"])
    options.setdefault("final_assessment", "Final test")
    options.setdefault("timeout", 5.0)
    options.setdefault("retry", RetryPolicy(sleep=lambda s: None))
    return TalentLMSSource("talent-main", server.base_url, KEY, **options)


def rows(frame: pd.DataFrame) -> list[tuple]:
    return [
        tuple(None if not isinstance(v, str) and pd.isna(v) else v for v in row)
        for row in frame[CHECKED].itertuples(index=False)
    ]


def paths(server) -> list[str]:
    return [r.path.removeprefix("/api/v1/") for r in server.requests]


def test_is_a_completion_source(server):
    assert isinstance(source(server), CompletionSource)


def test_one_canonical_row_per_learner_from_unpaged_lists(server):
    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert tuple(frame.columns) == FRAME_COLUMNS
    assert rows(frame) == EXPECTED
    assert set(frame[SOURCE_SYSTEM]) == {"talentlms"}
    assert list(frame[LEARNER_NAME]) == ["Amelia Hart", "Bo Chen", "Chidi Okafor"]
    assert list(frame[PROGRESS_PCT]) == [100.0, 33.0, 100.0]
    assert list(frame[ROW_NUMBER]) == [1, 2, 3]
    assert all(errors == () for errors in frame[PARSE_ERRORS])
    # v1 does not page: one call per listing, then one status call per learner (the
    # instructor is not one); a course code is looked up in the course list
    assert paths(server) == [
        "users",
        "courses",
        "courses/id:12",
        "getuserstatusincourse/course_id:12,user_id:40",
        "getuserstatusincourse/course_id:12,user_id:41",
        "getuserstatusincourse/course_id:12,user_id:42",
    ]


def test_every_course_by_default_and_numeric_id_without_code(server):
    frame = source(server, course_ids=[], final_assessment=None).fetch_completions(
        None, fetched_at=FETCHED
    )

    assert list(frame[COURSE_ID]) == ["PRV120", "PRV120", "PRV120", "13"]
    assert set(frame[SCORE_KIND]) == {"none"}
    only = source(server, course_ids=["13"], final_assessment=None).fetch_completions(
        None, fetched_at=FETCHED
    )
    assert rows(only) == [
        ("41:13", "41", "bo.chen@example.com", "13", True, utc("2026-09-03T08:00"), None, "none",
         1, 1),
    ]  # fmt: skip


def test_since_skips_older_completions_without_asking_for_them(server):
    frame = source(server).fetch_completions(datetime(2026, 10, 1, tzinfo=UTC), fetched_at=FETCHED)

    assert list(frame[SOURCE_RECORD_ID]) == ["41:12", "42:12"]
    assert not any("user_id:40" in p for p in paths(server))


def test_api_key_is_basic_auth_never_in_urls_logs_or_repr(server, caplog):
    caplog.set_level(logging.DEBUG)
    seen = []
    encoded = base64.b64encode(f"{KEY}:".encode()).decode()

    def spy(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(200, json=[])

    source(server).fetch_completions(None, fetched_at=FETCHED)
    TalentLMSSource(
        "t", "https://x.talentlms.test", KEY, transport=httpx.MockTransport(spy)
    ).fetch_completions(None, fetched_at=FETCHED)

    assert seen == [f"Basic {encoded}"] * 2  # users, courses: both empty
    assert all("authorization" in r.header_names for r in server.requests)
    assert KEY not in caplog.text and encoded not in caplog.text
    assert KEY not in repr(source(server))


def test_rate_limit_429_is_retried_with_backoff(server):
    waits = []
    server.throttle_next(2, after=3)

    frame = source(
        server, retry=RetryPolicy(sleep=waits.append, random=lambda: 0.5)
    ).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED
    assert waits == [0.5, 1.0]  # v1 sends no Retry-After: exponential backoff, full jitter


def test_rate_limit_that_persists_is_transient(server):
    server.throttle_next(10)

    with pytest.raises(SourceUnavailable, match="TalentLMS rate limit exceeded") as caught:
        source(server, retry=RetryPolicy(max_attempts=2, sleep=lambda s: None)).fetch_completions(
            None, fetched_at=FETCHED
        )

    assert is_transient(caught.value)


def test_5xx_burst_mid_run_loses_and_repeats_nothing(server):
    server.fail_next(3, status=502, after=4)

    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED
    assert paths(server).count("getuserstatusincourse/course_id:12,user_id:41") == 4


def test_persistent_5xx_gives_up_as_unavailable(server):
    server.fail_next(10, status=500)

    with pytest.raises(SourceUnavailable, match="HTTP 500: Internal server error"):
        source(server, retry=RetryPolicy(max_attempts=3, sleep=lambda s: None)).fetch_completions(
            None, fetched_at=FETCHED
        )


def test_truncated_answer_is_read_again(server):
    server.truncate_next(1, after=2)

    assert rows(source(server).fetch_completions(None, fetched_at=FETCHED)) == EXPECTED


def test_slow_answer_times_out_then_succeeds(server):
    server.delay_next(1, 0.5)

    frame = source(server, timeout=0.1).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED


def test_bad_key_fails_fast_and_permanently(server):
    bad = TalentLMSSource("t", server.base_url, "wrong-key-000", retry=RetryPolicy())

    with pytest.raises(SourceAuthError, match="HTTP 401: Invalid API key provided") as caught:
        bad.fetch_completions(None, fetched_at=FETCHED)

    assert not is_transient(caught.value)
    assert len(server.requests) == 1
    assert "wrong-key-000" not in str(caught.value)


def test_expired_key_is_a_permanent_auth_error(server):
    server.expire_tokens()

    with pytest.raises(SourceAuthError):
        source(server).fetch_completions(None, fetched_at=FETCHED)


@pytest.mark.parametrize(
    ("course", "message"),
    [("999", "TalentLMS course 999: HTTP 404: The requested course does not exist"),
     ("NOPE1", "no course with code 'NOPE1'")],
)  # fmt: skip
def test_unknown_course_fails_fast_naming_it(server, course, message):
    with pytest.raises(SourceConfigError, match=message):
        source(server, course_ids=[course]).fetch_completions(None, fetched_at=FETCHED)

    assert len(server.requests) == 2


def test_unknown_final_test_fails_fast_for_a_configured_course(server):
    with pytest.raises(SourceConfigError, match="no unit 'Exam 9'"):
        source(server, final_assessment="Exam 9").fetch_completions(None, fetched_at=FETCHED)


def test_bad_values_become_parse_errors_not_lost_rows():
    status = {
        "completion_status": "Completed",
        "completion_percentage": "all",
        "completed_on_timestamp": "yesterday",
        "units": [{"id": "1", "completion_status": "Completed", "score": "n/a"}],
    }
    answers = {
        "/api/v1/users": [{"id": "5", "email": "X@Y.org", "first_name": "X", "last_name": ""}],
        "/api/v1/courses/id:1": {"id": "1", "name": "C", "code": "", "units": [{"id": "1"}],
                                 "users": [{"id": "5", "role": "learner"}]},
        "/api/v1/getuserstatusincourse/course_id:1,user_id:5": status,
    }  # fmt: skip
    talent = TalentLMSSource(
        "t",
        "https://x.talentlms.test",
        KEY,
        course_ids=["1"],
        final_assessment="1",
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=answers[r.url.path])),
    )

    frame = talent.fetch_completions(None, fetched_at=FETCHED)

    assert len(frame) == 1
    assert frame[LEARNER_EMAIL][0] == "x@y.org"
    assert frame[PARSE_ERRORS][0] == (
        "completed_at: 'yesterday' is not a Unix timestamp",
        "completed_at: completed without completed_on_timestamp",
        "score: 'n/a' is not a percentage",
        "progress_pct: 'all' is not a percentage",
    )


@pytest.mark.parametrize(
    ("status", "error"),
    [(403, SourceAuthError), (400, SourceError), (504, SourceUnavailable)],
)
def test_http_statuses_quote_talentlms_errors(status, error):
    body = {"error": {"type": "invalid_request_error", "message": "API is disabled"}}
    talent = TalentLMSSource(
        "t",
        "https://x.talentlms.test",
        KEY,
        retry=NO_RETRY,
        transport=httpx.MockTransport(lambda r: httpx.Response(status, json=body)),
    )

    with pytest.raises(error, match=f"TalentLMS users: HTTP {status}: API is disabled"):
        talent.fetch_completions(None, fetched_at=FETCHED)


def test_built_from_settings():
    settings = Settings(
        sources=[
            {
                "kind": "talentlms",
                "name": "talent",
                "base_url": "https://academy.talentlms.com/",
                "api_key": "k-123",
                "course_ids": ["PRV120"],
                "final_assessment": "Final test",
                "retry_attempts": 2,
            }
        ]
    )

    built = build_source(settings.sources[0])

    assert isinstance(built, TalentLMSSource)
    assert (built.base_url, built.course_ids, built.final_assessment) == (
        "https://academy.talentlms.com",
        ("PRV120",),
        "Final test",
    )
    assert "k-123" not in repr(settings)
