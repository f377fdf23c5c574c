"""Award emails at nightly scale: N queued emails sent through `send_emails` to a local SMTP sink.

``python -m bench.mail_bench [--n N] [--connections C] [--processes P]
[--sink lean|block|aiosmtpd]``
runs it alone; ``bench/run.py`` calls
`run`. The store is built directly (learners, awards, credentials rows on SQLite; a baked PNG
per credential, shared by every 97th credential of an achievement to keep the set-up cheap),
the award emails are queued with the real `enqueue_emails`, and the real `send_emails` sends
them in chunks of ``issuance.chunk_size`` to an aiosmtpd server on loopback running in a
process of its own (it counts messages, bytes and distinct Message-IDs, and keeps nothing;
``--sink block`` reads DATA in blocks, as the end-to-end benchmark's sink does:
`bench.block_sink`). ``--processes`` sets ``mail.send_processes``: the chunks are then sent by
worker processes, whose CPU (start-up included) is counted from ``RUSAGE_CHILDREN`` once
they have ended, the sink's own CPU taken out.

Figures: emails a second (wall), CPU per email split into render (a pass over a sample, to
bytes as the send loop does), SMTP client (time inside the session's ``send`` or
``send_prepared``) and the rest (the store work: loading, claiming, marking), bytes per
message, the sink's own CPU, and peak RSS. With worker processes the split is not
measured (the SMTP client runs in the workers): the CPU per email is the benchmark's process
plus its workers.
"""

from __future__ import annotations

import argparse
import importlib
import multiprocessing
import re
import resource
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import insert

from badgeflow import store
from badgeflow.notify.mailer import Mailer, MailSession
from badgeflow.notify.wire import PreparedEmail, prepare
from badgeflow.pipeline import Runtime, _send_procs, enqueue_emails, pending_email_ids, send_emails
from badgeflow.pipeline._send_procs import shutdown_send_pools
from badgeflow.pipeline.email_render import outbox_email_parts
from badgeflow.procs import spawn_pool
from badgeflow.settings import Settings
from badgeflow.store.schema import Award, Credential, Learner

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://badges.example.org"
AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
_BAKED_VARIANTS = 97
_WORKER = "badgeflow.pipeline.notify"
_MESSAGE_ID = re.compile(rb"^Message-ID: (<[^>]+>)", re.MULTILINE | re.IGNORECASE)


def _sink(pipe: Connection, kind: str = "aiosmtpd") -> None:
    """Child process: an aiosmtpd server counting what it accepts, until told to stop."""
    from aiosmtpd.controller import Controller

    from bench.block_sink import BlockDataController
    from bench.lean_sink import LeanController

    class Counter:
        messages = 0
        size = 0
        ids: set[bytes] = set()

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            content = envelope.content
            self.messages += 1
            self.size += len(content)
            found = _MESSAGE_ID.search(content)
            if found:
                self.ids.add(found.group(1))
            return "250 Message accepted for delivery"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Counter()
    server = {"lean": LeanController, "block": BlockDataController}.get(kind, Controller)
    controller = server(handler, hostname="127.0.0.1", port=port, data_size_limit=0)
    controller.start()
    pipe.send(port)
    pipe.recv()
    controller.stop()
    pipe.send((handler.messages, handler.size, len(handler.ids), time.process_time()))


