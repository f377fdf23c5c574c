from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from pydantic import ValidationError

from badgeflow.errors import (
    SourceAuthError,
    SourceConfigError,
    SourceError,
    SourceUnavailable,
    is_transient,
)
from badgeflow.fakelms.docebo import DoceboDataset, FakeDocebo
from badgeflow.lms import CompletionSource, DoceboSource, build_source
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
    RAW,
    ROW_NUMBER,
    SCORE,
    SCORE_KIND,
    SOURCE_RECORD_ID,
    SOURCE_SYSTEM,
)
from badgeflow.settings import DoceboSourceSettings, Settings

DATASET = Path(__file__).parents[2] / "fixtures" / "lms" / "docebo" / "simple.json"
CLIENT, SECRET = "badgeflow-app", "docebo-secret-0123456789"
USER, PASSWORD = "api.reader", "docebo-password-9876"
FETCHED = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
CHECKED = [
    SOURCE_RECORD_ID, LEARNER_ID, LEARNER_EMAIL, LEARNER_NAME, COURSE_ID, COURSE_NAME, COMPLETED,
    COMPLETED_AT, SCORE, SCORE_KIND,
]  # fmt: skip


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


EXPECTED = [
    ("13001:12", "13001", "amelia.hart@example.com", "Amelia Hart", "DS101", "Data Foundations",
     True, utc("2026-09-14T10:00"), 82.5, "course_total"),
    ("13002:12", "13002", "bo.chen@example.com", "Bo Chen", "DS101", "Data Foundations",
     False, None, 30.0, "course_total"),
    ("13003:12", "13003", "chidi.okafor@example.com", "Chidi Okafor", "DS101", "Data Foundations",
     True, utc("2026-10-01T08:30"), 90.0, "course_total"),
    ("13004:12", "13004", None, "druiz", "DS101", "Data Foundations",
     True, utc("2026-11-20T16:45"), 70.0, "course_total"),
    ("13005:12", "13005", "eli.novak@example.com", "Eli Novak", "DS101", "Data Foundations",
     False, None, None, "none"),
    ("13001:15", "13001", "amelia.hart@example.com", "Amelia Hart", "15", "SQL Essentials",
     True, utc("2026-10-05T12:00"), 88.0, "course_total"),
]  # fmt: skip


@pytest.fixture
def server():
    dataset = DoceboDataset.load(DATASET)
    fake = FakeDocebo(
        dataset, client_id=CLIENT, client_secret=SECRET, username=USER, password=PASSWORD
    )
    with fake as server:
        yield server


def source(server, **options) -> DoceboSource:
    options.setdefault("course_ids", [12, 15])
    options.setdefault("page_size", 2)
    options.setdefault("timeout", 5.0)
    options.setdefault("retry", RetryPolicy(sleep=lambda s: None))
    secret = options.pop("secret", SECRET)
    return DoceboSource("docebo-main", server.base_url, CLIENT, secret, **options)


def rows(frame: pd.DataFrame) -> list[tuple]:
    return [
        tuple(None if not isinstance(v, str) and pd.isna(v) else v for v in row)
        for row in frame[CHECKED].itertuples(index=False)
    ]


def calls(server, path: str) -> list[dict[str, str]]:
    return [dict(r.query) for r in server.requests if r.path == path]


def token_requests(server) -> int:
    return len(calls(server, "/oauth2/token"))


def test_is_a_completion_source(server):
    assert isinstance(source(server), CompletionSource)


@pytest.mark.parametrize("endpoint", ["course", "learn"])
def test_both_enrollment_endpoints_give_the_same_canonical_rows(server, endpoint):
    frame = source(server, enrollment_endpoint=endpoint).fetch_completions(None, fetched_at=FETCHED)

    assert tuple(frame.columns) == FRAME_COLUMNS
    assert rows(frame) == EXPECTED
    assert set(frame[SOURCE_SYSTEM]) == {"docebo"}
    assert list(frame[ROW_NUMBER]) == [1, 2, 3, 4, 5, 6]
    assert {r[RAW]["endpoint"] for _, r in frame.iterrows()} == {endpoint}


def test_course_service_filters_courses_and_pages_by_has_more_data(server):
    source(server, enrollment_endpoint="course").fetch_completions(None, fetched_at=FETCHED)

    listing = calls(server, "/course/v1/courses/enrollments")
    # 7 enrollments of courses 12 and 15 (an instructor's included), two per page
    assert [q["page"] for q in listing] == ["1", "2", "3", "4"]
    assert all(q["page_size"] == "2" for q in listing)
    assert [q.get("cursor") for q in listing] == [None, "c7", "c7", "c7"]
    assert calls(server, "/learn/v1/enrollments") == []


