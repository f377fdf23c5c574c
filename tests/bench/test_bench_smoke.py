"""The benchmarks still run (at toy sizes): `make bench` must not be the first to find out.

No figure is asserted here (speed is measured in `bench/`, never in tests); only that each
benchmark completes and reports the figures its summary line prints.
"""

from __future__ import annotations

from bench import contracts_bench, site_bench
from bench.rules_bench import bench_rules_at_scale, report


def test_the_rules_benchmark_runs_and_agrees_with_the_oracle():
    # It raises SystemExit when the vectorised evaluator and the oracle disagree.
    figures = bench_rules_at_scale(2_000, sample=500)
    assert figures["n"] == 2_000 and figures["achievements"] == 50
    assert "rules x50" in report(figures)


def test_the_contracts_benchmark_runs():
    figures = contracts_bench.run(quick=True)
    assert figures["canonical_n"] == 20_000
    assert "contracts canonical" in contracts_bench.describe(figures)


def test_the_site_benchmark_runs_and_rewrites_only_what_a_revocation_changes(tmp_path):
    figures = site_bench.run(20, tmp_path)
    assert figures["files"] == figures["full_files_written"] == figures["rebuild_files_written"]
    assert figures["files"] == 20 * 4 + 15  # page, JSON, PNG, SVG each; 15 for the rest of the site
    assert figures["noop_files_written"] == 0
    assert figures["revoke_files_written"] == 2  # the credential's page and the status list
    assert "re-publish after 1 revocation" in site_bench.describe(figures)