@contextmanager
def smtp_sink(kind: str = "aiosmtpd") -> Iterator[tuple[int, dict[str, float]]]:
    """Run the counting SMTP server in a child process; yield its port and, after, its counts."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_sink, args=(child, kind), daemon=True)
    process.start()
    counts: dict[str, float] = {}
    if not parent.poll(300):  # a cold start on a loaded machine takes a while
        process.kill()
        raise SystemExit("mail bench: the SMTP sink did not start")
    try:
        yield int(parent.recv()), counts
    finally:
        parent.send("stop")
        messages, size, distinct, cpu = parent.recv()
        counts.update(messages=messages, bytes=size, distinct=distinct, cpu_seconds=cpu)
        process.join(10)


class _TimedSession:
    def __init__(self, inner: AbstractContextManager[MailSession], spent: list[float]) -> None:
        self.inner = inner
        self.spent = spent
        self.real: MailSession | None = None

    def __enter__(self) -> _TimedSession:
        self.real = self.inner.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.inner.__exit__(exc_type, exc, tb)

    def open(self) -> None:
        assert self.real is not None
        self.real.open()

    def send(self, message: EmailMessage) -> str:
        assert self.real is not None
        start = time.thread_time()
        try:
            return self.real.send(message)
        finally:
            self.spent.append(time.thread_time() - start)

    def send_prepared(self, email: PreparedEmail) -> str:
        assert self.real is not None
        start = time.thread_time()
        try:
            return self.real.send_prepared(email)  # type: ignore[attr-defined,no-any-return]
        finally:
            self.spent.append(time.thread_time() - start)


class TimedMailer:
    """Wraps a mailer, adding up the CPU its sessions spend in ``send`` (per thread)."""

    def __init__(self, inner: Mailer) -> None:
        self.inner = inner
        self.spent: list[float] = []

    def session(self) -> _TimedSession:
        """A session of the inner mailer, timed."""
        return _TimedSession(self.inner.session(), self.spent)

    def send(self, message: EmailMessage) -> str:
        """Send one message through the inner mailer (untimed)."""
        return self.inner.send(message)


def _settings(root: Path, port: int, connections: int, processes: int = 1) -> Settings:
    return Settings(
        var_dir=root / "var",
        catalog_dir=ROOT / "badge_catalog",
        database={"url": f"sqlite:///{root / 'badgeflow.db'}"},
        site={"base_url": BASE, "output_dir": root / "site"},
        mail={
            "transport": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_connections": connections,
            "send_processes": processes,
            "from_address": "Example Academy <badges@example.org>",
        },
    )


def populate(runtime: Runtime, n: int, folder: Path) -> None:
    """Insert n learners, awards and credentials (with baked PNGs on disk) into the store."""
    catalog = runtime.catalog
    slugs = catalog.achievement_slugs
    folder.mkdir(parents=True, exist_ok=True)
    baked: dict[tuple[str, int], str] = {}
    for slug in slugs:
        image = catalog.image_path(slug, ".png").read_bytes()
        for variant in range(_BAKED_VARIANTS):
            path = folder / f"{slug}-{variant}.png"
            path.write_bytes(image + b"iTXt" + bytes(f"{variant:03d}", "ascii") * 1000)
            baked[(slug, variant)] = str(path)
    learners, awards, credentials = [], [], []
    for i in range(n):
        slug = slugs[i % len(slugs)]
        learners.append({"id": i + 1, "email": f"learner{i}@example.com", "name": f"Learner {i}"})
        awarded = AS_OF - timedelta(days=i % 300)
        awards.append(
            {
                "id": i + 1,
                "award_key": f"bench:{i}:{slug}",
                "learner_id": i + 1,
                "achievement_id": slug,
                "awarded_at": awarded,
                "valid_from": awarded,
                "valid_until": awarded + timedelta(days=730) if i % 2 else None,
                "evidence": [],
                "batch_id": "bench",
                "status": "active",
            }
        )
        credentials.append(
            {
                "id": f"00000000-0000-4000-8000-{i:012d}",
                "award_id": i + 1,
                "document": f'{{"id": "urn:uuid:{i:012d}"}}',
                "verification_method": "did:web:badges.example.org#key-1",
                "issued_at": AS_OF,
                "baked_path": baked[(slug, i % _BAKED_VARIANTS)],
                "batch_id": "bench",
                "accept_token": f"{i:032x}",
            }
        )
    with runtime.sessions.begin() as session:
        for table, rows in ((Learner, learners), (Award, awards), (Credential, credentials)):
            for start in range(0, n, 5_000):
                session.execute(insert(table), rows[start : start + 5_000])


def _render_cpu(runtime: Runtime, sample: list[int]) -> float:
    """CPU seconds per email of rendering alone to bytes, as the send loop does (before sending)."""
    with runtime.sessions() as session:
        items = store.emails_to_send(session, sample, now=AS_OF)
    start = time.process_time()
    for item in items:
        parts = outbox_email_parts(runtime, item)
        if prepare(parts) is None:
            parts.message().as_bytes()
    return (time.process_time() - start) / max(len(items), 1)


def run(
    n: int,
    workdir: Path | None = None,
    *,
    connections: int = 1,
    processes: int = 1,
    sink_kind: str = "aiosmtpd",
) -> dict[str, float]:
    """Queue and send n award emails; return throughput, CPU split, bytes and memory.

    Args:
        n: number of credentials (one award email each).
        workdir: where the database and baked images go (default: a temporary folder).
        connections: ``mail.smtp_connections``.
        processes: ``mail.send_processes``.
        sink_kind: ``aiosmtpd`` (stock), ``block`` (`bench.block_sink`) or ``lean``
            (`bench.lean_sink`, offering PIPELINING).

    Returns:
        ``emails_per_s``, ``send_seconds``, ``send_cpu_seconds``, CPU ms per email for
        ``render``, ``smtp`` and ``store_other``, ``bytes_per_message``, sink counts and
        ``peak_rss_mb``; with processes, ``workers_cpu_seconds`` and ``total_cpu_ms``.
    """
    startup_cpu = _startup_cpu(processes) if processes > 1 else 0.0
    children = _children_cpu()
    with tempfile.TemporaryDirectory(dir=workdir) as tmp, smtp_sink(sink_kind) as (port, sink):
        root = Path(tmp)
        settings = _settings(root, port, connections, processes)
        engine = store.make_engine(settings.database.url)
        store.migrate(engine)
        engine.dispose()
        runtime = Runtime(settings)
        start = time.perf_counter()
        populate(runtime, n, root / "baked")
        setup_s = time.perf_counter() - start
        timed = TimedMailer(runtime.mailer)
        runtime.__dict__["mailer"] = timed
        start, cpu = time.perf_counter(), time.process_time()
        queued = enqueue_emails(runtime)
        ids = pending_email_ids(runtime, now=AS_OF)
        queue_s, queue_cpu = time.perf_counter() - start, time.process_time() - cpu
        render_cpu = _render_cpu(runtime, ids[:1_000])
        chunk = settings.issuance.chunk_size
        sent = failed = 0
        start, cpu = time.perf_counter(), time.process_time()
        for first in range(0, len(ids), chunk):
            result = send_emails(runtime, ids[first : first + chunk], now=AS_OF)
            sent, failed = sent + result.sent, failed + result.failed
        send_s, send_cpu = time.perf_counter() - start, time.process_time() - cpu
        workers_rss = _workers_peak_rss_mb()
        shutdown_send_pools()
        runtime.engine.dispose()
    workers_cpu = max(0.0, _children_cpu() - children - sink["cpu_seconds"])
    if (sent, sink["messages"], sink["distinct"]) != (n, n, n) or queued != n:
        raise SystemExit(f"mail bench: queued {queued}, sent {sent}, sink {sink}, n {n}")
    smtp_cpu = sum(timed.spent) / n
    per_email = send_cpu / n
    return {
        "n": n,
        "connections": connections,
        "processes": processes,
        "workers_cpu_seconds": workers_cpu,
        "workers_startup_cpu_seconds": startup_cpu,
        "total_cpu_ms": (send_cpu + workers_cpu) / n * 1000,
        "steady_cpu_ms": (send_cpu + workers_cpu - startup_cpu) / n * 1000,
        "setup_seconds": setup_s,
        "queue_seconds": queue_s,
        "queue_cpu_seconds": queue_cpu,
        "send_seconds": send_s,
        "send_cpu_seconds": send_cpu,
        "emails_per_s": n / send_s,
        "emails_per_cpu_s": n / send_cpu,
        "render_ms": render_cpu * 1000,
        "smtp_ms": smtp_cpu * 1000,
        "store_other_ms": max(0.0, per_email - render_cpu - smtp_cpu) * 1000,
        "bytes_per_message": sink["bytes"] / n,
        "sink_cpu_seconds": sink["cpu_seconds"],
        "failed": failed,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_rss_worker_mb": workers_rss,
    }


def _startup_cpu(processes: int) -> float:
    """CPU seconds of starting the send workers alone (spawn and imports), measured apart."""
    before = _children_cpu()
    pool = spawn_pool(processes, initializer=importlib.import_module, initargs=(_WORKER,))
    pool.shutdown()
    return _children_cpu() - before


def _workers_peak_rss_mb() -> float:
    """The largest peak RSS of the send workers still running (/proc VmHWM: after exec only)."""
    peak = 0
    for pool in _send_procs._pools.values():  # the bench looks inside: no public handle
        for process in pool._processes.values():
            status = Path(f"/proc/{process.pid}/status").read_text(encoding="ascii")
            found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
            peak = max(peak, int(found.group(1)) if found else 0)
    return peak / 1024


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def describe(figures: dict[str, float]) -> str:
    """One block of summary lines, as `bench/run.py` prints them."""
    f = figures
    if f.get("processes", 1) > 1:
        return (
            f"mail      {f['n']:.0f} award emails from {f['processes']:.0f} processes over "
            f"{f['connections']:.0f} SMTP connection(s): {f['emails_per_s']:.0f}/s "
            f"({f['send_seconds']:.1f} s wall; CPU {f['send_cpu_seconds']:.1f} s here + "
            f"{f['workers_cpu_seconds']:.1f} s in the workers, start-up included)\n"
            f"          CPU per email {f['total_cpu_ms']:.2f} ms, "
            f"{f['steady_cpu_ms']:.2f} without the workers' start-up "
            f"({f['workers_startup_cpu_seconds']:.1f} s measured apart; render alone "
            f"{f['render_ms']:.2f}); {f['bytes_per_message'] / 1024:.1f} KiB a message; "
            f"sink {f['sink_cpu_seconds']:.1f} s CPU; peak RSS here {f['peak_rss_mb']:.0f} MB, "
            f"largest worker {f['peak_rss_worker_mb']:.0f} MB"
        )
    return (
        f"mail      {f['n']:.0f} award emails over {f['connections']:.0f} SMTP connection(s): "
        f"{f['emails_per_s']:.0f}/s ({f['send_seconds']:.1f} s wall, "
        f"{f['send_cpu_seconds']:.1f} s CPU; queueing {f['queue_seconds']:.1f} s)\n"
        f"          CPU per email {1000 / f['emails_per_cpu_s']:.2f} ms: render "
        f"{f['render_ms']:.2f}, SMTP client {f['smtp_ms']:.2f}, store and the rest "
        f"{f['store_other_ms']:.2f}; {f['bytes_per_message'] / 1024:.1f} KiB a message; "
        f"sink {f['sink_cpu_seconds']:.1f} s CPU; peak RSS {f['peak_rss_mb']:.0f} MB"
    )


def main() -> None:
    """Run the mail benchmark alone and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.mail_bench")
    parser.add_argument("--n", type=int, default=100_000, help="number of award emails")
    parser.add_argument("--connections", type=int, default=2, help="mail.smtp_connections")
    parser.add_argument("--processes", type=int, default=1, help="mail.send_processes")
    parser.add_argument(
        "--sink",
        choices=("aiosmtpd", "block", "lean"),
        default="aiosmtpd",
        help="SMTP sink: stock aiosmtpd, reading DATA in blocks, or lean (the e2e bench's)",
    )
    args = parser.parse_args()
    figures = run(
        args.n, connections=args.connections, processes=args.processes, sink_kind=args.sink
    )
    print(describe(figures))


if __name__ == "__main__":
    main()
