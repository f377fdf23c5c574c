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
from badgeflow.fakelms.litmos import FakeLitmos, LitmosDataset
from badgeflow.lms import CompletionSource, LitmosSource, build_source
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

DATASET = Path(__file__).parents[2] / "fixtures" / "lms" / "litmos" / "simple.json"
KEY = "litmos-key-0123456789abcdef"
FETCHED = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
SQL, INDUCTION = "Xq1Yb7kT2aU1", "Pz8Rc4nW1eK2"
AMELIA, BO, CHIDI = "u9Kd3vBn6Qw1", "u2Lp5xCm8Rt2", "u7Gh1zDs4Yv3"
CHECKED = [
    SOURCE_RECORD_ID, LEARNER_ID, LEARNER_EMAIL, COURSE_ID, COMPLETED, COMPLETED_AT, SCORE,
    SCORE_KIND, MODULES_COMPLETED, MODULES_TOTAL,
]  # fmt: skip


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


# results/details comes ordered by UpdatedDate
EXPECTED = [
    (f"{AMELIA}:{SQL}", AMELIA, "amelia.hart@example.com", "SQL110", True, utc("2026-09-20T10:00"),
     88.0, "final_assessment", 3, 3),
    (f"{BO}:{SQL}", BO, "bo.chen@example.com", "SQL110", False, None, None, "none", 1, 3),
    (f"{CHIDI}:{SQL}", CHIDI, "chidi.okafor@example.com", "SQL110", True,
     utc("2026-11-05T14:30"), 95.0, "final_assessment", 3, 3),
]  # fmt: skip


@pytest.fixture
def server():
    with FakeLitmos(LitmosDataset.load(DATASET), KEY) as server:
        yield server


def source(server, **options) -> LitmosSource:
    options.setdefault("course_ids", [SQL])
    options.setdefault("final_assessment", "Final assessment")
    options.setdefault("page_size", 2)
    options.setdefault("timeout", 5.0)
    options.setdefault("retry", RetryPolicy(sleep=lambda s: None))
    return LitmosSource("litmos-main", server.base_url + "/v1.svc", KEY, **options)


def rows(frame: pd.DataFrame) -> list[tuple]:
    return [
        tuple(None if not isinstance(v, str) and pd.isna(v) else v for v in row)
        for row in frame[CHECKED].itertuples(index=False)
    ]


def starts(server, suffix: str) -> list[str]:
    return [dict(r.query)["start"] for r in server.requests if r.path.endswith(suffix)]


def test_is_a_completion_source(server):
    assert isinstance(source(server), CompletionSource)


def test_one_canonical_row_per_result_across_pages(server):
    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert tuple(frame.columns) == FRAME_COLUMNS
    assert rows(frame) == EXPECTED
    assert set(frame[SOURCE_SYSTEM]) == {"litmos"}
    assert list(frame[LEARNER_NAME]) == ["Amelia Hart", "Bo Chen", "Chidi Okafor"]
    assert list(frame[PROGRESS_PCT]) == [100.0, 33.0, 100.0]
    assert list(frame[ROW_NUMBER]) == [1, 2, 3]
    assert all(errors == () for errors in frame[PARSE_ERRORS])
    # four results, two a page: a full page asks for the next, a short or empty one ends it
    assert starts(server, "/results/details") == ["0", "2", "4"]
    assert all(dict(r.query)["limit"] == "2" for r in server.requests if "start" in dict(r.query))


def test_every_call_carries_source_and_format_json(server):
    source(server, source_app="acme-badges").fetch_completions(None, fetched_at=FETCHED)

    assert server.requests[0].path == f"/v1.svc/courses/{SQL}"
    for request in server.requests:
        query = dict(request.query)
        assert (query["source"], query["format"]) == ("acme-badges", "json")
        assert "apikey" in request.header_names


def test_every_course_by_default_and_id_when_no_code(server):
    frame = source(server, course_ids=[]).fetch_completions(None, fetched_at=FETCHED)

    assert list(frame[COURSE_ID]) == [INDUCTION, "SQL110", "SQL110", "SQL110"]
    # a course the settings do not name may lack the final assessment: no score, no error
    assert frame[SCORE_KIND][0] == "none" and frame[MODULES_TOTAL][0] == 1


def test_since_is_sent_to_litmos(server):
    frame = source(server).fetch_completions(
        datetime(2026, 10, 1, 6, 30, tzinfo=UTC), fetched_at=FETCHED
    )

    assert list(frame[SOURCE_RECORD_ID]) == [f"{BO}:{SQL}", f"{CHIDI}:{SQL}"]
    details = [r for r in server.requests if r.path.endswith("/results/details")]
    assert {dict(r.query)["since"] for r in details} == {"2026-10-01 06:30:00"}
    # module results are read whole: Bo's module finished before `since` still counts
    assert frame[MODULES_COMPLETED].tolist() == [1, 3]
    modules = [r for r in server.requests if r.path.endswith("/org/modules/results")]
    assert all("since" not in dict(r.query) for r in modules)


def test_nothing_changed_asks_for_nothing_else(server):
    frame = source(server).fetch_completions(datetime(2026, 11, 28, tzinfo=UTC), fetched_at=FETCHED)

    assert frame.empty and tuple(frame.columns) == FRAME_COLUMNS
    assert [r.path.rsplit("/", 1)[-1] for r in server.requests] == [SQL, "details"]


def test_api_key_only_in_its_header_never_in_urls_logs_or_repr(server, caplog):
    caplog.set_level(logging.DEBUG)

    source(server).fetch_completions(None, fetched_at=FETCHED)

    assert all(KEY not in str(r.query) for r in server.requests)
    assert KEY not in caplog.text
    assert KEY not in repr(source(server))


