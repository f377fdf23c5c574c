"""The benchmarks still run (at toy sizes): `make bench` must not be the first to find out.

No figure is asserted here (speed is measured in `bench/`, never in tests); only that each
benchmark completes and reports the figures its summary line prints.
"""

from __future__ import annotations

import pytest

from badgeflow.site.layout import SHARE_CHANNELS
from bench import contracts_bench, logs_bench, site_bench
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
    # Each credential: page, JSON, PNG, SVG, share page, a redirect page per channel, and the
    # accept and accepted pages; plus the files of the rest of the site.
    per_credential = 4 + 1 + len(SHARE_CHANNELS) + 2
    rest = site_bench.run(1, tmp_path)["files"] - per_credential
    assert figures["files"] == 20 * per_credential + rest
    assert figures["noop_files_written"] == 0
    # The credential's page, its accept and accepted pages (they say revoked), the status list.
    assert figures["revoke_files_written"] == 4
    assert "re-publish after 1 revocation" in site_bench.describe(figures)


def test_the_access_log_benchmark_runs_and_its_three_ways_agree():
    figures = logs_bench.run(n=3_000)
    assert figures["lines"] == 3_000
    # One process, two processes and the full poll store the same (visitor, page, day) rows.
    assert figures["rows"] == figures["parallel_rows"] == figures["poll_hits_new"] > 0
    assert "full poll into SQLite" in logs_bench.describe(figures)


@pytest.mark.slow  # a fresh store, key and schema: a few seconds
def test_the_issue_benchmark_issues_every_award():
    from bench import issue_bench

    figures = issue_bench.run(12, 5, 1)
    assert figures["issued"] == 12 and figures["ms_per_credential"] > 0
