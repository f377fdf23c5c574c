"""Ingest and evaluate benchmark: the nightly batch's first two stages, in-process, CPU-timed.

``python -m bench.ingest_bench [--n 5000] [--profile 25]``. The four fake LMS servers of the
end-to-end benchmark (`bench.e2e_data`) run in a child process, so their CPU is counted apart
from ours (each stage's share is the child's CPU during it). This process then does what the
flow's tasks do, without Prefect: `ingest_source` per source on a fresh SQLite store, the
batch's contract reports, and `evaluate_awards`. Figures are CPU milliseconds per completion
row read; with ``--profile`` the top functions by cumulative time are printed per step.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import multiprocessing as mp
import os
import pstats
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack, redirect_stdout
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

from bench.e2e_bench import AS_OF, _config, settings_from
from bench.e2e_data import build_datasets

T = TypeVar("T")
_SORT = ["cumulative"]
SOURCES = ("canvas", "talentlms", "docebo", "moodle")


def _serve(n: int, conn: Connection) -> None:
    """Child process: build the datasets, serve them, report CPU on each request."""
    from badgeflow.fakelms.canvas import FakeCanvas
    from badgeflow.fakelms.docebo import FakeDocebo
    from badgeflow.fakelms.moodle import FakeMoodle
    from badgeflow.fakelms.talentlms import FakeTalentLMS

    datasets, mix = build_datasets(n, AS_OF)
    servers = {
        "canvas": FakeCanvas(datasets["canvas"], "bench-canvas"),
        "talentlms": FakeTalentLMS(datasets["talentlms"], "bench-talentlms"),
        "docebo": FakeDocebo(datasets["docebo"], client_id="bench", client_secret="bench-secret"),
        "moodle": FakeMoodle(datasets["moodle"], "bench-moodle"),
    }
    with ExitStack() as stack:
        urls = {name: stack.enter_context(s).base_url for name, s in servers.items()}
        conn.send((urls, dict(mix.rows)))
        while conn.recv() != "stop":
            conn.send(time.process_time())
        conn.send(time.process_time())


class _Servers:
    def __init__(self, n: int) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(n, child), daemon=True)
        self.proc.start()
        self.urls, self.rows = self.conn.recv()

    def cpu(self) -> float:
        self.conn.send("cpu")
        return float(self.conn.recv())

    def stop(self) -> None:
        self.conn.send("stop")
        self.conn.recv()
        self.proc.join(timeout=30)


def _timed(
    label: str, servers: _Servers, profile: int, fn: Callable[[], T]
) -> tuple[T, float, float, float]:
    server_before, before, started = servers.cpu(), time.process_time(), time.perf_counter()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    result = fn()
    if profiler:
        profiler.disable()
    ours, theirs = time.process_time() - before, servers.cpu() - server_before
    wall = time.perf_counter() - started
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(_SORT[0]).print_stats(profile)
        print(f"--- profile: {label} ---\n{out.getvalue()}")
    return result, ours, theirs, wall


def run(n: int, *, profile: int = 0) -> dict[str, Any]:
    """Ingest the four sources and evaluate the batch; return CPU seconds per step.

    Args:
        n: completion rows over the four sources.
        profile: print this many top functions (cumulative) per step; 0 for none.

    Returns:
        Rows and CPU seconds (ours and the fake servers') per step.
    """
    from badgeflow import store
    from badgeflow.cli import _init
    from badgeflow.contracts import load_suite
    from badgeflow.pipeline import evaluate_awards, ingest_source, runtime_for
    from badgeflow.reports import build_batch_reports

    servers = _Servers(n)
    steps: dict[str, dict[str, float]] = {}
    batch_id = "00000000-0000-4000-8000-000000000001"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            config = _config(root, servers.urls, 2525, 250, 1, True)
            settings = settings_from(config)
            with redirect_stdout(io.StringIO()):
                _init(settings)
            runtime = runtime_for(settings)
            contracts_dir = settings.contracts_dir
            with runtime.sessions.begin() as session:
                now = datetime.now(UTC)
                store.start_batch(session, batch_id=batch_id, as_of=AS_OF, started_at=now)
            # Once per process in the flow too: the catalog, and GX's import (seconds of CPU).
            _, ours, theirs, wall = _timed(
                "setup", servers, profile, lambda: (runtime.catalog, load_suite(contracts_dir))
            )
            steps["setup (once)"] = {"rows": 0, "cpu": ours, "server": theirs, "wall": wall}
            for name in SOURCES:
                result, ours, theirs, wall = _timed(
                    f"ingest {name}",
                    servers,
                    profile,
                    lambda name=name: ingest_source(  # type: ignore[misc]
                        runtime, name, batch_id=batch_id, as_of=AS_OF, full_resync=False
                    ),
                )
                steps[f"ingest {name}"] = {
                    "rows": result.rows_read,
                    "cpu": ours,
                    "server": theirs,
                    "wall": wall,
                }
            rows = sum(int(s["rows"]) for s in steps.values())
            _, ours, theirs, wall = _timed(
                "reports",
                servers,
                profile,
                lambda: build_batch_reports(
                    runtime.sessions,
                    settings.var_dir,
                    batch_id,
                    max_rows=settings.contracts.report_rows,
                    summary={"batch_id": batch_id},
                ),
            )
            steps["reports"] = {"rows": rows, "cpu": ours, "server": theirs, "wall": wall}
            _, ours, theirs, wall = _timed(
                "evaluate",
                servers,
                profile,
                lambda: evaluate_awards(runtime, batch_id=batch_id, as_of=AS_OF),
            )
            steps["evaluate"] = {"rows": rows, "cpu": ours, "server": theirs, "wall": wall}
            runtime.engine.dispose()
    finally:
        servers.stop()
    return {"n": n, "steps": steps}


def describe(f: dict[str, Any]) -> str:
    """The figures as lines of ms per completion row (the one-off setup apart)."""
    lines = [f"ingest/evaluate, {f['n']} completions (CPU: ours, and the fake servers'; wall)"]
    total_ours = total_theirs = total_wall = 0.0
    for label, s in f["steps"].items():
        if not s["rows"]:
            lines.append(f"  {label:<18} {'':>7}       {s['cpu']:7.2f} s  (fixed, per process)")
            continue
        rows = int(s["rows"])
        total_ours += s["cpu"]
        total_theirs += s["server"]
        total_wall += s["wall"]
        lines.append(
            f"  {label:<18} {rows:>7} rows  {s['cpu']:7.2f} s  {1000 * s['cpu'] / rows:6.3f} ms/row"
            f"  server {1000 * s['server'] / rows:6.3f} ms/row  wall {s['wall']:6.2f} s"
        )
    rows = max(int(f["n"]), 1)
    lines.append(
        f"  {'total (no setup)':<18} {rows:>7} rows  {total_ours:7.2f} s  "
        f"{1000 * total_ours / rows:6.3f} ms/row  server {1000 * total_theirs / rows:6.3f} ms/row"
        f"  wall {total_wall:6.2f} s"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_bench")
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--profile", type=int, default=0, help="top functions per step")
    parser.add_argument("--sort", default="cumulative", help="pstats order: cumulative, tottime")
    args = parser.parse_args(argv)
    _SORT[0] = args.sort
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    print(describe(run(args.n, profile=args.profile)))


if __name__ == "__main__":
    main()
