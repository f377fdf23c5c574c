"""The nightly flow sending its emails from worker processes (``mail.send_processes = 2``).

The demo's queue is small, so the test lowers the per-process minimum to let two processes
share each chunk; the workers are spawned from the Prefect task's thread, as in production.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from badgeflow.demo import demo_dataset_path
from badgeflow.fakelms.moodle import FakeMoodle, MoodleDataset
from badgeflow.pipeline import _send_procs
from tests.demo_env import initialise, settings_from, write_config

pytestmark = pytest.mark.slow

AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_two_send_processes_email_every_credential_once_and_stop_with_the_stage(
    prefect_harness, tmp_path, monkeypatch
):
    from flows.nightly_issuance import nightly_issuance
    from tasks._settings import get_settings

    started: list[int] = []
    spawn = _send_procs.spawn_pool

    def counting_spawn(workers, **kwargs):
        started.append(workers)
        return spawn(workers, **kwargs)

    # The demo has tens of emails, not the hundreds a process is worth.
    monkeypatch.setattr(_send_procs, "MIN_PER_PROCESS", 1)
    monkeypatch.setattr(_send_procs, "spawn_pool", counting_spawn)
    with FakeMoodle(MoodleDataset.load(demo_dataset_path()), token="demo-token") as moodle:
        config = write_config(tmp_path, moodle.base_url)
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace("[mail]\n", "[mail]\nsend_processes = 2\n", 1))
        settings = settings_from(config)
        assert settings.mail.send_processes == 2
        initialise(settings)
        monkeypatch.setenv("BADGEFLOW_CONFIG", str(config))
        get_settings.cache_clear()
        try:
            summary = nightly_issuance(as_of=AS_OF)
        finally:
            get_settings.cache_clear()
    assert started == [2]  # one pool for the stage
    assert _send_procs._pools == {}  # shut down when the stage ended
    assert summary["emails_sent"] == summary["credentials_issued"] > 0
    emails = sorted(settings.mail.outbox_dir.glob("*.eml"))
    assert len(emails) == summary["emails_sent"]
    ids = {
        str(message_from_bytes(p.read_bytes(), policy=policy.default)["Message-ID"]) for p in emails
    }
    assert len(ids) == len(emails)
