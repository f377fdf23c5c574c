"""Sending a chunk from worker processes (``mail.send_processes``): same emails, same rows.

The process tests start real workers (spawned, a few seconds of imports each) and send to a
real aiosmtpd server on loopback: they are marked slow.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select

from badgeflow import store
from badgeflow.errors import DeliveryError
from badgeflow.pipeline import Runtime, _send_procs, enqueue_emails, pending_email_ids, send_emails
from badgeflow.pipeline._send_procs import process_shares, shutdown_send_pools
from badgeflow.settings import Settings
from badgeflow.store.schema import EmailOutbox
from bench.mail_bench import AS_OF, populate
from bench.mail_bench import _settings as bench_settings
from tests.badgeflow.notify.smtp_servers import Handler, Servers, free_port

N = 120


def _with_mail(settings: Settings, **mail: object) -> Settings:
    return settings.model_copy(update={"mail": settings.mail.model_copy(update=mail)})


def _plain(tmp_path: Path, url: str = "sqlite:///x.db", **mail: object) -> Settings:
    return _with_mail(
        Settings(var_dir=tmp_path, database={"url": url}, site={"base_url": "https://x.org"}),
        **mail,
    )


@pytest.mark.parametrize(
    ("processes", "connections", "count", "expected"),
    [
        (1, 4, 10_000, []),  # the in-process path
        (2, 1, 99, []),  # too small to share: 49 + 50
        (2, 1, 100, [1, 1]),  # each process at least one connection
        (2, 5, 1_000, [3, 2]),  # the total shared out
        (3, 2, 1_000, [1, 1, 1]),
        (4, 8, 120, [4, 4]),  # 2 processes of 60, not 4 of 30
    ],
)
def test_process_shares(tmp_path, processes, connections, count, expected):
    settings = _plain(tmp_path, send_processes=processes, smtp_connections=connections)
    assert process_shares(settings, count) == expected


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite:///file:x?mode=memory"])
def test_an_in_memory_database_is_sent_from_this_process(tmp_path, url):
    settings = _plain(tmp_path, url, send_processes=4)
    assert process_shares(settings, 10_000) == []


def test_workers_share_the_rate_and_the_connections(tmp_path):
    settings = _plain(tmp_path, send_processes=2, smtp_connections=3, smtp_max_per_minute=600)
    worker = _send_procs._worker_settings(settings, 2, 2)
    assert worker.mail.smtp_max_per_minute == 300
    assert (worker.mail.smtp_connections, worker.mail.send_processes) == (2, 1)
    unlimited = _send_procs._worker_settings(_plain(tmp_path, send_processes=2), 1, 2)
    assert unlimited.mail.smtp_max_per_minute is None


@pytest.fixture
def smtp_server():
    servers = Servers()
    handler = Handler()
    controller = servers.start(handler, data_size_limit=0)
    yield handler, controller.port
    servers.stop()
    shutdown_send_pools()


def _queue(root: Path, port: int, n: int = N) -> Runtime:
    settings = bench_settings(root, port, 2)
    engine = store.make_engine(settings.database.url)
    store.migrate(engine)
    engine.dispose()
    runtime = Runtime(settings)
    populate(runtime, n, root / "baked")
    assert enqueue_emails(runtime) == n
    return runtime


def _rows(runtime: Runtime) -> list[tuple[object, ...]]:
    with runtime.sessions() as session:
        return [
            (r.id, r.status, r.message_id, r.subject, r.attempts, r.sent_at, r.last_error)
            for r in session.scalars(select(EmailOutbox).order_by(EmailOutbox.id))
        ]


def _by_message_id(received: list[bytes]) -> dict[str, bytes]:
    """Each message by its Message-ID, without the Date line the session adds at send time."""
    found = {}
    for raw in received:
        message_id = str(message_from_bytes(raw, policy=policy.default)["Message-ID"])
        lines = raw.split(b"\r\n")
        found[message_id] = b"\r\n".join(x for x in lines if not x.startswith(b"Date: "))
    assert len(found) == len(received)
    return found


def _send_all(runtime: Runtime, processes: int, **mail: object):
    settings = _with_mail(runtime.settings, send_processes=processes, **mail)
    sender = Runtime(settings)
    try:
        ids = pending_email_ids(sender, now=AS_OF)
        return send_emails(sender, ids, now=AS_OF)
    finally:
        sender.engine.dispose()


@pytest.mark.slow
def test_two_processes_send_the_same_bytes_and_rows_as_one(tmp_path, smtp_server):
    handler, port = smtp_server
    one = _queue(tmp_path / "one", port)
    result_one = _send_all(one, 1)
    received_one = list(handler.received)
    handler.received.clear()
    two = _queue(tmp_path / "two", port)
    result_two = _send_all(two, 2, smtp_connections=3)
    assert result_one == result_two
    assert (result_two.sent, result_two.failed) == (N, 0)
    assert _by_message_id(received_one) == _by_message_id(handler.received)
    assert _rows(one) == _rows(two)
    assert {row[1] for row in _rows(two)} == {"sent"}
    one.engine.dispose()
    two.engine.dispose()


@pytest.mark.slow
def test_a_killed_worker_raises_and_its_wave_is_resent_after_the_lease(tmp_path, smtp_server):
    handler, port = smtp_server
    runtime = _queue(tmp_path, port)
    original = handler.handle_DATA

    async def kill_at_the_30th(server, session, envelope):
        if handler.data_seen == 29:  # the 30th message: kill every worker before answering
            for process in list(_send_procs._pools[2]._processes.values()):  # noqa: SLF001
                os.kill(process.pid, signal.SIGKILL)
        return await original(server, session, envelope)

    handler.handle_DATA = kill_at_the_30th
    with pytest.raises(DeliveryError, match="send worker process died"):
        _send_all(runtime, 2)
    assert _send_procs._pools == {}  # the broken pool is gone; the next chunk starts anew
    handler.handle_DATA = original
    after_crash = Counter(row[1] for row in _rows(runtime))
    assert after_crash["sending"] > 0 and after_crash["sent"] == 0  # nothing recorded yet
    assert sum(after_crash.values()) == N
    sending = {row[2] for row in _rows(runtime) if row[1] == "sending"}
    # The next run, once the lease is over, sends every row left: none is lost.
    later = AS_OF + timedelta(minutes=runtime.settings.mail.send_lease_minutes + 1)
    sender = Runtime(runtime.settings)
    result = send_emails(sender, pending_email_ids(sender, now=later), now=later)
    sender.engine.dispose()
    assert result.sent == N
    assert {row[1] for row in _rows(runtime)} == {"sent"}
    counts = Counter(
        str(message_from_bytes(raw, policy=policy.default)["Message-ID"])
        for raw in handler.received
    )
    assert set(counts) == {row[2] for row in _rows(runtime)}  # every email arrived
    doubled = {message_id for message_id, count in counts.items() if count > 1}
    assert doubled <= sending and max(counts.values()) == 2  # only the crash's, recognisably
    assert result.resent == len(sending)
    runtime.engine.dispose()


@pytest.mark.slow
def test_an_error_in_a_worker_is_raised_and_nothing_is_lost_or_doubled(tmp_path, smtp_server):
    handler, port = smtp_server
    runtime = _queue(tmp_path, port)
    with runtime.sessions() as session:
        items = store.emails_to_send(session, pending_email_ids(runtime), now=AS_OF)
    broken = items[N - 10]  # in the second process's part, its last wave
    moved = Path(broken.baked_path).rename(Path(broken.baked_path).with_suffix(".gone"))
    with pytest.raises(FileNotFoundError):
        _send_all(runtime, 2)
    statuses = Counter(row[1] for row in _rows(runtime))
    assert statuses["sending"] == 0  # what was not attempted was given back
    assert statuses["sent"] == len(handler.received) < N
    moved.rename(broken.baked_path)
    result = _send_all(runtime, 2)
    assert result.sent == N - statuses["sent"]
    assert {row[1] for row in _rows(runtime)} == {"sent"}
    assert len(_by_message_id(handler.received)) == N  # each exactly once
    runtime.engine.dispose()


@pytest.mark.slow
def test_workers_keep_the_pilot_the_unreachable_server_and_a_refused_transport(
    tmp_path, smtp_server
):
    handler, port = smtp_server
    runtime = _queue(tmp_path, port)
    statuses = lambda: Counter(row[1] for row in _rows(runtime))  # noqa: E731
    # No STARTTLS offered: the transport cannot be used; raised, nothing claimed.
    with pytest.raises(DeliveryError):
        _send_all(runtime, 2, smtp_security="starttls")
    assert statuses() == {"pending": N}
    # Nobody listening: every part stays queued, counted deferred.
    result = _send_all(runtime, 2, smtp_port=free_port())
    assert (result.sent, result.deferred) == (0, N)
    assert statuses() == {"pending": N}
    # Pilot mode: the parts hold what the pilot does not allow, and send the rest.
    pilot = [f"learner{i}@example.com" for i in range(0, N, 3)]
    result = _send_all(runtime, 2, pilot_recipients=pilot)
    assert (result.sent, result.held) == (len(pilot), N - len(pilot))
    assert statuses() == {"sent": len(pilot), "held": N - len(pilot)}
    assert len(handler.received) == len(pilot)
    runtime.engine.dispose()