def test_learn_listing_skips_learning_plans_and_other_courses(server):
    frame = source(server, enrollment_endpoint="learn", course_ids=[]).fetch_completions(
        None, fetched_at=FETCHED
    )

    assert "13001:20" not in set(frame[SOURCE_RECORD_ID])  # the learning plan
    assert "ONB100" in set(frame[COURSE_ID])
    (listing, *_) = [r.query for r in server.requests if r.path == "/learn/v1/enrollments"]
    assert [v for k, v in listing if k == "type[]"] == ["elearning", "classroom", "webinar"]


def test_instructors_are_not_learners(server):
    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert "13006" not in set(frame[LEARNER_ID])


def test_all_courses_and_a_bad_completion_date_is_a_parse_error(server):
    frame = source(server, course_ids=[]).fetch_completions(None, fetched_at=FETCHED)

    onboarding = frame[frame[COURSE_ID] == "ONB100"].iloc[0]
    assert onboarding[COMPLETED] and pd.isna(onboarding[COMPLETED_AT])
    assert onboarding[PARSE_ERRORS] == (
        "completed_at: '14/09/2026' is not a Docebo time (YYYY-MM-DD HH:MM:SS)",
    )
    assert calls(server, "/learn/v1/courses/12") == []  # nothing configured, nothing checked


def test_few_learners_are_looked_up_one_by_one(server):
    frame = source(server, course_ids=[15]).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED[5:]
    assert len(calls(server, "/manage/v1/user/13001")) == 1
    assert calls(server, "/manage/v1/user") == []


def test_many_learners_read_the_user_listing_instead(server):
    source(server).fetch_completions(None, fetched_at=FETCHED)

    assert [q["page"] for q in calls(server, "/manage/v1/user")] == ["1", "2", "3"]
    assert not any(r.path.startswith("/manage/v1/user/") for r in server.requests)


@pytest.mark.parametrize("endpoint", ["course", "learn"])
def test_since_is_sent_as_updated_from(server, endpoint):
    since = datetime(2026, 10, 1, 10, 30, tzinfo=UTC)

    frame = source(server, enrollment_endpoint=endpoint).fetch_completions(
        since, fetched_at=FETCHED
    )

    assert list(frame[SOURCE_RECORD_ID]) == ["13002:12", "13004:12", "13001:15"]
    path = f"/{endpoint}/v1/{'courses/' if endpoint == 'course' else ''}enrollments"
    assert {q["updated_from"] for q in calls(server, path)} == {"2026-10-01 10:30:00"}


def test_since_in_another_zone_is_sent_in_utc(server):
    cet = datetime(2026, 10, 1, 12, 30, tzinfo=UTC).astimezone(ZoneInfo("Europe/Berlin"))

    source(server).fetch_completions(cet, fetched_at=FETCHED)

    (first, *_) = calls(server, "/course/v1/courses/enrollments")
    assert first["updated_from"] == "2026-10-01 12:30:00"


@pytest.mark.parametrize("status", [403, 404])
def test_auto_falls_back_to_the_learn_listing(server, status, caplog):
    server.course_endpoint_status = status

    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED
    assert {r[RAW]["endpoint"] for _, r in frame.iterrows()} == {"learn"}
    assert f"HTTP {status}" in caplog.text
    assert "falling back to /learn/v1/enrollments" in caplog.text


def test_course_endpoint_forced_does_not_fall_back(server):
    server.course_endpoint_status = 403

    with pytest.raises(SourceAuthError, match="HTTP 403: You are not allowed"):
        source(server, enrollment_endpoint="course").fetch_completions(None, fetched_at=FETCHED)

    assert calls(server, "/learn/v1/enrollments") == []


def test_one_token_serves_the_whole_run(server):
    source(server).fetch_completions(None, fetched_at=FETCHED)

    assert token_requests(server) == 1
    assert all("authorization" in r.header_names for r in server.requests[1:])


def test_secrets_never_in_urls_logs_or_repr(server, caplog):
    caplog.set_level(logging.DEBUG)
    docebo = source(server, username=USER, password=PASSWORD)

    docebo.fetch_completions(None, fetched_at=FETCHED)

    for secret in (SECRET, PASSWORD):
        assert all(secret not in str(r.query) for r in server.requests)
        assert secret not in caplog.text
        assert secret not in repr(docebo)


@pytest.mark.parametrize("grant", ["client_credentials", "password"])
def test_a_token_expiring_mid_run_is_renewed_once(server, grant):
    login = {"username": USER, "password": PASSWORD} if grant == "password" else {}
    server.expire_tokens_after(3)  # two course checks and the first page pass

    frame = source(server, **login).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED
    assert token_requests(server) == 2
    # the refused page was asked for again with the new token, not skipped
    assert [q["page"] for q in calls(server, "/course/v1/courses/enrollments")] == [
        "1", "2", "2", "3", "4",
    ]  # fmt: skip


