from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pandas as pd
import pytest

from badgeflow.errors import SourceAuthError, SourceError, SourceUnavailable, is_transient
from badgeflow.fakelms.lrs import FakeLRS, LrsDataset
from badgeflow.lms import CompletionSource, XapiSource, build_source
from badgeflow.lms._frame import FRAME_COLUMNS
from badgeflow.lms._http import NO_RETRY, RetryPolicy
from badgeflow.lms.xapi import classify_xapi
from badgeflow.models import (
    COMPLETED,
    COMPLETED_AT,
    COURSE_ID,
    COURSE_NAME,
    LEARNER_EMAIL,
    LEARNER_ID,
    PARSE_ERRORS,
    ROW_NUMBER,
    SCORE,
    SCORE_KIND,
    SOURCE_RECORD_ID,
    SOURCE_SYSTEM,
)
from badgeflow.settings import XapiSourceSettings

DATASET = Path(__file__).parents[2] / "fixtures" / "lms" / "xapi" / "simple.json"
KEY, SECRET = "badgeflow-reader", "lrs-secret-0123456789abcdef"
FETCHED = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
DS101 = "https://courses.example.com/xapi/ds101"
DS201 = "https://courses.example.com/xapi/ds201"
ACTIVITIES = {DS101: "DS101", DS201: "DS201"}
CHECKED = [SOURCE_RECORD_ID, LEARNER_ID, LEARNER_EMAIL, COURSE_ID, COMPLETED, COMPLETED_AT, SCORE,
           SCORE_KIND]  # fmt: skip


def sid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


EXPECTED = [
    (sid(1), "amelia.hart@example.com", "amelia.hart@example.com", "DS101", True,
     utc("2026-09-14T10:00"), 82.0, "course_total"),
    (sid(2), "https://lms.example.com::u-1002", None, "DS101", True, utc("2026-09-20T07:59"),
     90.0, "course_total"),
    (sid(3), "chidi.okafor@example.com", "chidi.okafor@example.com", "DS201", False, None, 40.0,
     "final_assessment"),
    (sid(4), "chidi.okafor@example.com", "chidi.okafor@example.com", "DS201", True,
     utc("2026-10-03T08:58"), 91.0, "final_assessment"),
    (sid(5), "mbox_sha1sum:be85bede05fafd090bd43bc60166b276e9597ffb", None, "DS101", True,
     utc("2026-10-10T12:00"), None, "none"),
    # timestamp after stored (client clock ahead): capped at stored
    (sid(9), "fay.ortiz@example.com", "fay.ortiz@example.com", "DS101", True,
     utc("2026-11-20T16:45:00.500"), 70.0, "final_assessment"),
    # voided before it was ever read: returned as not completed, never counts
    (sid(10), "gus.pryce@example.com", "gus.pryce@example.com", "DS101", False, None, None,
     "none"),
]  # fmt: skip


@pytest.fixture
def server():
    with FakeLRS(LrsDataset.load(DATASET), key=KEY, secret=SECRET) as server:
        yield server


def source(server, **options) -> XapiSource:
    options.setdefault("activities", ACTIVITIES)
    options.setdefault("limit", 2)
    options.setdefault("timeout", 5.0)
    options.setdefault("retry", RetryPolicy(sleep=lambda s: None))
    secret = options.pop("secret", SECRET)
    return XapiSource("lrs-main", server.endpoint, KEY, secret, **options)


def rows(frame: pd.DataFrame) -> list[tuple]:
    return [
        tuple(None if not isinstance(v, str) and pd.isna(v) else v for v in row)
        for row in frame[CHECKED].itertuples(index=False)
    ]


def more_requests(server) -> int:
    return sum(1 for r in server.requests if any(k == "more" for k, _ in r.query))


def test_is_a_completion_source(server):
    assert isinstance(source(server), CompletionSource)


def test_one_row_per_completion_statement_across_more_pages(server):
    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    assert tuple(frame.columns) == FRAME_COLUMNS
    assert rows(frame) == EXPECTED
    assert set(frame[SOURCE_SYSTEM]) == {"xapi"}
    assert list(frame[ROW_NUMBER]) == list(range(1, 8))
    assert frame[COURSE_NAME].tolist()[:3] == ["Data Foundations"] * 2 + ["Applied Data Analysis"]
    # 4 completed statements at 2 a page: `more` was followed (resolved against the
    # endpoint's host, not appended to its /xapi/ path) until it came back empty
    assert more_requests(server) >= 2
    assert {r.path for r in server.requests} == {"/xapi/statements"}
    assert all("x-experience-api-version" in r.header_names for r in server.requests)
    verbs = [dict(r.query).get("verb", "").rsplit("/", 1)[-1] for r in server.requests]
    assert {"completed", "passed", "failed", "voided"} <= set(verbs)
    assert "experienced" not in verbs


def test_actors_without_mbox_are_kept_with_a_parse_error(server):
    frame = source(server).fetch_completions(None, fetched_at=FETCHED)

    errors = dict(zip(frame[SOURCE_RECORD_ID], frame[PARSE_ERRORS], strict=True))
    assert errors[sid(1)] == ()
    assert errors[sid(2)][0].startswith("learner_email: the actor has no mbox")
    assert "https://lms.example.com::u-1002" in errors[sid(2)][0]
    assert "identity.mapping_file" in errors[sid(5)][0]


def test_since_is_sent_to_the_lrs_and_filters_on_stored(server):
    since = datetime(2026, 10, 2, tzinfo=UTC)

    frame = source(server).fetch_completions(since, fetched_at=FETCHED)

    assert frame[SOURCE_RECORD_ID].tolist() == [sid(4), sid(5), sid(9), sid(10)]
    firsts = [dict(r.query) for r in server.requests if "verb" in dict(r.query)]
    assert {q["since"] for q in firsts} == {"2026-10-02T00:00:00Z"}


