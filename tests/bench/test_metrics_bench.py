"""The metrics benchmark runs at toy size (no figure is asserted)."""

from __future__ import annotations

from bench import metrics_bench


def test_the_metrics_benchmark_runs(tmp_path):
    figures = metrics_bench.run(40, tmp_path)
    assert figures["recomputed_after_100_hits"] == 40  # a new hit on each of the 40
    assert figures["export_files"] == 28
    assert "40 credentials" in metrics_bench.describe(figures)
