from __future__ import annotations

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
from badgeflow.fakelms.canvas import CanvasDataset, FakeCanvas
from badgeflow.lms import CanvasSource, CompletionSource
from badgeflow.lms._frame import FRAME_COLUMNS
from badgeflow.lms._http import NO_RETRY, RetryPolicy
from badgeflow.models import (
    COMPLETED,
    COMPLETED_AT,
    COURSE_ID,
    LEARNER_EMAIL,
    LEARNER_ID,
    MODULES_COMPLETED,
    MODULES_TOTAL,
    PROGRESS_PCT,
    ROW_NUMBER,
    SCORE,
    SCORE_KIND,
    SOURCE_RECORD_ID,
    SOURCE_SYSTEM,
)

DATASET = Path(__file__).parents[2] / "fixtures" / "lms" / "canvas" / "simple.json"
TOKEN = "canvas-token-0123456789abcdef"
FETCHED = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
CHECKED = [
    SOURCE_RECORD_ID, LEARNER_ID, LEARNER_EMAIL, COURSE_ID, COMPLETED, COMPLETED_AT, SCORE,
    SCORE_KIND, MODULES_COMPLETED, MODULES_TOTAL,
]  # fmt: skip


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


EXPECTED = [
    ("9001", "7", "amelia.hart@example.com", "DS101", True, utc("2026-09-14T10:00"), 82.0,
     "final_assessment", 3, 3),
    ("9002", "8", "bo.chen@example.com", "DS101", False, None, None, "none", 1, 3),
    ("9003", "9", "chidi.okafor@example.com", "DS101", True, utc("2026-10-01T08:30"), 100.0,
     "final_assessment", 3, 3),
    ("9004", "10", None, "DS101", True, utc("2026-11-20T16:45"), 70.0, "final_assessment", 3, 3),
    ("9005", "11", "eli.novak@example.com", "DS101", False, None, None, "none", 0, 3),
]  # fmt: skip


@pytest.fixture
def server():
    with FakeCanvas(CanvasDataset.load(DATASET), TOKEN) as server:
        yield server


def source(server, **options) -> CanvasSource:
    options.setdefault("course_ids", ["sis_course_id:DS101"])
    options.setdefault("final_assessment", "Final exam")
    options.setdefault("per_page", 2)
    options.setdefault("timeout", 5.0)
    options.setdefault("retry", RetryPolicy(sleep=lambda s: None))
    return CanvasSource("canvas-main", server.base_url, TOKEN, **options)


def rows(frame: pd.DataFrame) -> list[tuple]:
    return [
        tuple(None if not isinstance(v, str) and pd.isna(v) else v for v in row)
        for row in frame[CHECKED].itertuples(index=False)
    ]


def listing_pages(server, suffix: str) -> list[str]:
    return [dict(r.query).get("page", "1") for r in server.requests if r.path.endswith(suffix)]


def test_is_a_completion_source(server):
    assert isinstance(source(server), CompletionSource)


def test_one_canonical_row_per_student_enrollment_across_pages(server):
    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert tuple(frame.columns) == FRAME_COLUMNS
    assert rows(frame) == EXPECTED
    assert set(frame[SOURCE_SYSTEM]) == {"canvas"}
    assert list(frame[ROW_NUMBER]) == [1, 2, 3, 4, 5]
    assert frame[PROGRESS_PCT].round(1).tolist()[:2] == [100.0, 33.3]
    # five students, two per page: every listing followed its Link header to page 3
    assert listing_pages(server, "/enrollments") == ["1", "2", "3"]
    assert all(dict(r.query).get("per_page") == "2" for r in server.requests[1:])


def test_without_final_assessment_the_final_score_is_the_course_total(server):
    frame = source(server, final_assessment=None).fetch_completions(None, fetched_at=FETCHED)

    assert frame[SCORE].tolist()[:3] == [82.5, 30.0, 90.0]
    assert set(frame[SCORE_KIND]) == {"course_total", "none"}


def test_numeric_ids_without_sis_id_are_the_course_id(server):
    frame = source(server, course_ids=["102"], final_assessment=None).fetch_completions(
        None, fetched_at=FETCHED
    )

    assert rows(frame) == [
        ("9101", "7", "amelia.hart@example.com", "102", True, utc("2026-10-05T12:00"), 88.0,
         "course_total", 2, 2),
    ]  # fmt: skip