def test_a_token_near_its_expiry_is_renewed_before_use(server):
    now = [datetime(2026, 11, 29, 6, 0, tzinfo=UTC)]

    def clock():
        now[0] += timedelta(minutes=20)  # expires_in 3600 - 60 s margin: three calls
        return now[0]

    frame = source(server, clock=clock).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED
    assert token_requests(server) == 3  # nine API calls, each token lasts three


def test_bad_client_secret_fails_fast_and_permanently(server):
    with pytest.raises(SourceAuthError, match="The client credentials are invalid") as caught:
        source(server, secret="wrong-secret").fetch_completions(None, fetched_at=FETCHED)

    assert not is_transient(caught.value)
    assert len(server.requests) == 1
    assert "wrong-secret" not in str(caught.value)


def test_bad_password_fails_fast_and_permanently(server):
    with pytest.raises(SourceAuthError, match="Invalid username and password") as caught:
        source(server, username=USER, password="not-the-password").fetch_completions(
            None, fetched_at=FETCHED
        )

    assert len(server.requests) == 1
    assert "not-the-password" not in str(caught.value)


def test_a_token_refused_even_after_renewal_is_permanent(server):
    server.revoke_tokens = True  # e.g. the API app was disabled after issuing

    with pytest.raises(SourceAuthError, match="HTTP 401: The access token was revoked") as caught:
        source(server).fetch_completions(None, fetched_at=FETCHED)

    assert not is_transient(caught.value)
    assert token_requests(server) == 2


def test_unknown_course_fails_fast_with_its_id(server):
    with pytest.raises(SourceConfigError, match="Docebo course 999: HTTP 404: Course not found"):
        source(server, course_ids=[12, 999]).fetch_completions(None, fetched_at=FETCHED)

    assert calls(server, "/course/v1/courses/enrollments") == []


def test_throttling_is_retried_with_backoff(server):
    waits = []
    server.throttle_next(2, after=4)  # token, two course checks, page 1; then page 2

    frame = source(
        server, retry=RetryPolicy(sleep=waits.append, random=lambda: 0.5)
    ).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED
    assert waits == [0.5, 1.0]  # no Retry-After from Docebo: full-jitter backoff


def test_throttling_that_persists_is_transient(server):
    server.throttle_next(10)

    with pytest.raises(SourceUnavailable, match="Docebo rate limit exceeded") as caught:
        source(server, retry=RetryPolicy(max_attempts=2, sleep=lambda s: None)).fetch_completions(
            None, fetched_at=FETCHED
        )

    assert is_transient(caught.value)


def test_5xx_burst_in_the_middle_of_paging_loses_and_repeats_nothing(server):
    server.fail_next(3, status=502, after=5)  # page 3 of the enrollments

    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED
    pages = [q["page"] for q in calls(server, "/course/v1/courses/enrollments")]
    assert pages == ["1", "2", "3", "3", "3", "3", "4"]


def test_5xx_that_persists_is_transient(server):
    server.fail_next(10, status=503, after=1)

    with pytest.raises(SourceUnavailable, match="HTTP 503"):
        source(server, retry=RetryPolicy(max_attempts=3, sleep=lambda s: None)).fetch_completions(
            None, fetched_at=FETCHED
        )


def test_truncated_page_is_read_again(server):
    server.truncate_next(1, after=4)

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


def test_options_are_checked():
    with pytest.raises(ValueError, match="page_size"):
        DoceboSource("d", "https://x.test", CLIENT, SECRET, page_size=201)
    with pytest.raises(ValueError, match="both username and password"):
        DoceboSource("d", "https://x.test", CLIENT, SECRET, username=USER)


def test_builds_a_docebo_source_with_the_password_grant():
    settings = Settings(
        sources=[
            {
                "kind": "docebo",
                "name": "docebo-main",
                "base_url": "https://academy.docebosaas.com/",
                "client_id": "badgeflow",
                "client_secret": "sec-abcdef",
                "username": "api.reader",
                "password": "pw-abcdef",
                "course_ids": [12, 15],
                "enrollment_endpoint": "learn",
                "page_size": 50,
                "retry_attempts": 3,
            }
        ]
    )

    source = build_source(settings.sources[0])

    assert isinstance(source, DoceboSource)
    assert source.base_url == "https://academy.docebosaas.com"
    assert (source.course_ids, source.enrollment_endpoint) == ((12, 15), "learn")
    assert (source.page_size, source.username, source._retry.max_attempts) == (50, "api.reader", 3)
    assert "sec-abcdef" not in repr(source) and "pw-abcdef" not in repr(source)


def test_docebo_password_grant_needs_both_halves():
    with pytest.raises(ValidationError, match="both username and password"):
        DoceboSourceSettings(
            name="d", base_url="https://x.test", client_id="c", client_secret="s", username="u"
        )