def test_a_statement_voided_after_it_was_read_comes_back_not_completed(server):
    first = source(server).fetch_completions(None, fetched_at=FETCHED)
    assert first.set_index(SOURCE_RECORD_ID).loc[sid(1), COMPLETED]
    voiding = {
        "id": sid(99),
        "actor": {"objectType": "Agent", "mbox": "mailto:admin@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": sid(1)},
        "stored": "2026-11-30T10:00:00Z",
    }
    server.dataset = LrsDataset(statements=[*server.dataset.statements, voiding])

    again = source(server).fetch_completions(datetime(2026, 11, 29, tzinfo=UTC), fetched_at=FETCHED)

    assert rows(again)[0][:5] == (sid(1), "amelia.hart@example.com", "amelia.hart@example.com",
                                  "DS101", False)  # fmt: skip
    assert again[SOURCE_RECORD_ID].tolist() == [sid(1)]


def test_unmapped_activities_are_skipped_and_reported_once_each(server, caplog):
    with caplog.at_level(logging.WARNING, logger="badgeflow.lms.xapi"):
        frame = source(server, activities={DS201: "DS201"}).fetch_completions(
            None, fetched_at=FETCHED
        )

    assert set(frame[COURSE_ID]) == {"DS201"}
    skipped = [r.getMessage() for r in caplog.records]
    assert len(skipped) == 3  # DS101, its module-1, onboarding: one line each
    assert any(f"5 statement(s) about activity {DS101} skipped" in m for m in skipped)
    assert any("2 statement(s) about activity " + DS101 + "/module-1" in m for m in skipped)


@pytest.mark.parametrize(
    "fault",
    [
        lambda s: s.throttle_next(2),
        lambda s: s.fail_next(2, status=503),
        lambda s: s.fail_next(1, status=502, after=1),
        lambda s: s.truncate_next(1, after=1),
    ],
    ids=["throttle-429", "503-burst", "502-mid-paging", "truncated-page"],
)
def test_transient_faults_are_retried_with_no_row_lost_or_duplicated(server, fault):
    waits: list[float] = []
    fault(server)

    frame = source(
        server, retry=RetryPolicy(sleep=waits.append, random=lambda: 0.5)
    ).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED
    assert waits


def test_throttling_waits_the_retry_after(server):
    waits: list[float] = []
    server.throttle_next(2)

    source(server, retry=RetryPolicy(sleep=waits.append)).fetch_completions(
        None, fetched_at=FETCHED
    )

    assert waits == [1.0, 1.0]


def test_a_slow_lrs_is_retried_after_the_timeout(server):
    server.delay_next(1, 0.5)

    frame = source(server, timeout=0.1).fetch_completions(None, fetched_at=FETCHED)

    assert rows(frame) == EXPECTED


def test_a_persistent_outage_gives_up_as_source_unavailable(server):
    server.fail_next(10, status=503)

    with pytest.raises(SourceUnavailable) as raised:
        source(server, retry=RetryPolicy(max_attempts=3, sleep=lambda s: None)).fetch_completions(
            None, fetched_at=FETCHED
        )

    assert is_transient(raised.value)
    assert len(server.requests) == 3


@pytest.mark.parametrize("expire", [False, True], ids=["wrong-secret", "revoked"])
def test_bad_credentials_fail_at_once_as_auth_errors(server, expire):
    if expire:
        server.expire_tokens()
    secret = SECRET if expire else "wrong-secret-value"

    with pytest.raises(SourceAuthError, match="HTTP 401") as raised:
        source(server, secret=secret).fetch_completions(None, fetched_at=FETCHED)

    assert len(server.requests) == 1
    assert SECRET not in str(raised.value)


def test_a_wrong_endpoint_fails_at_once(server):
    wrong = XapiSource("lrs-main", server.base_url, KEY, SECRET, activities=ACTIVITIES)

    with pytest.raises(SourceError, match="HTTP 404") as raised:
        wrong.fetch_completions(None, fetched_at=FETCHED)

    assert not is_transient(raised.value)


def test_a_refused_query_names_the_lrs_message():
    request = httpx.Request("GET", "https://lrs.example.com/xapi/statements?since=x")
    response = httpx.Response(400, json={"message": "'x' is not a timestamp"}, request=request)

    error = classify_xapi(response, "LRS statements")

    assert type(error) is SourceError
    assert "'x' is not a timestamp" in str(error)
    assert classify_xapi(httpx.Response(429, request=request), "x").__class__ is SourceUnavailable


def test_a_paging_loop_is_refused(server):
    server.loop_paging = True

    with pytest.raises(SourceError, match="paging loop"):
        source(server, retry=NO_RETRY).fetch_completions(None, fetched_at=FETCHED)


def test_the_secret_never_shows(server, caplog):
    server.fail_next(1)
    with caplog.at_level(logging.DEBUG):
        built = source(server)
        built.fetch_completions(None, fetched_at=FETCHED)

    assert SECRET not in caplog.text and SECRET not in repr(built)
    assert all(SECRET not in str(r.query) for r in server.requests)


def test_settings_build_the_source(server):
    settings = XapiSourceSettings(
        name="lrs-main", base_url=server.endpoint, key=KEY, secret=SECRET, activities=ACTIVITIES
    )

    built = build_source(settings)

    assert isinstance(built, XapiSource)
    assert built.activities == ACTIVITIES
    assert SECRET not in repr(settings)
    assert len(built.fetch_completions(None, fetched_at=FETCHED)) == len(EXPECTED)
