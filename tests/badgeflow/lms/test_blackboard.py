from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from badgeflow.errors import (
    SourceAuthError,
    SourceConfigError,
    SourceError,
    SourceUnavailable,
    is_transient,
)
from badgeflow.fakelms.blackboard import BlackboardDataset, FakeBlackboard
from badgeflow.lms import BlackboardSource, CompletionSource
from badgeflow.lms._frame import FRAME_COLUMNS
from badgeflow.lms._http import NO_RETRY, RetryPolicy
from badgeflow.lms.blackboard import BlackboardCourseRule
from badgeflow.models import (
    COMPLETED,
    COMPLETED_AT,
    COURSE_ID,
    COURSE_NAME,
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

DATASET = Path(__file__).parents[2] / "fixtures" / "lms" / "blackboard" / "simple.json"
KEY = "bb-app-key-0a1b2c"
SECRET = "bb-app-secret-9f8e7d6c5b4a"
FETCHED = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
DS101 = BlackboardCourseRule(
    "DS101",
    module_columns=("Module 1 quiz", "Module 2 quiz", "externalId:DS101-PROJ"),
    final_column="Final exam",
    pass_threshold=70,
)
SQL102 = BlackboardCourseRule("_102_1", module_columns=("Lab",), final_column="finalGrade")
CHECKED = [
    SOURCE_RECORD_ID, LEARNER_ID, LEARNER_EMAIL, COURSE_ID, COMPLETED, COMPLETED_AT, SCORE,
    SCORE_KIND, MODULES_COMPLETED, MODULES_TOTAL,
]  # fmt: skip


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


EXPECTED = [
    ("_7_1:_101_1", "_7_1", "amelia.hart@example.com", "DS101", True, utc("2026-09-14T10:00"),
     82.0, "final_assessment", 3, 3),
    ("_8_1:_101_1", "_8_1", "bo.chen@example.com", "DS101", False, None, None, "none", 1, 3),
    ("_9_1:_101_1", "_9_1", "chidi.okafor@example.com", "DS101", True, utc("2026-10-01T08:30"),
     100.0, "final_assessment", 3, 3),
    ("_10_1:_101_1", "_10_1", None, "DS101", False, None, 60.0, "final_assessment", 3, 3),
    ("_11_1:_101_1", "_11_1", "eli.novak@example.com", "DS101", None, None, None, "none", 3, 3),
    ("_12_1:_101_1", "_12_1", "fay.bauer@example.com", "DS101", True, utc("2026-10-03T10:00"),
     90.0, "final_assessment", 3, 3),
    ("_13_1:_101_1", "_13_1", "gus.sato@example.com", "DS101", True, utc("2026-11-20T16:45"),
     70.0, "final_assessment", 3, 3),
    ("_7_1:_102_1", "_7_1", "amelia.hart@example.com", "SQL102", True, None, 91.0,
     "course_total", 1, 1),
    ("_8_1:_102_1", "_8_1", "bo.chen@example.com", "SQL102", True, utc("2026-10-05T12:00"), 88.0,
     "course_total", 1, 1),
]  # fmt: skip


@pytest.fixture
def server():
    with FakeBlackboard(BlackboardDataset.load(DATASET), KEY, SECRET) as server:
        yield server


def source(server, **options) -> BlackboardSource:
    options.setdefault("courses", [DS101, SQL102])
    options.setdefault("page_size", 4)
    options.setdefault("timeout", 5.0)
    options.setdefault("retry", RetryPolicy(sleep=lambda s: None))
    return BlackboardSource("bb-main", server.base_url, KEY, SECRET, **options)


def rows(frame: pd.DataFrame) -> list[tuple]:
    return [
        tuple(None if not isinstance(v, str) and pd.isna(v) else v for v in row)
        for row in frame[CHECKED].itertuples(index=False)
    ]


def offsets(server, suffix: str) -> list[str]:
    return [dict(r.query).get("offset", "0") for r in server.requests if r.path.endswith(suffix)]


def test_is_a_completion_source(server):
    assert isinstance(source(server), CompletionSource)


def test_one_row_per_student_derived_from_the_gradebook_across_pages(server):
    frame = source(server, page_size=2).fetch_completions(None, fetched_at=FETCHED)

    assert tuple(frame.columns) == FRAME_COLUMNS
    assert rows(frame) == EXPECTED
    assert set(frame[SOURCE_SYSTEM]) == {"blackboard"}
    assert list(frame[ROW_NUMBER]) == list(range(1, 10))
    assert frame[LEARNER_NAME][0] == "Amelia Hart"
    assert frame[COURSE_NAME][0] == "Data Foundations"
    assert frame[PROGRESS_PCT].round(1).tolist()[:2] == [100.0, 33.3]
    # seven students, two per page: the membership listing followed paging.nextPage 3 times
    assert offsets(server, "/_101_1/users") == ["0", "2", "4", "6"]
    listings = [r for r in server.requests if "/v1/courses/" in r.path or "/v2/" in r.path]
    assert all(dict(r.query).get("limit") == "2" for r in listings)
    # the instructor is not a learner
    assert "_2_1" not in set(frame[LEARNER_ID])


def test_values_that_cannot_decide_completion_go_to_parse_errors_not_away(server):
    frame = source(server).fetch_completions(None, fetched_at=FETCHED)
    errors = dict(zip(frame[SOURCE_RECORD_ID], frame[PARSE_ERRORS], strict=True))

    assert errors["_11_1:_101_1"] == (
        "score: column 'Final exam': grade 'Pass' has no numeric score",
    )
    assert errors["_12_1:_101_1"] == ("completed_at: column 'Final exam': '2026-10-31T25:61:00Z'",)
    assert errors["_7_1:_102_1"] == (
        "completed_at: completed, but no graded attempt or override has a date",
    )
    assert sum(1 for e in errors.values() if e) == 3


def test_only_attempts_columns_are_asked_for_attempts(server):
    source(server).fetch_completions(None, fetched_at=FETCHED)

    asked = {r.path.split("/")[-2] for r in server.requests if r.path.endswith("/attempts")}
    assert asked == {"_501_1", "_502_1", "_504_1"}


def test_since_drops_older_completions_but_keeps_everyone_else(server):
    frame = source(server).fetch_completions(datetime(2026, 10, 1, tzinfo=UTC), fetched_at=FETCHED)

    assert list(frame[SOURCE_RECORD_ID]) == [
        "_8_1:_101_1", "_9_1:_101_1", "_10_1:_101_1", "_11_1:_101_1", "_12_1:_101_1",
        "_13_1:_101_1", "_7_1:_102_1", "_8_1:_102_1",
    ]  # fmt: skip


def test_a_rerun_gives_the_same_record_ids(server):
    bb = source(server)

    first = bb.fetch_completions(None, fetched_at=FETCHED)
    second = bb.fetch_completions(None, fetched_at=FETCHED + timedelta(days=1))

    assert list(first[SOURCE_RECORD_ID]) == list(second[SOURCE_RECORD_ID])
    assert bb.tokens_fetched == 1  # the cached token served both runs


def test_secrets_never_in_urls_logs_or_repr(server, caplog):
    caplog.set_level(logging.DEBUG)

    source(server).fetch_completions(None, fetched_at=FETCHED)

    basic = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    assert all("authorization" in r.header_names for r in server.requests)
    assert all(SECRET not in str(r.query) for r in server.requests)
    assert SECRET not in caplog.text and basic not in caplog.text
    assert SECRET not in repr(source(server))


def test_token_is_renewed_when_the_cached_one_is_about_to_expire(server):
    now = [FETCHED]
    bb = source(server, clock=lambda: now[0])
    bb.fetch_completions(None, fetched_at=FETCHED)

    now[0] += timedelta(seconds=3599 - 59)  # inside the one-minute margin
    bb.fetch_completions(None, fetched_at=FETCHED)

    assert bb.tokens_fetched == 2
    assert [r.path for r in server.requests].count("/learn/api/public/v1/oauth2/token") == 2


def test_expired_token_is_refreshed_once_and_the_call_repeated(server):
    bb = source(server)
    bb.fetch_completions(None, fetched_at=FETCHED)
    server.expire_tokens()
    before = len(server.requests)

    frame = bb.fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED
    assert bb.tokens_fetched == 2
    paths = [r.path for r in server.requests[before:]]
    assert paths[:3] == [
        "/learn/api/public/v3/courses/courseId:DS101",  # 401 with the expired token
        "/learn/api/public/v1/oauth2/token",
        "/learn/api/public/v3/courses/courseId:DS101",
    ]


def test_quota_throttling_is_retried_with_backoff(server):
    waits = []
    server.throttle_next(2, after=3)

    frame = source(
        server, retry=RetryPolicy(sleep=waits.append, random=lambda: 0.5)
    ).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED
    assert waits == [0.5, 1.0]  # no Retry-After from Learn: full jitter


def test_throttling_that_persists_is_transient(server):
    server.throttle_next(10)

    with pytest.raises(SourceUnavailable, match=r"rate limit exceeded \(remaining 0\)") as e:
        source(server, retry=RetryPolicy(max_attempts=2, sleep=lambda s: None)).fetch_completions(
            None, fetched_at=FETCHED
        )

    assert is_transient(e.value)


def test_5xx_burst_in_the_middle_of_paging_loses_and_repeats_nothing(server):
    # token, course, memberships at offset 0 pass; offset 4 fails three times
    server.fail_next(3, status=502, after=3)

    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED
    assert offsets(server, "/_101_1/users") == ["0", "4", "4", "4", "4"]


def test_truncated_page_is_read_again(server):
    server.truncate_next(1, after=5)

    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED


def test_slow_answer_times_out_then_succeeds(server):
    server.delay_next(1, 0.5)

    frame = source(server, timeout=0.1).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED


def test_bad_credentials_fail_fast_and_permanently(server):
    bad = BlackboardSource("b", server.base_url, KEY, "wrong-secret-000", courses=[DS101])

    with pytest.raises(SourceAuthError, match="token request.*HTTP 401: invalid_client") as caught:
        bad.fetch_completions(None, fetched_at=FETCHED)

    assert not is_transient(caught.value)
    assert len(server.requests) == 1
    assert "wrong-secret-000" not in str(caught.value)


def test_missing_entitlement_is_a_permanent_auth_error(server):
    server.fail_next(1, status=403, after=1)

    with pytest.raises(SourceAuthError, match="HTTP 403.*entitlements"):
        source(server).fetch_completions(None, fetched_at=FETCHED)


def test_unknown_course_fails_fast_with_its_id(server):
    with pytest.raises(SourceConfigError, match="Blackboard course NOPE1: HTTP 404: Course not"):
        source(server, courses=[BlackboardCourseRule("NOPE1", final_column="x")]).fetch_completions(
            None, fetched_at=FETCHED
        )

    assert len(server.requests) == 2  # the token, then the course


def test_unknown_gradebook_column_fails_fast(server):
    rule = BlackboardCourseRule("DS101", module_columns=("Module 1 quiz", "Exam 9"))

    with pytest.raises(SourceConfigError, match="DS101: no gradebook column 'Exam 9'"):
        source(server, courses=[rule]).fetch_completions(None, fetched_at=FETCHED)


def test_a_column_name_used_twice_must_be_named_by_id(server):
    rule = BlackboardCourseRule("DS101", module_columns=("Participation",))

    with pytest.raises(SourceConfigError, match=r"'Participation' is ambiguous \(_505_1, _506_1\)"):
        source(server, courses=[rule]).fetch_completions(None, fetched_at=FETCHED)


def test_courses_can_be_named_by_external_id_and_columns_by_primary_id(server):
    rule = BlackboardCourseRule("externalId:SIS.DS101", final_column="_504_1")

    frame = source(server, courses=[rule]).fetch_completions(None, fetched_at=FETCHED)

    assert set(frame[COURSE_ID]) == {"DS101"}
    assert frame[COMPLETED].tolist()[:2] == [True, False]


def test_a_paging_loop_is_refused(server):
    server.loop_paging = True

    with pytest.raises(SourceError, match="paging loop") as caught:
        source(server, retry=NO_RETRY).fetch_completions(None, fetched_at=FETCHED)

    assert not is_transient(caught.value)


def test_page_size_is_bounded():
    with pytest.raises(ValueError):
        BlackboardSource("b", "https://learn.test", KEY, SECRET, courses=[DS101], page_size=101)
