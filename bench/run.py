"""Throughput benchmarks: ``make bench`` (or ``python -m bench.run [--quick]``).

Each benchmark prints its throughput and, where there is a natural baseline, a ratio, and all
results go to ``bench/results/latest.json``. Nothing here is a test: speed targets are read
from these numbers, never asserted in timed tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import pandas as pd  # noqa: E402

from badgeflow.catalog import load_catalog  # noqa: E402
from badgeflow.contracts import load_suite, validate_completions  # noqa: E402
from badgeflow.credentials import Ed25519Signer, build_credential, issue  # noqa: E402
from badgeflow.credentials.fast import (  # noqa: E402
    BatchSigner,
    BatchVerifier,
)
from badgeflow.credentials.keys import did_document  # noqa: E402
from badgeflow.credentials.verify import verify_credential  # noqa: E402
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
    RECORD_KEY,
    ROW_NUMBER,
    SCORE,
    SCORE_KIND,
    SOURCE,
    SOURCE_RECORD_ID,
    SOURCE_SYSTEM,
)
from badgeflow.rules import evaluate  # noqa: E402
from bench import contracts_bench, e2e_bench, logs_bench, machine, mail_bench, site_bench  # noqa: E402
from bench.metrics_bench import describe as describe_metrics  # noqa: E402
from bench.metrics_bench import run as run_metrics  # noqa: E402
from bench.rules_bench import bench_rules_at_scale, report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
DID = "did:web:badges.example.org"
COURSES = ("DS101", "DS201", "DS301", "DS390", "SQL110", "PRV120")


def _rate(count: int, fn: Callable[[], object], *, repeat: int = 3) -> tuple[float, float]:
    """Run fn `repeat` times; return (items per second, median seconds per run)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    return count / median, median


