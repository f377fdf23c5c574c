"""The end-to-end benchmark still runs (at toy size): the real nightly flow, start to finish.

No figure is asserted (speed is read from `make bench`); only that the batch completes, every
row is accounted for, and every credential's email reaches the SMTP server.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bench import e2e_bench
from bench.e2e_data import SHARES, build_datasets


def test_the_data_spreads_over_the_vendors_with_a_mix_of_outcomes():
    datasets, mix = build_datasets(3_000, datetime(2026, 11, 29, tzinfo=UTC))
    assert set(datasets) == set(SHARES) and sum(mix.rows.values()) == 3_000
    assert mix.completed + mix.in_progress + mix.bad == 3_000
    assert mix.completed > 0.8 * 3_000 and mix.in_progress > 0 and mix.bad > 0
    assert build_datasets(3_000, datetime(2026, 11, 29, tzinfo=UTC))[1] == mix  # seeded


@pytest.mark.slow  # a Prefect ephemeral server and a flow run in a child process
def test_the_end_to_end_benchmark_runs_a_batch_to_the_end(tmp_path):
    figures = e2e_bench.run(120, chunk_size=25, sign_processes=2, work_dir=tmp_path / "run")
    rows = figures["rows"]
    assert figures["status"] == "succeeded"
    assert rows["completions"] + rows["quarantined_rows"] == 120
    assert rows["quarantined_rows"] == figures["mix"]["bad"]
    assert 0 < rows["credentials"] <= rows["awards"]
    assert figures["smtp_received"] == figures["emails_sent"] == rows["credentials"]
    assert set(figures["stage_seconds"]) == set(e2e_bench.STAGES)
    assert figures["peak_rss_tree_mb"] >= figures["peak_rss_flow_mb"] > 0
    assert "e2e       120 completions" in e2e_bench.describe(figures)
