"""The ingest/evaluate benchmark still runs (at toy size); no figure is asserted."""

from __future__ import annotations

import pytest

from bench import ingest_bench


@pytest.mark.slow  # a child process serving the fake LMSs, and GX's import
def test_the_ingest_benchmark_reads_every_source_and_evaluates():
    figures = ingest_bench.run(120)
    steps = figures["steps"]
    assert [f"ingest {s}" for s in ingest_bench.SOURCES] == [k for k in steps if "ingest" in k]
    assert sum(steps[f"ingest {s}"]["rows"] for s in ingest_bench.SOURCES) == 120
    assert steps["evaluate"]["rows"] == 120 and steps["evaluate"]["cpu"] > 0
    assert "ingest/evaluate, 120 completions" in ingest_bench.describe(figures)
