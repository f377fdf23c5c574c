"""Moodle and TalentLMS with several per-learner calls in flight read what one at a time reads."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from badgeflow.errors import SourceAuthError, SourceConfigError
from badgeflow.fakelms._server import FakeRequest, FakeResponse
from badgeflow.fakelms.moodle import FakeMoodle, MoodleDataset
from badgeflow.fakelms.talentlms import FakeTalentLMS
from badgeflow.lms import MoodleSource, TalentLMSSource, build_source
from badgeflow.lms._http import RetryPolicy
from badgeflow.settings import MoodleSourceSettings, TalentLMSSourceSettings
from bench.e2e_data import build_datasets

AS_OF = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
MOODLE_SIMPLE = Path(__file__).parents[2] / "fixtures" / "lms" / "moodle" / "simple.json"
NO_WAIT = RetryPolicy(sleep=lambda s: None)


@pytest.fixture(scope="module")
def datasets() -> dict[str, Any]:
    found, _ = build_datasets(2400, AS_OF)  # ~120 TalentLMS rows, ~48 Moodle rows
    return found


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b)  # every column, the raw payloads included


def talent(url: str, concurrency: int) -> TalentLMSSource:
    return TalentLMSSource(
        "t", url, "k", final_assessment="Final test", concurrency=concurrency, retry=NO_WAIT
    )


def moodle(url: str, concurrency: int, token: str = "m") -> MoodleSource:
    return MoodleSource(
        "m", url, token, final_assessment="final-exam", concurrency=concurrency, retry=NO_WAIT
    )


@pytest.mark.parametrize("since", [None, AS_OF - timedelta(days=120)])
def test_talentlms_rows_are_the_same_one_or_six_at_a_time(datasets, since):
    with FakeTalentLMS(datasets["talentlms"], "k") as server:
        one = talent(server.base_url, 1).fetch_completions(since, fetched_at=AS_OF)
        six = talent(server.base_url, 6).fetch_completions(since, fetched_at=AS_OF)
    assert len(one) > 20
    same(six, one)


@pytest.mark.parametrize("since", [None, AS_OF - timedelta(days=120)])
def test_moodle_rows_are_the_same_one_or_six_at_a_time(datasets, since):
    with FakeMoodle(datasets["moodle"], "m") as server:
        one = moodle(server.base_url, 1).fetch_completions(since, fetched_at=AS_OF)
        six = moodle(server.base_url, 6).fetch_completions(since, fetched_at=AS_OF)
    assert len(one) > 10
    same(six, one)


def test_moodle_skips_courses_without_criteria_and_users_not_enrolled_as_before(caplog):
    caplog.set_level(logging.WARNING, logger="badgeflow.lms.moodle")
    with FakeMoodle(MoodleDataset.load(MOODLE_SIMPLE), "m") as server:
        one = moodle(server.base_url, 1).fetch_completions(None, fetched_at=AS_OF)
        warned_one = sorted(r.getMessage() for r in caplog.records)
        caplog.clear()
        four = moodle(server.base_url, 4).fetch_completions(None, fetched_at=AS_OF)
        warned_four = sorted(r.getMessage() for r in caplog.records)
    same(four, one)
    assert warned_four == warned_one
    assert any("no completion criteria" in w for w in warned_four)
    assert any("is not enrolled" in w for w in warned_four)


def test_talentlms_throttling_under_concurrency_is_retried_without_losing_rows(datasets):
    # Five throttled answers go to whichever calls are in flight; one call may draw them
    # all, so each call may make six requests (with four, drawing four would rightly raise).
    patient = RetryPolicy(max_attempts=6, sleep=lambda s: None)
    with FakeTalentLMS(datasets["talentlms"], "k") as server:
        one = talent(server.base_url, 1).fetch_completions(None, fetched_at=AS_OF)
        requests_one = len(server.requests)
        server.throttle_next(5, after=6)
        source = TalentLMSSource(
            "t", server.base_url, "k", final_assessment="Final test", concurrency=4, retry=patient
        )
        four = source.fetch_completions(None, fetched_at=AS_OF)
        requests_four = len(server.requests) - requests_one
    same(four, one)
    assert requests_four == requests_one + 5  # every throttled request was made again


class _FailingTalentLMS(FakeTalentLMS):
    """Refuses two learners' status: the earlier one slowly, the later one at once."""

    def __init__(self, *args: Any, slow: int, fast: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slow, self.fast = str(slow), str(fast)

    def handle(self, request: FakeRequest) -> FakeResponse:
        if f"user_id:{self.slow}" in request.path:
            time.sleep(0.05)
            return FakeResponse.json({"error": {"type": "api_error", "message": "slow"}}, 404)
        if f"user_id:{self.fast}" in request.path:
            return FakeResponse.json({"error": {"type": "api_error", "message": "fast"}}, 401)
        return super().handle(request)


def test_an_error_fails_the_source_with_the_error_one_at_a_time_gives(datasets):
    learners = sorted(e.user_id for e in datasets["talentlms"].enrollments)
    slow, fast = learners[3], learners[5]
    errors = []
    for concurrency in (1, 4):
        with _FailingTalentLMS(datasets["talentlms"], "k", slow=slow, fast=fast) as server:
            with pytest.raises((SourceConfigError, SourceAuthError)) as caught:
                talent(server.base_url, concurrency).fetch_completions(None, fetched_at=AS_OF)
            errors.append((type(caught.value), str(caught.value)))
    assert errors[0] == errors[1]
    assert errors[0][0] is SourceConfigError and "slow" in errors[0][1]


def test_settings_choose_the_concurrency_four_by_default():
    common = {"name": "s", "base_url": "https://lms.test"}
    moodle_source = build_source(MoodleSourceSettings(**common, token="t"))
    talent_source = build_source(TalentLMSSourceSettings(**common, api_key="k", concurrency=2))
    assert isinstance(moodle_source, MoodleSource) and moodle_source.concurrency == 4
    assert isinstance(talent_source, TalentLMSSource) and talent_source.concurrency == 2


@pytest.mark.parametrize("cls", [MoodleSource, TalentLMSSource])
def test_concurrency_must_be_positive(cls):
    with pytest.raises(ValueError, match="concurrency"):
        cls("s", "https://lms.test", "t", concurrency=0)
