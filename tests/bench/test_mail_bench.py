"""The mail benchmark runs at toy size: every email reaches the sink once (no figure asserted)."""

from __future__ import annotations

import pytest

from bench import mail_bench


@pytest.mark.slow  # a child process for the SMTP sink, a migrated database: several seconds
def test_the_mail_benchmark_sends_each_email_once_over_two_connections(tmp_path):
    # run() raises SystemExit unless the sink got n messages with n distinct Message-IDs.
    figures = mail_bench.run(12, tmp_path, connections=2)
    assert (figures["n"], figures["connections"], figures["failed"]) == (12, 2, 0)
    assert figures["bytes_per_message"] > 10_000  # text, HTML, badge, logo and baked PNG
    assert "award emails over 2 SMTP connection(s)" in mail_bench.describe(figures)


@pytest.mark.slow  # two spawned send workers besides the sink: several seconds
def test_the_mail_benchmark_sends_each_email_once_from_two_processes(tmp_path):
    figures = mail_bench.run(120, tmp_path, connections=2, processes=2, sink_kind="block")
    assert (figures["processes"], figures["failed"]) == (2, 0)
    assert figures["workers_cpu_seconds"] > 0  # the workers did the sending
    assert "award emails from 2 processes" in mail_bench.describe(figures)
