"""Rules benchmark at scale: 1,000,000 completion rows against 50 achievements with pathways.

``python -m bench.rules_bench [--rows N]`` (also called by ``make bench``). The catalog has
ten four-tier ladders (prerequisites, k of n, any of, holding periods, an assessment or a
manager's sign-off, an expiring top tier) and ten stand-alone badges (expiring compliance
badges, cohort-gated ones, one with `Not`); half the ladders suspend their tiers when a
prerequisite expires. It also times the old row-by-row evaluator (kept as the tests' oracle)
against the new one on a 30,000-row sample of the old-syntax catalog.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from badgeflow.catalog import Achievement, Catalog, IssuerProfile, Pathway, load_catalog
from badgeflow.criteria import (
    AllOf,
    AnyOf,
    AssessmentPassed,
    AtLeast,
    Attested,
    Clause,
    CourseCompleted,
    HoldsBadge,
    InCohort,
    Not,
)
from badgeflow.models import (
    ATTESTATION_COLUMNS,
    AWARD_COLUMNS,
    COHORT_COLUMNS,
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
    PROGRESS_PCT,
    RAW,
    RECORD_KEY,
    SCORE,
    SCORE_KIND,
    SOURCE,
    SOURCE_RECORD_ID,
    SOURCE_SYSTEM,
)
from badgeflow.rules import evaluate

ROOT = Path(__file__).resolve().parents[1]
AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
COURSES = tuple(f"C{i:02d}" for i in range(60))
COHORTS = ("spring", "autumn", "apprentices", "staff", "partners")
DAY_US = 86_400_000_000


def bench_catalog() -> Catalog:
    """Fifty achievements: ten four-tier ladders and ten stand-alone badges."""
    rules: dict[str, Clause] = {}
    expiring: dict[str, int] = {}
    pathways = {}
    for i in range(10):
        c = [COURSES[(6 * i + j) % 60] for j in range(6)]
        t = [f"l{i}-t{k}" for k in range(1, 5)]
        rules[t[0]] = CourseCompleted(c[0])
        rules[t[1]] = AllOf((HoldsBadge(t[0]), CourseCompleted(c[1], min_score=70)))
        rules[t[2]] = AllOf(
            (HoldsBadge(t[1]), AtLeast(2, tuple(CourseCompleted(x) for x in c[2:5])))
        )
        rules[t[3]] = AllOf(
            (
                HoldsBadge(t[2]),
                HoldsBadge(t[1], for_days=180),
                AnyOf((AssessmentPassed(c[5], pass_mark=75), Attested("manager-signoff"))),
            )
        )
        expiring[t[3]] = 730
        if i % 3 == 0:
            expiring[t[0]] = 365
        policy: Literal["keep", "suspend"] = "suspend" if i % 2 else "keep"
        pathways[f"ladder-{i}"] = Pathway.model_construct(
            slug=f"ladder-{i}",
            name=f"Ladder {i}",
            levels=tuple((slug,) for slug in t),
            tiers=tuple(t),
            on_prerequisite_expiry=policy,
        )
    for j in range(10):
        course = COURSES[(7 * j + 3) % 60]
        slug = f"solo-{j}"
        if j < 4:
            rules[slug] = CourseCompleted(course, all_modules=True)
            expiring[slug] = 365
        elif j < 8:
            rules[slug] = AllOf((InCohort(COHORTS[j % 5]), CourseCompleted(course, min_score=60)))
        else:
            rules[slug] = AllOf((CourseCompleted(course), Not(InCohort("staff"))))
    achievements = {
        slug: Achievement.model_construct(
            slug=slug,
            name=slug,
            description=slug,
            image=f"images/{slug}.svg",
            valid_for_days=expiring.get(slug),
            rule=rule,
        )
        for slug, rule in rules.items()
    }
    return Catalog.model_construct(
        root=ROOT,
        issuer=IssuerProfile.model_construct(name="Bench", url="https://example.org"),
        achievements=achievements,
        pathways=pathways,
        endorsement_documents={},
    )


def bench_frames(n: int, seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """n completion rows of n/10 learners, plus cohort and attestation frames."""
    rng = np.random.default_rng(seed)
    learners = max(1, n // 10)
    learner = rng.integers(0, learners, n)
    # a ladder's courses are taken together: pick a ladder, then a course in it
    course = (6 * rng.zipf(1.6, n) % 60 + rng.integers(0, 6, n)) % 60
    days = rng.integers(0, 3 * 365, n)
    at = pd.to_datetime(AS_OF) - pd.to_timedelta(days, unit="D")
    total = rng.integers(6, 11, n)
    done = np.where(rng.random(n) < 0.85, total, total - 1)
    emails = np.char.add(np.char.add("learner", np.arange(learners).astype(str)), "@example.org")
    frame = pd.DataFrame(
        {
            SOURCE: "bench",
            SOURCE_SYSTEM: "csv",
            SOURCE_RECORD_ID: np.arange(n).astype(str),
            LEARNER_ID: learner.astype(str),
            LEARNER_EMAIL: emails[learner].astype(object),
            LEARNER_NAME: "Learner",
            COURSE_ID: np.asarray(COURSES, dtype=object)[course],
            COURSE_NAME: "Course",
            COMPLETED: pd.array(rng.random(n) < 0.95, dtype="boolean"),
            COMPLETED_AT: at,
            SCORE: rng.integers(40, 101, n).astype(float),
            SCORE_KIND: np.where(rng.random(n) < 0.9, "final_assessment", "course_total"),
            MODULES_COMPLETED: pd.array(done, dtype="Int64"),
            MODULES_TOTAL: pd.array(total, dtype="Int64"),
            PROGRESS_PCT: 100.0,
            FETCHED_AT: pd.Timestamp(AS_OF),
            RAW: None,
        }
    )
    frame[RECORD_KEY] = "bench:" + frame[SOURCE_RECORD_ID]
    members = rng.integers(0, learners, learners // 3)
    joined = pd.to_datetime(AS_OF) - pd.to_timedelta(rng.integers(0, 900, len(members)), unit="D")
    cohorts = pd.DataFrame(
        {
            LEARNER_EMAIL: emails[members],
            "cohort": np.asarray(COHORTS)[rng.integers(0, 5, len(members))],
            "joined_at": joined.where(rng.random(len(members)) < 0.7),
        },
        columns=list(COHORT_COLUMNS),
    )
    signed = rng.integers(0, learners, learners // 5)
    attestations = pd.DataFrame(
        {
            LEARNER_EMAIL: emails[signed],
            "attestation": "manager-signoff",
            "attested_by": "manager@example.org",
            "attested_at": pd.to_datetime(AS_OF)
            - pd.to_timedelta(rng.integers(0, 700, len(signed)), unit="D"),
        },
        columns=list(ATTESTATION_COLUMNS),
    )
    return frame[[*COMPLETION_COLUMNS, RECORD_KEY]], cohorts, attestations


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_rules_at_scale(n: int = 1_000_000, sample: int = 30_000) -> dict[str, float]:
    """Evaluate n rows against the 50-achievement catalog; compare old vs new on a sample."""
    catalog = bench_catalog()
    completions, cohorts, attestations = bench_frames(n)
    empty = pd.DataFrame(columns=[*AWARD_COLUMNS, "status"])
    gc.collect()
    rss_before = _rss_mb()
    start = time.perf_counter()
    evaluation = evaluate(
        completions,
        catalog,
        as_of=AS_OF,
        existing_awards=empty,
        cohorts=cohorts,
        attestations=attestations,
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # the same night again, with tonight's awards stored: renewals, suspensions, nothing new
    stored = evaluation.awards.assign(status="active")
    start = time.perf_counter()
    again = evaluate(
        completions,
        catalog,
        as_of=AS_OF,
        existing_awards=stored,
        cohorts=cohorts,
        attestations=attestations,
    )
    rerun_seconds = time.perf_counter() - start
    ratio = _old_vs_new(sample)
    return {
        "n": n,
        "learners": int(completions[LEARNER_EMAIL].nunique()),
        "achievements": len(catalog.achievements),
        "awards": len(evaluation.awards),
        "rows_per_s": n / seconds,
        "seconds": seconds,
        "rerun_seconds": rerun_seconds,
        "rerun_new_awards": len(again.awards),
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak,
        **ratio,
    }


def _old_vs_new(n: int) -> dict[str, float]:
    from bench.run import completions  # the old bench's frame, in the old-syntax catalog
    from tests.badgeflow.rules import oracle  # the old evaluator lives on as the oracle
    from tests.badgeflow.rules.test_oracle import old_syntax_only

    catalog = old_syntax_only(load_catalog(ROOT / "badge_catalog"))  # what the oracle can read
    frame = completions(n)
    empty = pd.DataFrame(columns=[*AWARD_COLUMNS, "status"])
    start = time.perf_counter()
    new = evaluate(frame, catalog, as_of=AS_OF, existing_awards=empty)
    new_seconds = time.perf_counter() - start
    start = time.perf_counter()
    old = oracle.evaluate(frame, catalog, as_of=AS_OF, existing_awards=empty)
    old_seconds = time.perf_counter() - start
    if sorted(new.awards["award_key"]) != sorted(old.awards["award_key"]):
        raise SystemExit("the vectorised evaluator disagrees with the oracle")
    return {"sample_n": n, "old_seconds": old_seconds, "new_seconds": new_seconds,
            "new_vs_old": old_seconds / new_seconds}  # fmt: skip


def report(r: dict[str, float]) -> str:
    """One line per figure, for ``make bench``."""
    return (
        f"rules x50 {r['rows_per_s']:8.0f} rows/s ({r['n']} rows, {r['learners']} learners, "
        f"{r['achievements']} achievements, {r['awards']} awards in {r['seconds']:.2f} s; "
        f"re-run with them stored {r['rerun_seconds']:.2f} s; peak RSS {r['peak_rss_mb']:.0f} MB, "
        f"{r['rss_before_mb']:.0f} MB before)\n"
        f"          vs the old row-by-row evaluator on {r['sample_n']} rows: "
        f"{r['old_seconds']:.2f} s -> {r['new_seconds']:.2f} s ({r['new_vs_old']:.0f}x)"
    )


def main() -> None:
    """Run the benchmark and print (and save) its figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.rules_bench")
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    results = bench_rules_at_scale(args.rows)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "rules_at_scale.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(report(results))


if __name__ == "__main__":
    main()