def completions(n: int) -> pd.DataFrame:
    """A synthetic canonical completion frame of n rows across the catalog's courses."""
    rows = []
    for i in range(n):
        course = COURSES[i % len(COURSES)]
        rows.append(
            {
                SOURCE: "bench",
                SOURCE_SYSTEM: "csv",
                SOURCE_RECORD_ID: str(i),
                LEARNER_ID: str(i // 3),
                LEARNER_EMAIL: f"learner{i // 3}@example.com",
                LEARNER_NAME: f"Learner {i // 3}",
                COURSE_ID: course,
                COURSE_NAME: course,
                COMPLETED: True,
                COMPLETED_AT: AS_OF - timedelta(days=30 + (i * 7) % 400),
                SCORE: float(60 + i % 41),
                SCORE_KIND: "final_assessment",
                MODULES_COMPLETED: 6 - (i % 7 == 0),
                MODULES_TOTAL: 6,
                PROGRESS_PCT: 100.0,
                PARSE_ERRORS: (),
                RAW: {},
                FETCHED_AT: AS_OF,
                ROW_NUMBER: i + 1,
            }
        )
    frame = pd.DataFrame(rows)
    frame[COMPLETED_AT] = pd.to_datetime(frame[COMPLETED_AT], utc=True)
    frame[FETCHED_AT] = pd.to_datetime(frame[FETCHED_AT], utc=True)
    frame[COMPLETED] = frame[COMPLETED].astype("boolean")
    for column in (MODULES_COMPLETED, MODULES_TOTAL):
        frame[column] = frame[column].astype("Int64")
    frame[RECORD_KEY] = "bench:" + frame[SOURCE_RECORD_ID]
    return frame[[*COMPLETION_COLUMNS, ROW_NUMBER, PARSE_ERRORS, RECORD_KEY]]


def _unsigned(n: int) -> list[dict[str, object]]:
    catalog = load_catalog(ROOT / "badge_catalog")
    issuer = catalog.issuer_info(issuer_did=DID, site_base_url="https://badges.example.org")
    slugs = ("sql-essentials", "data-foundations", "data-privacy-basics")
    achievements = [
        catalog.achievement_info(slug, site_base_url="https://badges.example.org") for slug in slugs
    ]
    return [
        build_credential(
            credential_id=f"urn:uuid:00000000-0000-4000-8000-{i:012d}",
            issuer=issuer,
            achievement=achievements[i % len(achievements)],
            recipient_email=f"learner{i}@example.com",
            salt=f"{i:032x}",
            valid_from=AS_OF,
            valid_until=AS_OF + timedelta(days=365) if i % 2 else None,
            awarded_at=AS_OF - timedelta(days=i % 90),
            score=float(60 + i % 41) if i % 5 else None,
        )
        for i in range(n)
    ]


def bench_signing(n_reference: int, n_fast: int) -> dict[str, float]:
    """Sign and verify: the reference path (pyld per credential) vs the fast path (templates).

    Both run on the same mix of credentials (three achievements, with and without score and
    expiry); the fast path's output is checked byte for byte against the reference first.
    """
    signer = Ed25519Signer.from_seed(bytes(range(32)), f"{DID}#key-1")
    did_documents = {DID: did_document(DID, [("key-1", signer.public_key)])}
    unsigned = _unsigned(max(n_reference, n_fast))
    reference_docs = unsigned[:n_reference]

    def sign_reference() -> list[dict[str, object]]:
        return [issue(doc, signer, created=AS_OF) for doc in reference_docs]

    ref_rate, _ = _rate(n_reference, sign_reference, repeat=1)
    reference_signed = sign_reference()
    ref_verify_rate, _ = _rate(
        n_reference,
        lambda: [
            verify_credential(c, did_documents=did_documents, now=AS_OF) for c in reference_signed
        ],
        repeat=1,
    )
    # The process-wide template cache, as the pipeline would use it: pool workers fork warm.
    batch = BatchSigner(signer, created=AS_OF)
    warm_start = time.perf_counter()
    if batch.sign(reference_docs) != reference_signed:  # also compiles the shapes
        raise SystemExit("fast path differs from the reference path")
    compile_seconds = time.perf_counter() - warm_start
    fast_rate, _ = _rate(n_fast, lambda: batch.sign(unsigned), repeat=3)
    json_rate, _ = _rate(n_fast, lambda: batch.sign_json(unsigned), repeat=3)
    signed = batch.sign(unsigned)
    verifier = BatchVerifier(
        did_documents=did_documents, now=AS_OF, canonicalizer=batch.canonicalizer
    )
    fast_verify_rate, _ = _rate(n_fast, lambda: verifier.verify(signed), repeat=1)
    with ProcessPoolExecutor(max_workers=2) as pool:
        batch.sign_json(unsigned[:200], executor=pool, chunk_size=100)  # start the workers
        pool_rate, _ = _rate(n_fast, lambda: batch.sign_json(unsigned, executor=pool), repeat=3)
        pool_verify_rate, _ = _rate(n_fast, lambda: verifier.verify(signed, executor=pool))
    raw_rate, _ = _rate(n_fast, lambda: [signer.sign(b"x" * 64) for _ in range(n_fast)])
    return {
        "reference_n": n_reference,
        "fast_n": n_fast,
        "reference_sign_per_s": ref_rate,
        "fast_sign_per_s": fast_rate,
        "fast_sign_json_per_s": json_rate,
        "pool_sign_json_per_s": pool_rate,
        "fast_vs_reference": fast_rate / ref_rate,
        "best_vs_reference": max(fast_rate, pool_rate) / ref_rate,
        "reference_verify_per_s": ref_verify_rate,
        "best_verify_vs_reference": max(fast_verify_rate, pool_verify_rate) / ref_verify_rate,
        "fast_verify_per_s": fast_verify_rate,
        "pool_verify_per_s": pool_verify_rate,
        "compile_seconds": compile_seconds,
        "ed25519_only_per_s": raw_rate,
    }


def bench_rules(n: int) -> dict[str, float]:
    """Evaluate criteria and pathways over n completion rows."""
    catalog = load_catalog(ROOT / "badge_catalog")
    frame = completions(n)
    empty = pd.DataFrame(
        columns=[
            "award_key",
            "learner_email",
            "achievement_id",
            "awarded_at",
            "valid_from",
            "valid_until",
            "status",
        ]
    )
    rate, seconds = _rate(
        n, lambda: evaluate(frame, catalog, as_of=AS_OF, existing_awards=empty), repeat=1
    )
    return {"rows_per_s": rate, "seconds": seconds}


def bench_contract(n: int) -> dict[str, float]:
    """Validate n rows against the completion contract (great-expectations)."""
    suite = load_suite(ROOT / "data_contracts")
    frame = completions(n).drop(columns=[RECORD_KEY])
    validate_completions(frame.head(10), suite=suite, as_of=AS_OF)  # warm the GX context
    rate, seconds = _rate(n, lambda: validate_completions(frame, suite=suite, as_of=AS_OF))
    small_rate, small_seconds = _rate(
        10, lambda: validate_completions(frame.head(10), suite=suite, as_of=AS_OF)
    )
    return {
        "rows_per_s": rate,
        "seconds": seconds,
        "fixed_cost_seconds": small_seconds,
        "ratio_vs_10_rows": seconds / small_seconds,
    }


def main() -> None:
    """Run every benchmark and write bench/results/latest.json."""
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    args = parser.parse_args()
    sizes = (
        {"sign": 30, "fast": 1_000, "rules": 2_000, "contract": 2_000}
        if args.quick
        else {"sign": 300, "fast": 20_000, "rules": 30_000, "contract": 30_000}
    )
    results: dict[str, Any] = {
        "machine": machine.cpu(),
        "signing": bench_signing(sizes["sign"], sizes["fast"]),
        "rules": {"n": sizes["rules"], **bench_rules(sizes["rules"])},
        "contract": {"n": sizes["contract"], **bench_contract(sizes["contract"])},
        "rules_at_scale": bench_rules_at_scale(100_000 if args.quick else 1_000_000),
    }
    results["contracts_1m"] = contracts_bench.run(quick=args.quick)
    results["site"] = site_bench.run(1_000 if args.quick else 10_000)
    results["metrics"] = run_metrics(2_000 if args.quick else 100_000)
    results["logs_1m"] = logs_bench.run(quick=args.quick)
    results["mail"] = mail_bench.run(2_000 if args.quick else 100_000, connections=2)
    results["e2e"] = e2e_bench.run(3_000 if args.quick else 100_000)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    s, r, c = results["signing"], results["rules"], results["contract"]
    print(
        f"signing   reference {s['reference_sign_per_s']:8.1f}/s ({s['reference_n']})   "
        f"fast {s['fast_sign_per_s']:8.0f}/s ({s['fast_n']}, 1 process)   "
        f"{s['fast_vs_reference']:.0f}x"
    )
    print(
        f"          fast + JSON {s['fast_sign_json_per_s']:6.0f}/s   "
        f"process pool (2) + JSON {s['pool_sign_json_per_s']:6.0f}/s   "
        f"best {s['best_vs_reference']:.0f}x the reference; shapes compiled in "
        f"{s['compile_seconds']:.2f} s"
    )
    print(
        f"verify    reference {s['reference_verify_per_s']:8.1f}/s   "
        f"fast {s['fast_verify_per_s']:8.0f}/s   "
        f"process pool (2) {s['pool_verify_per_s']:6.0f}/s   "
        f"best {s['best_verify_vs_reference']:.0f}x the reference"
    )
    print(f"ed25519   {s['ed25519_only_per_s']:8.0f} signatures/s (the floor of any signing path)")
    print(f"rules     {r['rows_per_s']:8.0f} rows/s ({r['n']} rows in {r['seconds']:.2f} s)")
    print(
        f"contract  {c['rows_per_s']:8.0f} rows/s ({c['n']} rows in {c['seconds']:.2f} s; "
        f"fixed cost {c['fixed_cost_seconds']:.2f} s, {c['ratio_vs_10_rows']:.1f}x the 10-row time)"
    )
    print(contracts_bench.describe(results["contracts_1m"]))
    print(report(results["rules_at_scale"]))
    print(site_bench.describe(results["site"]))
    print(describe_metrics(results["metrics"]))
    print(logs_bench.describe(results["logs_1m"]))
    print(mail_bench.describe(results["mail"]))
    print(e2e_bench.describe(results["e2e"]))
    print(f"written to {out / 'latest.json'}")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory():
        main()