def test_503_rate_limit_is_retried_with_backoff(server):
    waits = []
    server.throttle_next(2, after=2)

    frame = source(
        server, retry=RetryPolicy(sleep=waits.append, random=lambda: 0.5)
    ).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED
    assert waits == [0.5, 1.0]
    assert starts(server, "/results/details") == ["0", "2", "2", "2", "4"]


def test_503_that_persists_is_transient_and_quotes_litmos(server):
    server.throttle_next(10)

    with pytest.raises(SourceUnavailable, match="API rating limit has been exceeded") as caught:
        source(server, retry=RetryPolicy(max_attempts=2, sleep=lambda s: None)).fetch_completions(
            None, fetched_at=FETCHED
        )

    assert is_transient(caught.value)


def test_5xx_burst_while_paging_loses_and_repeats_nothing(server):
    server.fail_next(3, status=502, after=5)  # course, 3 result pages, 1st modules call pass

    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED
    assert starts(server, "/org/modules/results") == ["0", "0", "0", "0", "2", "4", "6", "8"]


def test_truncated_page_is_read_again(server):
    server.truncate_next(1, after=2)

    assert rows(source(server).fetch_completions(None, fetched_at=FETCHED)) == EXPECTED


def test_slow_answer_times_out_then_succeeds(server):
    server.delay_next(1, 0.5)

    assert rows(source(server, timeout=0.1).fetch_completions(None, fetched_at=FETCHED)) == EXPECTED


def test_bad_key_fails_fast_and_permanently(server):
    bad = LitmosSource("l", server.base_url + "/v1.svc", "wrong-key-000", retry=RetryPolicy())

    with pytest.raises(SourceAuthError, match="HTTP 401.*invalid API key") as caught:
        bad.fetch_completions(None, fetched_at=FETCHED)

    assert not is_transient(caught.value)
    assert len(server.requests) == 1
    assert "wrong-key-000" not in str(caught.value)


def test_expired_key_is_a_permanent_auth_error(server):
    server.expire_tokens()

    with pytest.raises(SourceAuthError):
        source(server).fetch_completions(None, fetched_at=FETCHED)


def test_unknown_course_fails_fast_naming_it(server):
    with pytest.raises(SourceConfigError, match="Litmos course NoSuchCourse: HTTP 404"):
        source(server, course_ids=["NoSuchCourse"]).fetch_completions(None, fetched_at=FETCHED)

    assert len(server.requests) == 1


def test_unknown_final_assessment_fails_fast_for_a_configured_course(server):
    with pytest.raises(SourceConfigError, match="no module 'Exam 9'"):
        source(server, final_assessment="Exam 9").fetch_completions(None, fetched_at=FETCHED)


def test_a_server_ignoring_start_is_a_paging_loop(server):
    server.ignore_start = True

    with pytest.raises(SourceError, match="paging loop: start=2 returned only items") as caught:
        source(server, retry=NO_RETRY).fetch_completions(None, fetched_at=FETCHED)

    assert not is_transient(caught.value)


def test_a_406_rejection_is_permanent():
    litmos = LitmosSource(
        "l",
        "https://api.litmos.test/v1.svc",
        KEY,
        retry=NO_RETRY,
        transport=httpx.MockTransport(lambda r: httpx.Response(406, text="Not Acceptable")),
    )

    with pytest.raises(SourceError, match="HTTP 406.*Not Acceptable") as caught:
        litmos.fetch_completions(None, fetched_at=FETCHED)

    assert not is_transient(caught.value)


def test_zone_less_and_wcf_dates_are_utc_and_bad_ones_parse_errors():
    results = [
        {"Id": "u1", "CourseId": "c1", "Complete": True, "CompletedDate": "2026-09-20T10:00:00.5"},
        {"Id": "u2", "CourseId": "c1", "Complete": True, "CompletedDate": "/Date(1790000000000)/"},
        {"Id": "u3", "CourseId": "c1", "Complete": True, "CompletedDate": "20/09/2026"},
    ]

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("results/details") and request.url.params["start"] == "0":
            return httpx.Response(200, json=results)
        return httpx.Response(200, json=[])

    litmos = LitmosSource(
        "l", "https://api.litmos.test/v1.svc", KEY, transport=httpx.MockTransport(answer)
    )

    frame = litmos.fetch_completions(None, fetched_at=FETCHED)

    assert frame[COMPLETED_AT].tolist()[:2] == [
        utc("2026-09-20T10:00:00.5"),
        utc("2026-09-21T14:13:20"),
    ]
    assert pd.isna(frame[COMPLETED_AT][2])
    assert frame[PARSE_ERRORS][2] == ("completed_at: '20/09/2026' is not a date",)


def test_options_are_bounded():
    with pytest.raises(ValueError, match="page_size"):
        LitmosSource("l", "https://x", KEY, page_size=1001)
    with pytest.raises(ValueError, match="source_app"):
        LitmosSource("l", "https://x", KEY, source_app="x" * 51)


def test_built_from_settings():
    settings = Settings(
        sources=[{"kind": "litmos", "name": "litmos", "api_key": "k-123", "course_ids": [SQL]}]
    )

    built = build_source(settings.sources[0])

    assert isinstance(built, LitmosSource)
    assert (built.base_url, built.source_app, built.page_size) == (
        "https://api.litmos.com/v1.svc",
        "badgeflow",
        1000,
    )
    assert "k-123" not in repr(settings)
