"""The publish stage alone, from a real store: CPU, wall and memory of `publish_site`.

``python -m bench.publish_bench [--n N] [--store DIR] [--profile] [--memory]`` issues N
synthetic awards into a fresh SQLite store (as `bench.issue_bench` does; with ``--store`` the
store is kept in DIR and reused by the next run with the same N), then publishes the site
as the nightly flow's publish stage does (`badgeflow.pipeline.publish_site`, the bench's
settings: OB 2.0 hosted copies on, as by default) into a fresh folder. Figures: wall and CPU
seconds of this process and of its (reaped) worker processes, CPU ms per credential, the
peak RSS of this process, the time before the first credential page is reported, and with
``--profile`` the top of the publishing process's cProfile; with ``--memory``,
tracemalloc's peak (slower) and its top allocation sites at the peak.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import io
import os
import pstats
import resource
import shutil
import subprocess
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from badgeflow import store
from badgeflow.cli import _init
from badgeflow.credentials.pool import shutdown_pools
from badgeflow.pipeline import Runtime, issue_credentials, pending_award_ids, publish_site
from bench import machine
from bench.issue_bench import AS_OF, _awards, _settings


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def _system_cpu() -> float:
    """Kernel CPU seconds of this process and its reaped children (file-system work)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_stime + kids.ru_stime


def _issued_store(root: Path, n: int) -> Runtime:
    settings = _settings(root, 1000, 2)
    marker = root / f"issued-{n}"
    runtime = Runtime(settings)
    if marker.exists():
        return runtime
    _init(settings)
    with runtime.sessions.begin() as session:
        store.start_batch(session, batch_id="bench", as_of=AS_OF, started_at=AS_OF)
        store.insert_awards(session, _awards(n), batch_id="bench")
    pending = pending_award_ids(runtime)
    for start in range(0, len(pending), 1000):
        issue_credentials(runtime, pending[start : start + 1000], batch_id="bench", issued_at=AS_OF)
    shutdown_pools()
    marker.touch()
    return runtime


def run(
    n: int, root: Path, *, profile: bool = False, memory: bool = False, gc_stats: bool = False
) -> dict[str, Any]:
    """Publish the site of N issued credentials from the store in ``root``; return figures."""
    runtime = _issued_store(root, n)
    site = runtime.settings.site.output_dir
    if site.exists():
        shutil.rmtree(site)
    for stale in site.parent.glob(f".{site.name}*"):
        if stale.is_dir():
            shutil.rmtree(stale)
        else:
            stale.unlink()
    _ = runtime.issuer, runtime.catalog
    first: list[float] = []
    wall0 = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if not first:
            first.append(time.perf_counter() - wall0)

    gc_time = [0.0, 0, 0.0]
    started: list[float] = []

    def gc_callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(time.process_time())
        elif started:
            spent = time.process_time() - started.pop()
            gc_time[0] += spent
            gc_time[1] += 1
            if info["generation"] == 2:
                gc_time[2] += spent

    if gc_stats:
        gc.callbacks.append(gc_callback)
    profiler = cProfile.Profile(time.process_time) if profile else None
    if memory:
        tracemalloc.start()
    own0, kids0 = _cpu()
    system0 = _system_cpu()
    wall0 = time.perf_counter()
    if profiler:
        profiler.enable()
    report = publish_site(runtime, generated_at=AS_OF, on_progress=progress)
    if profiler:
        profiler.disable()
    wall = time.perf_counter() - wall0
    own1, kids1 = _cpu()
    system1 = _system_cpu()
    if gc_stats:
        gc.callbacks.remove(gc_callback)
    result: dict[str, Any] = {
        "n": n,
        "credentials": report.credentials_published,
        "files": report.files_written,
        "wall_s": round(wall, 2),
        "first_page_s": round(first[0], 2) if first else None,
        "cpu_self_s": round(own1 - own0, 2),
        "cpu_workers_s": round(kids1 - kids0, 2),
        "ms_per_credential": round(
            1000 * (own1 - own0 + kids1 - kids0) / max(report.credentials_published, 1), 3
        ),
        "cpu_system_s": round(system1 - system0, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    if gc_stats:
        result["gc_cpu_s"] = round(gc_time[0], 2)
        result["gc_collections"] = gc_time[1]
        result["gc_full_cpu_s"] = round(gc_time[2], 2)
        result["gc_tracked_objects"] = len(gc.get_objects())
    if memory:
        snapshot = tracemalloc.take_snapshot()
        result["traced_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
        top = snapshot.statistics("lineno")[:15]
        result["traced_top"] = "\n".join(str(s) for s in top)
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(
            os.environ.get("PROFILE_SORT", "tottime")
        ).print_stats(45)
        result["profile"] = out.getvalue()
    runtime.engine.dispose()
    return result


def tree_digests(root: Path) -> str:
    """One line per file under ``root``: its relative path and SHA-256, sorted by path."""
    lines = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{path.relative_to(root)} {digest}\n")
    return "".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--store", type=Path, default=None, help="keep the store here (reused)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--memory", action="store_true", help="tracemalloc (slower)")
    parser.add_argument("--gc", action="store_true", help="time the cyclic GC")
    parser.add_argument(
        "--in-process", action="store_true", help="render here, no workers (to profile them)"
    )
    parser.add_argument("--digests", type=Path, default=None, help="write every file's digest")
    args = parser.parse_args(argv)
    if args.in_process:
        from badgeflow.site import _credential_run

        _credential_run.default_processes = lambda to_render: 1
    if args.store is not None:
        args.store.mkdir(parents=True, exist_ok=True)
        result = run(args.n, args.store, profile=args.profile, memory=args.memory, gc_stats=args.gc)
        site = Path(args.store) / "var" / "site"
        if args.digests is not None:
            args.digests.write_text(tree_digests(site), encoding="utf-8")
        if site.exists():  # delete the big tree in the background
            moved = site.with_name(f"trash-{time.time_ns()}")
            site.rename(moved)
            subprocess.Popen(["rm", "-rf", str(moved)])
    else:
        with tempfile.TemporaryDirectory(prefix="publish-bench-") as tmp:
            result = run(
                args.n, Path(tmp), profile=args.profile, memory=args.memory, gc_stats=args.gc
            )
    for key in ("profile", "traced_top"):
        text = result.pop(key, None)
        if text:
            print(text)
    print(result)
    if args.store is not None and (line := machine.fs_note(args.store)):
        print(line)


if __name__ == "__main__":
    main()
