"""Transient failures retry with backoff; permanent ones fail at once (the nightly tasks)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from badgeflow.errors import (
    BatchHalted,
    ConfigurationError,
    CredentialError,
    DeliveryUnavailable,
    SourceAuthError,
    SourceUnavailable,
)
from tasks import batches, credentials, lms, site
from tasks._retry import is_database_blip, retry_if_transient


class FailedState:
    """A failed task state: `result()` re-raises the task's error, as Prefect's does."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def result(self) -> object:
        raise self.exc


def _locked() -> OperationalError:
    return OperationalError("UPDATE batches", {}, sqlite3.OperationalError("database is locked"))


@pytest.mark.parametrize(
    ("exc", "retried"),
    [
        (SourceUnavailable("503 from Moodle"), True),
        (DeliveryUnavailable("421 try later"), True),
        (_locked(), True),
        (SourceAuthError("401: check the token"), False),
        (ConfigurationError("no source named 'x'"), False),
        (BatchHalted("12% of rows failed the contract"), False),
        (CredentialError("cannot sign"), False),
        (IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE")), False),
        (RuntimeError("bug"), False),
    ],
)
def test_only_transient_failures_are_retried(exc, retried):
    assert retry_if_transient(None, None, FailedState(exc)) is retried  # type: ignore[arg-type]
    assert is_database_blip(exc) is (isinstance(exc, OperationalError))


NIGHTLY_RETRIED = [lms.ingest, credentials.issue_chunk, site.publish, batches.claim_batch]


@pytest.mark.parametrize("task", NIGHTLY_RETRIED, ids=lambda t: t.name)
def test_retried_nightly_tasks_back_off_and_retry_only_transient_failures(task):
    delays = list(task.retry_delay_seconds)
    assert task.retries == len(delays) >= 2
    assert delays == sorted(delays) and delays[0] > 0 and delays[-1] >= 5 * delays[0]
    assert task.retry_jitter_factor
    assert task.retry_condition_fn is retry_if_transient
