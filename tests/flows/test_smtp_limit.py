"""The ``send-emails`` task and the ``badgeflow-smtp`` concurrency limit, on a real Prefect API.

With the limit defined, a chunk takes its slots (and too few slots is a configuration error
that says what to change); without it, the task asks Prefect for nothing, once per flow run.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from badgeflow.errors import ConfigurationError
from tests.demo_env import initialise, settings_from, write_config

pytestmark = pytest.mark.slow

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture
def smtp_config(tmp_path, monkeypatch):
    """A store configured for SMTP with two connections (nothing is queued, nothing is sent)."""
    from tasks._settings import get_settings

    config = write_config(tmp_path, "http://127.0.0.1:9")  # no source is read here
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace(
            "[mail]\n",
            '[mail]\ntransport = "smtp"\nsmtp_host = "127.0.0.1"\nsmtp_port = 9\n'
            "smtp_connections = 2\n",
            1,
        ),
        encoding="utf-8",
    )
    initialise(settings_from(config))
    monkeypatch.setenv("BADGEFLOW_CONFIG", str(config))
    get_settings.cache_clear()
    yield config
    get_settings.cache_clear()


@pytest.fixture
def no_smtp_limit(prefect_harness):
    """No ``badgeflow-smtp`` limit during the test (one another test made is put back after)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectNotFound

    from tasks.notify import SMTP_LIMIT

    with get_client(sync_client=True) as client:
        try:
            existing = client.read_global_concurrency_limit_by_name(SMTP_LIMIT)
            client.delete_global_concurrency_limit_by_name(SMTP_LIMIT)
        except ObjectNotFound:
            existing = None
    yield
    with get_client(sync_client=True) as client:
        try:
            client.delete_global_concurrency_limit_by_name(SMTP_LIMIT)
        except ObjectNotFound:
            pass
        if existing is not None:
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name=SMTP_LIMIT, limit=existing.limit)
            )


@pytest.fixture
def smtp_limit(no_smtp_limit):
    """Create ``badgeflow-smtp`` with a given number of slots (removed after the test)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    from tasks.notify import SMTP_LIMIT

    def create(slots: int) -> None:
        with get_client(sync_client=True) as client:
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name=SMTP_LIMIT, limit=slots)
            )

    return create


def _send_twice() -> list[int]:
    """A flow that sends two (empty) chunks; returns how many were sent."""
    from prefect import flow

    from tasks.notify import send_chunk

    @flow(name="send-two-chunks")
    def send_two() -> list[int]:
        return [send_chunk([], NOW, first_id=0, count=0).sent for _ in range(2)]

    return send_two()


def test_without_the_limit_no_slots_are_asked_for_and_prefect_is_asked_once(
    smtp_config, no_smtp_limit, monkeypatch
):
    import tasks.notify as notify_tasks

    clients: list[bool] = []
    taken: list[int] = []
    real_client = notify_tasks.get_client

    def counting_client(sync_client: bool):
        clients.append(sync_client)
        return real_client(sync_client=sync_client)

    monkeypatch.setattr(notify_tasks, "get_client", counting_client)
    monkeypatch.setattr(notify_tasks, "concurrency", lambda *a, **k: taken.append(k["occupy"]))
    assert _send_twice() == [0, 0]
    assert taken == []  # no slots asked for
    assert clients == [True]  # the limit looked up once for the run's two chunks


def test_with_the_limit_a_chunk_takes_its_connections_slots(smtp_config, smtp_limit, monkeypatch):
    import tasks.notify as notify_tasks

    smtp_limit(5)
    taken: list[int] = []
    real = notify_tasks.concurrency

    def counting(names, occupy, strict):
        taken.append(occupy)
        return real(names, occupy=occupy, strict=strict)

    monkeypatch.setattr(notify_tasks, "concurrency", counting)
    assert _send_twice() == [0, 0]
    assert taken == [2, 2]


def test_a_limit_smaller_than_the_connections_says_what_to_change(smtp_config, smtp_limit):
    smtp_limit(1)
    with pytest.raises(ConfigurationError, match="badgeflow-smtp.*--limit 2"):
        _send_twice()
