"""Access logs: 1,000,000 combined-format lines parsed, classified and aggregated, then polled.

``python -m bench.logs_bench [--quick]`` runs it alone; ``bench/run.py`` calls `run`. The log
is synthetic but shaped like a verification site's: mostly assets (with the attributable page
that loaded them as referer) and other pages, a fifth attributable pages of real credential
ids (accept links, credential pages and files, share pages and redirects), a sixth from bots
(link previews, search engines, monitors), people coming back to the same pages, some POSTs,
404s and garbage lines. Figures: (a) lines/s of parse + classify + aggregate (`LineCounter`,
no database), (b) lines/s of the full `poll_access_logs` into a fresh SQLite database (salts,
upsert, cursor), and the peak RSS of the process that ran (b) alone.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pandas as pd
from sqlalchemy import Table, bindparam, update

from badgeflow.engagement.bots import AgentClassifier, Exclusions
from badgeflow.engagement.counting import CredentialIndex, LineCounter
from badgeflow.engagement.logfiles import BLOCK_SIZE, find_log_files, read_lines
from badgeflow.engagement.logformats import new_parser
from badgeflow.engagement.sitepaths import PathClassifier
from badgeflow.engagement.visitors import SaltedHasher
from badgeflow.models import (
    ACHIEVEMENT_ID,
    AWARD_COLUMNS,
    AWARD_KEY,
    AWARDED_AT,
    EVIDENCE_RECORD_IDS,
    LEARNER_EMAIL,
    LEARNER_NAME,
    SCORE,
    VALID_FROM,
    VALID_UNTIL,
)
from badgeflow.settings import Settings
from badgeflow.store import insert_awards, make_engine, migrate, save_credentials, session_factory
from badgeflow.store.credentials import NewCredential
from badgeflow.store.schema import Credential

BASE = "https://badges.example.org/badges"
START = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
CREDENTIALS = 2_000
PEOPLE_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
)
BOT_AGENTS = (
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
    "-",
)
ASSETS = ("/badges/assets/site.css", "/badges/assets/verify.js", "/badges/favicon.ico")
OTHER = ("/badges/", "/badges/achievements/sql-essentials/", "/badges/achievements/data.png")


def _credentials(n: int) -> list[tuple[str, str]]:
    rng = random.Random(7)
    return [
        (str(uuid.UUID(int=rng.getrandbits(128), version=4)), f"{rng.getrandbits(128):032x}")
        for _ in range(n)
    ]


def _page(rng: random.Random, credential: tuple[str, str]) -> str:
    cid, token = credential
    return rng.choice(
        (
            f"/badges/accept/{token}/",
            f"/badges/accept/{token}/accepted/",
            f"/badges/credentials/{cid}/",
            f"/badges/credentials/{cid}/",
            f"/badges/credentials/{cid}.json",
            f"/badges/credentials/{cid}/share/",
            f"/badges/credentials/{cid}/share/linkedin-profile/",
            "/badges/verify/",
        )
    )


def write_log(path: Path, n: int, credentials: list[tuple[str, str]]) -> None:
    """Write n synthetic combined-format lines from `START`, 1,000,000 a day (12 a second)."""
    rng = random.Random(11)
    visitors = [f"198.51.{i // 250}.{i % 250}" for i in range(5_000)]
    visitors6 = [f"2001:db8::{i:x}" for i in range(1_000)]
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            when = (START + timedelta(seconds=i * 0.0864)).strftime("%d/%b/%Y:%H:%M:%S +0000")
            roll = rng.random()
            if roll < 0.002:
                out.write("\x16\x03\x01 garbage that is no log line\n")
                continue
            ip = rng.choice(visitors6) if roll < 0.1 else rng.choice(visitors)
            agent = rng.choice(BOT_AGENTS) if rng.random() < 0.16 else rng.choice(PEOPLE_AGENTS)
            kind = rng.random()
            referer = "https://www.linkedin.com/"
            if kind < 0.6:  # the assets of the page just viewed: it is their referer
                target = rng.choice(ASSETS)
                referer = "https://badges.example.org" + _page(rng, rng.choice(credentials))
            elif kind < 0.8:
                target = rng.choice(OTHER)
            else:
                target = _page(rng, rng.choice(credentials))
            method = "POST" if rng.random() < 0.01 else "GET"
            status = "404" if rng.random() < 0.02 else ("304" if kind < 0.4 else "200")
            out.write(
                f'{ip} - - [{when}] "{method} {target} HTTP/1.1" {status} 5120 '
                f'"{referer}" "{agent}"\n'
            )


def _index(credentials: list[tuple[str, str]]) -> CredentialIndex:
    return CredentialIndex(
        ids=frozenset(c for c, _ in credentials), tokens={t: c for c, t in credentials}
    )


def _counter(credentials: list[tuple[str, str]]) -> LineCounter:
    hasher = SaltedHasher(b"\x01" * 32)
    return LineCounter(
        new_parser("combined"),
        paths=PathClassifier(BASE),
        agents=AgentClassifier(),
        exclusions=Exclusions(["203.0.113.0/24"], ["badgeflow-check"]),
        credentials=_index(credentials),
        visitor=lambda day, ip, agent: hasher.visitor(ip, agent),  # LineCounter caches
    )


def bench_counting(path: Path, credentials: list[tuple[str, str]]) -> dict[str, float]:
    """(a) Read, parse, classify and aggregate every line of the file (no database)."""
    counter = _counter(credentials)
    state: dict[str, object] = {}
    start = time.perf_counter()
    cpu = time.process_time()
    for log_file in find_log_files(str(path), state):
        for lines in read_lines(log_file, state):
            counter.feed(lines)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    counts = counter.counts
    return {
        "lines": counts.lines,
        "count_seconds": seconds,
        "count_cpu_seconds": cpu_seconds,
        "count_lines_per_s": counts.lines / seconds,
        # Lines per CPU second: what one free core does (the wall figure suffers on a busy box).
        "count_lines_per_cpu_s": counts.lines / cpu_seconds,
        "people": counts.people,
        "bots": counts.bots,
        "ignored": counts.ignored,
        "malformed": counts.malformed,
        "rows": len(counter.hits),
    }


def _count_range(
    path: str, start: int, end: int, credentials: list[tuple[str, str]]
) -> tuple[int, dict[Any, list[Any]]]:
    counter = _counter(credentials)
    with open(path, "rb") as stream:
        stream.seek(start)
        left, tail = end - start, b""
        while left > 0:
            block = stream.read(min(BLOCK_SIZE, left))
            left -= len(block)
            data = tail + block
            cut = data.rfind(b"\n") if left > 0 else len(data)
            tail = data[cut + 1 :] if left > 0 else b""
            counter.feed(data[:cut].decode("utf-8", "replace").split("\n"))
    return counter.counts.lines, counter.hits.rows


def bench_counting_parallel(
    path: Path, credentials: list[tuple[str, str]], workers: int = 2
) -> dict[str, float]:
    """(a) on `workers` processes, each counting its share of the file; rows merged after."""
    size = path.stat().st_size
    cuts = [0]
    with path.open("rb") as stream:
        for n in range(1, workers):
            stream.seek(size * n // workers)
            stream.readline()
            cuts.append(stream.tell())
    cuts.append(size)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        pool.submit(int).result()  # the workers are up
        start = time.perf_counter()
        parts = list(
            pool.map(
                _count_range,
                [str(path)] * workers,
                cuts[:-1],
                cuts[1:],
                [credentials] * workers,
            )
        )
        merged: dict[Any, list[Any]] = {}
        for _, rows in parts:
            for key, row in rows.items():
                mine = merged.get(key)
                if mine is None:
                    merged[key] = row
                else:
                    mine[0], mine[1] = min(mine[0], row[0]), max(mine[1], row[1])
                    mine[2] += row[2]
        seconds = time.perf_counter() - start
    lines = sum(n for n, _ in parts)
    return {
        "parallel_workers": workers,
        "parallel_seconds": seconds,
        "parallel_lines_per_s": lines / seconds,
        "parallel_rows": len(merged),
    }


def _seed_database(url: str, credentials: list[tuple[str, str]]) -> None:
    engine = make_engine(url)
    migrate(engine)
    sessions = session_factory(engine)
    rows = []
    for n, _ in enumerate(credentials):
        rows.append(
            {
                AWARD_KEY: f"learner{n}@example.org|bench|2026",
                LEARNER_EMAIL: f"learner{n}@example.org",
                LEARNER_NAME: f"Learner {n}",
                ACHIEVEMENT_ID: "sql-essentials",
                AWARDED_AT: START,
                VALID_FROM: START,
                VALID_UNTIL: None,
                SCORE: None,
                EVIDENCE_RECORD_IDS: (),
            }
        )
    frame = pd.DataFrame(rows, columns=list(AWARD_COLUMNS))
    for column in (AWARDED_AT, VALID_FROM, VALID_UNTIL):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    with sessions.begin() as session:
        award_ids = insert_awards(session, frame, batch_id="bench")
        save_credentials(
            session,
            [
                NewCredential(
                    id=cid,
                    award_id=award_id,
                    document="{}",
                    salt=None,
                    verification_method="did:web:badges.example.org#key-1",
                    issued_at=START,
                    batch_id="bench",
                )
                for (cid, _), award_id in zip(credentials, award_ids, strict=True)
            ],
        )
        # save_credentials draws fresh accept tokens; the log uses the bench's own.
        session.connection().execute(
            update(cast(Table, Credential.__table__))
            .where(Credential.__table__.c.id == bindparam("cid"))
            .values(accept_token=bindparam("token")),
            [{"cid": cid, "token": token} for cid, token in credentials],
        )
    engine.dispose()


def _memory_mb(field: str) -> float:
    """VmRSS / VmHWM of this process from /proc (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # pragma: no cover


def _poll(path: str, url: str) -> dict[str, float]:
    from badgeflow.engagement.access_logs import poll_access_logs

    # A forked child starts with the bench's pages: reset its high-water mark (Linux: "5"
    # in clear_refs), so the peak below is the poll's.
    Path("/proc/self/clear_refs").write_text("5")
    start_rss = _memory_mb("VmRSS")
    engine = make_engine(url)
    settings = Settings(
        site={"base_url": BASE},
        engagement={"access_logs": [{"name": "bench", "path": path}], "salt_days": 31},
    )
    start = time.perf_counter()
    (report,) = poll_access_logs(
        settings, session_factory(engine), clock=lambda: START + timedelta(days=30)
    )
    seconds = time.perf_counter() - start
    engine.dispose()
    return {
        "poll_seconds": seconds,
        "poll_lines_per_s": report.lines / seconds,
        "poll_hits_new": report.hits_new,
        "poll_commits": report.commits,
        "poll_start_rss_mb": start_rss,
        "poll_peak_rss_mb": _memory_mb("VmHWM"),
    }


def run(*, quick: bool = False, n: int | None = None) -> dict[str, float]:
    """Write the log, measure (a) counting and (b) the full poll; return the figures."""
    n = n or (100_000 if quick else 1_000_000)
    credentials = _credentials(min(CREDENTIALS, max(n // 100, 10)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "access.log"
        write_log(path, n, credentials)
        figures: dict[str, float] = {"n": n, "file_mb": path.stat().st_size / 1e6}
        figures.update(bench_counting(path, credentials))
        figures.update(bench_counting_parallel(path, credentials))
        if figures["rows"] != figures["parallel_rows"]:
            raise SystemExit("two processes counted other rows than one process")
        url = f"sqlite:///{tmp}/bench.db"
        _seed_database(url, credentials)
        # Its own process, so the peak RSS is the poll's alone.
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
            figures.update(pool.submit(_poll, str(path), url).result())
    return figures


def describe(f: dict[str, float]) -> str:
    """Two lines for ``make bench``."""
    return (
        f"logs      {f['lines']:.0f} lines ({f['file_mb']:.0f} MB): parse+classify+aggregate "
        f"{f['count_lines_per_s']:8.0f} lines/s ({f['count_seconds']:.2f} s, 1 process; "
        f"{f['count_lines_per_cpu_s']:.0f} per CPU second), "
        f"{f['parallel_lines_per_s']:8.0f} lines/s ({f['parallel_workers']:.0f} processes)\n"
        f"          full poll into SQLite {f['poll_lines_per_s']:8.0f} lines/s "
        f"({f['poll_seconds']:.2f} s, {f['poll_hits_new']:.0f} hit rows, "
        f"{f['poll_commits']:.0f} commits)   peak RSS {f['poll_peak_rss_mb']:.0f} MB "
        f"(from {f['poll_start_rss_mb']:.0f} MB)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.logs_bench")
    parser.add_argument("--quick", action="store_true", help="100,000 lines (a smoke run)")
    results = run(quick=parser.parse_args().quick)
    print(describe(results))
    print(json.dumps(results, indent=2))
