"""The issue stage alone: CPU per credential (this process and its signing workers), profiled.

``python -m bench.issue_bench [--n N] [--chunk-size C] [--sign-processes P] [--profile]``
builds a fresh SQLite store with N synthetic awards (the end-to-end benchmark's three
single-course badges, with and without score and expiry), then issues them as the nightly
flow's issue stage does (`pending_award_ids`, then `issue_credentials` per chunk) with the
bench's settings (one revocation status entry, data-integrity only). CPU is
`resource.getrusage` of this process plus its reaped children (the signing pool is shut
down before the children are read, so its workers' start-up counts too). With
``--profile`` the parent's cProfile (top functions by cumulative time) is printed as well.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from badgeflow import store
from badgeflow.cli import _init
from badgeflow.credentials.pool import shutdown_pools
from badgeflow.demo import demo_csv_path
from badgeflow.models import AWARD_COLUMNS
from badgeflow.pipeline import Runtime, issue_credentials, pending_award_ids
from badgeflow.settings import Settings
from bench.e2e_bench import settings_from, store_toml

AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SLUGS = ("data-foundations", "sql-essentials", "data-privacy-basics")


def _settings(root: Path, chunk: int, procs: int) -> Settings:
    config = root / "badgeflow.toml"
    config.write_text(
        store_toml(root)
        + f'''
[issuance]
chunk_size = {chunk}
sign_processes = {procs}

[[sources]]
name = "export"
kind = "csv"
path = "{demo_csv_path()}"
''',
        encoding="utf-8",
    )
    return settings_from(config)


def _awards(n: int) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for i in range(n):
        slug = SLUGS[i % len(SLUGS)]
        awarded = AS_OF - timedelta(days=i % 300, minutes=i)
        rows.append(
            {
                "award_key": f"bench:{i}:{slug}",
                "learner_email": f"learner{i // 3}@bench.example.org",
                "learner_name": f"Learner {i // 3}",
                "achievement_id": slug,
                "awarded_at": awarded,
                "valid_from": awarded,
                "valid_until": awarded + timedelta(days=730) if i % 2 else None,
                "score": float(70 + i % 31) if slug == "sql-essentials" else None,
                "evidence_record_ids": (f"export:{i}",),
            }
        )
    return pd.DataFrame(rows, columns=list(AWARD_COLUMNS))


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def run(
    n: int, chunk: int, procs: int, *, profile: bool = False, memory: bool = False
) -> dict[str, Any]:
    """Issue N synthetic awards in chunks; return CPU and wall figures (and the profile text).

    With ``memory``, tracemalloc's peak of the issuing (this process only; slower) is added.
    """
    with tempfile.TemporaryDirectory(prefix="issue-bench-") as tmp:
        settings = _settings(Path(tmp), chunk, procs)
        _init(settings)
        runtime = Runtime(settings)
        with runtime.sessions.begin() as session:
            store.start_batch(session, batch_id="bench", as_of=AS_OF, started_at=AS_OF)
            store.insert_awards(session, _awards(n), batch_id="bench")
        _ = runtime.signer, runtime.issuer, runtime.catalog  # keys read once per process anyway
        profiler = cProfile.Profile(time.process_time) if profile else None
        own0, kids0 = _cpu()
        wall0 = time.perf_counter()
        if memory:
            tracemalloc.start()
        if profiler:
            profiler.enable()
        pending = pending_award_ids(runtime)
        issued = 0
        for start in range(0, len(pending), chunk):
            ids = pending[start : start + chunk]
            issued += issue_credentials(runtime, ids, batch_id="bench", issued_at=AS_OF)
        if profiler:
            profiler.disable()
        traced = tracemalloc.get_traced_memory()[1] / 2**20 if memory else None
        tracemalloc.stop()
        wall = time.perf_counter() - wall0
        shutdown_pools()
        own1, kids1 = _cpu()
        runtime.engine.dispose()
    own, kids = own1 - own0, kids1 - kids0
    result: dict[str, Any] = {
        "n": n,
        "issued": issued,
        "chunk_size": chunk,
        "sign_processes": procs,
        "wall_s": round(wall, 2),
        "cpu_self_s": round(own, 2),
        "cpu_children_s": round(kids, 2),
        "ms_per_credential": round(1000 * (own + kids) / max(issued, 1), 3),
    }
    if traced is not None:
        result["traced_peak_mb"] = round(traced, 1)
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(
            os.environ.get("PROFILE_SORT", "cumulative")
        ).print_stats(40)
        result["profile"] = out.getvalue()
    return result


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--chunk-size", type=int, default=500)
    parser.add_argument("--sign-processes", type=int, default=2)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--memory", action="store_true", help="tracemalloc's peak while issuing")
    args = parser.parse_args(argv)
    result = run(
        args.n, args.chunk_size, args.sign_processes, profile=args.profile, memory=args.memory
    )
    profile = result.pop("profile", None)
    if profile:
        print(profile)
    print(result)


if __name__ == "__main__":
    main()
