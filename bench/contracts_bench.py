"""Data contract throughput: the canonical suite over 1,000,000 rows, and an export suite.

``python -m bench.contracts_bench [--quick]`` runs it alone; ``bench/run.py`` calls `run`.
Rows are synthetic with one defective row in a hundred (bad email, score out of range,
completion in the future), so the quarantine path is measured too. Peak RSS is the
process's high-water mark after each stage (`resource.getrusage`), not a per-stage delta.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from badgeflow.contracts import load_suite, validate_completions  # noqa: E402
from badgeflow.contracts_export import load_export_suite, screen_export  # noqa: E402
from badgeflow.lms.exports import PROFILES, Table  # noqa: E402
from badgeflow.models import (  # noqa: E402
    COMPLETED,
    COMPLETED_AT,
    COMPLETION_COLUMNS,
    COURSE_ID,
    COURSE_NAME,
    FETCHED_AT,
    LEARNER_EMAIL,
    LEARNER_ID,
    LEARNER_NAME,
    MODULES_COMPLETED,
    MODULES_TOTAL,
    PARSE_ERRORS,
    PROGRESS_PCT,
    RAW,
    ROW_NUMBER,
    SCORE,
    SCORE_KIND,
    SOURCE,
    SOURCE_RECORD_ID,
    SOURCE_SYSTEM,
)

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = ROOT / "data_contracts"
AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
COURSES = np.array(["DS101", "DS201", "DS301", "DS390", "SQL110", "PRV120"], dtype=object)
DEFECT_EVERY = 100
T = TypeVar("T")


def canonical_rows(n: int) -> pd.DataFrame:
    """n canonical completion rows, built column-wise; every 100th row breaks one rule."""
    i = np.arange(n)
    learner = (i // 3).astype(str).astype(object)
    email = "learner" + learner + "@example.com"
    score = (60 + i % 41).astype("float64")
    completed_at = pd.Timestamp(AS_OF) - pd.to_timedelta(30 + (i * 7) % 400, unit="D")
    bad = i % DEFECT_EVERY == 7
    kind = (i // DEFECT_EVERY) % 3
    email = np.where(bad & (kind == 0), "learner(at)example.com", email)
    score = np.where(bad & (kind == 1), 140.0, score)
    completed_at = completed_at.where(~(bad & (kind == 2)), pd.Timestamp(AS_OF) + timedelta(days=3))
    frame = pd.DataFrame(
        {
            SOURCE: "bench",
            SOURCE_SYSTEM: "csv",
            SOURCE_RECORD_ID: i.astype(str).astype(object),
            LEARNER_ID: learner,
            LEARNER_EMAIL: email,
            LEARNER_NAME: "Learner " + learner,
            COURSE_ID: COURSES[i % len(COURSES)],
            COURSE_NAME: COURSES[i % len(COURSES)],
            COMPLETED: pd.array(np.ones(n, dtype=bool), dtype="boolean"),
            COMPLETED_AT: completed_at,
            SCORE: score,
            SCORE_KIND: "final_assessment",
            MODULES_COMPLETED: pd.array(6 - (i % 7 == 0), dtype="Int64"),
            MODULES_TOTAL: pd.array(np.full(n, 6), dtype="Int64"),
            PROGRESS_PCT: 100.0,
            FETCHED_AT: pd.Timestamp(AS_OF),
            RAW: None,
            ROW_NUMBER: i + 1,
            PARSE_ERRORS: [()] * n,
        }
    )
    return frame[[*COMPLETION_COLUMNS, ROW_NUMBER, PARSE_ERRORS]]


def talentlms_table(n: int) -> Table:
    """A raw TalentLMS report of n rows; every 100th row has an unreadable cell."""
    header = ("User", "Email", "Course", "Completion status", "Completion date", "Score")
    rows = []
    for i in range(n):
        bad = i % DEFECT_EVERY == 7
        rows.append(
            (
                i + 2,
                (
                    f"Learner {i}",
                    f"learner{i}(at)example.com" if bad else f"learner{i}@example.com",
                    COURSES[i % len(COURSES)],
                    "Completed",
                    f"{1 + i % 28:02d}/{1 + i % 12:02d}/2026, 16:41:00",
                    f"{60 + i % 41}.00%",
                ),
            )
        )
    return Table("utf-8", ",", header, 1, tuple(rows))


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def _canonical(n: int) -> dict[str, float]:
    suite = load_suite(CONTRACTS)
    validate_completions(canonical_rows(10), suite=suite, as_of=AS_OF)  # warm GX up
    frame, build_seconds = _timed(lambda: canonical_rows(n))
    rss_frame = _peak_rss_mb()
    report, seconds = _timed(lambda: validate_completions(frame, suite=suite, as_of=AS_OF))
    return {
        "canonical_n": n,
        "canonical_rows_per_s": n / seconds,
        "canonical_seconds": seconds,
        "canonical_quarantined": len(report.quarantined),
        "canonical_build_seconds": build_seconds,
        "peak_rss_mb_after_frame": rss_frame,
        "peak_rss_mb_after_canonical": _peak_rss_mb(),
    }


def _export(n: int) -> dict[str, float]:
    talentlms = PROFILES["talentlms"]
    suite = load_export_suite(CONTRACTS, talentlms)
    table = talentlms_table(n)
    screen, seconds = _timed(lambda: screen_export(table, talentlms, suite, source="bench"))
    return {
        "export_n": n,
        "export_rows_per_s": n / seconds,
        "export_seconds": seconds,
        "export_quarantined": len(screen.quarantined),
    }


def run(*, quick: bool = False) -> dict[str, float]:
    """Measure both suites; return rows/s, seconds, quarantined counts and peak RSS."""
    n_canonical, n_export = (20_000, 5_000) if quick else (1_000_000, 200_000)
    return {**_canonical(n_canonical), **_export(n_export), "peak_rss_mb": _peak_rss_mb()}


def describe(r: dict[str, float]) -> str:
    """Two lines for ``make bench``."""
    return (
        f"contracts canonical {r['canonical_rows_per_s']:8.0f} rows/s "
        f"({r['canonical_n']:.0f} rows in {r['canonical_seconds']:.1f} s, "
        f"{r['canonical_quarantined']:.0f} quarantined)   peak RSS {r['peak_rss_mb']:.0f} MB\n"
        f"          export talentlms {r['export_rows_per_s']:6.0f} rows/s "
        f"({r['export_n']:.0f} rows in {r['export_seconds']:.1f} s, "
        f"{r['export_quarantined']:.0f} quarantined)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.contracts_bench")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    result = run(quick=parser.parse_args().quick)
    print(describe(result))
    print(json.dumps(result, indent=2))