def test_no_course_ids_reads_every_course_and_skips_those_without_modules(server, caplog):
    caplog.set_level(logging.WARNING, logger="badgeflow.lms.canvas")

    frame = source(server, course_ids=[], final_assessment=None).fetch_completions(
        None, fetched_at=FETCHED
    )

    assert sorted(set(frame[COURSE_ID])) == ["102", "DS101"]
    assert "Canvas course ONB100 has no module requirements; skipped" in caplog.text


def test_since_drops_older_completions_but_keeps_students_in_progress(server):
    frame = source(server).fetch_completions(datetime(2026, 10, 1, tzinfo=UTC), fetched_at=FETCHED)

    assert list(frame[SOURCE_RECORD_ID]) == ["9002", "9003", "9004", "9005"]


def test_bearer_token_in_header_never_in_urls_or_logs(server, caplog):
    caplog.set_level(logging.DEBUG)

    source(server).fetch_completions(None, fetched_at=FETCHED)

    assert all("authorization" in r.header_names for r in server.requests)
    assert all(TOKEN not in str(r.query) for r in server.requests)
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(source(server))


@pytest.mark.parametrize("status", [403, 429])
def test_rate_limit_exceeded_is_retried(server, status):
    waits = []
    server.throttle_status = status
    server.throttle_next(2)

    frame = source(
        server, retry=RetryPolicy(sleep=waits.append, random=lambda: 0.5)
    ).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED
    assert waits == [0.5, 1.0]


def test_rate_limit_that_persists_is_transient(server):
    server.throttle_next(10)

    with pytest.raises(SourceUnavailable, match="rate limit exceeded \\(remaining 0.0\\)") as e:
        source(server, retry=RetryPolicy(max_attempts=2, sleep=lambda s: None)).fetch_completions(
            None, fetched_at=FETCHED
        )

    assert is_transient(e.value)


def test_5xx_burst_in_the_middle_of_paging_loses_and_repeats_nothing(server):
    # course, progress p1, p2 pass; then progress page 3 fails three times and is retried
    server.fail_next(3, status=502, after=3)

    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED
    assert listing_pages(server, "/bulk_user_progress") == ["1", "2", "3", "3", "3", "3"]


def test_truncated_page_is_read_again(server):
    server.truncate_next(1, after=4)

    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED


def test_slow_answer_times_out_then_succeeds(server):
    server.delay_next(1, 0.5)

    frame = source(server, timeout=0.1).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED


def test_bad_token_fails_fast_and_permanently(server):
    bad = CanvasSource("c", server.base_url, "wrong-token", course_ids=["101"])

    with pytest.raises(SourceAuthError, match="invalid or expired access token") as caught:
        bad.fetch_completions(None, fetched_at=FETCHED)

    assert not is_transient(caught.value)
    assert len(server.requests) == 1
    assert "wrong-token" not in str(caught.value)


def test_expired_token_is_a_permanent_auth_error(server):
    server.expire_tokens()

    with pytest.raises(SourceAuthError):
        source(server).fetch_completions(None, fetched_at=FETCHED)


def test_unknown_course_fails_fast_with_its_id(server):
    with pytest.raises(SourceConfigError, match="Canvas course 999: HTTP 404: The specified"):
        source(server, course_ids=["999"]).fetch_completions(None, fetched_at=FETCHED)

    assert len(server.requests) == 1


def test_unknown_final_assessment_fails_fast(server):
    with pytest.raises(SourceConfigError, match="no assignment 'Exam 9'"):
        source(server, final_assessment="Exam 9").fetch_completions(None, fetched_at=FETCHED)


def test_a_paging_loop_is_refused(server):
    server.loop_paging = True

    with pytest.raises(SourceError, match="paging loop") as caught:
        source(server, retry=NO_RETRY).fetch_completions(None, fetched_at=FETCHED)

    assert not is_transient(caught.value)


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, b"", SourceAuthError),
        (403, b'{"errors": [{"message": "user not authorized"}]}', SourceAuthError),
        (500, b"", SourceUnavailable),
        (400, b"", SourceError),
    ],
)
def test_http_statuses(status, body, error):
    canvas = CanvasSource(
        "c",
        "https://canvas.test",
        TOKEN,
        course_ids=["1"],
        retry=NO_RETRY,
        transport=httpx.MockTransport(lambda request: httpx.Response(status, content=body)),
    )

    with pytest.raises(error, match=f"HTTP {status}"):
        canvas.fetch_completions(None, fetched_at=FETCHED)


def test_per_page_is_bounded():
    with pytest.raises(ValueError):
        CanvasSource("c", "https://canvas.test", TOKEN, per_page=101)
