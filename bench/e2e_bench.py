"""End-to-end benchmark: one nightly batch of n completions, through the real flow.

``python -m bench.e2e_bench [--n 100000] [--chunk-size 1000] [--sign-processes 2]
[--smtp-connections 4] [--send-processes 2] [--sink lean|block|aiosmtpd]`` (or
``make bench-e2e``). Four fake LMS servers (Canvas, TalentLMS, Docebo, Moodle: real HTTP on
loopback, each in its vendor's wire format) serve synthetic learners of the catalog's
courses (`bench.e2e_data`); an SMTP server on loopback counts the emails (by default the
lean sink, `bench.lean_sink`; ``block`` and ``aiosmtpd`` are aiosmtpd); the store is SQLite.
The flow runs as ``badgeflow run`` runs it: ``python -m flows.nightly_issuance`` in a child
process on Prefect's ephemeral API. Figures come from the batch ledger (each stage's
start and end), from /proc (the child tree's resident memory, sampled every 0.2 s) and from
getrusage (CPU). Nothing is asserted about speed; the figures go to bench/results.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import text

from badgeflow.fakelms.canvas import FakeCanvas
from badgeflow.fakelms.docebo import FakeDocebo
from badgeflow.fakelms.moodle import FakeMoodle
from badgeflow.fakelms.talentlms import FakeTalentLMS
from badgeflow.runtime_env import apply_offline_defaults
from badgeflow.settings import CONFIG_ENV, Settings
from badgeflow.store import make_engine
from bench import machine
from bench.block_sink import BlockDataController
from bench.e2e_data import build_datasets
from bench.e2e_proc import TreeSampler, free_port
from bench.lean_sink import LeanController

ROOT = Path(__file__).resolve().parents[1]
AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
STAGES = ("ingest", "evaluate", "issue", "publish", "notify")


class CountingSink:
    """An aiosmtpd handler that counts the messages it accepts (and keeps nothing)."""

    def __init__(self) -> None:
        """Start at zero."""
        self.messages = 0
        self.bytes = 0

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:  # noqa: N802
        """Count one message."""
        self.messages += 1
        self.bytes += len(envelope.content)
        return "250 Message accepted for delivery"


def store_toml(root: Path) -> str:
    """The TOML of a fresh benchmark store under `root`: SQLite, keys, site, the catalog."""
    return f'''var_dir = "{root / "var"}"
catalog_dir = "{ROOT / "badge_catalog"}"
contracts_dir = "{ROOT / "data_contracts"}"

[database]
url = "sqlite:///{root / "var" / "badgeflow.db"}"

[signing]
keys_dir = "{root / "var" / "keys"}"
passphrase = "bench-passphrase"

[site]
output_dir = "{root / "var" / "site"}"
'''


def _config(
    root: Path,
    urls: dict[str, str],
    smtp_port: int,
    chunk: int,
    procs: int,
    hold_mail: bool,
    connections: int = 1,
    send_processes: int = 1,
) -> Path:
    config = root / "badgeflow.toml"
    pilot = 'pilot_recipients = ["nobody@bench.invalid"]' if hold_mail else ""
    config.write_text(
        store_toml(root)
        + f'''
[mail]
transport = "smtp"
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
smtp_connections = {connections}
send_processes = {send_processes}
{pilot}

[issuance]
chunk_size = {chunk}
sign_processes = {procs}

[[sources]]
name = "canvas"
kind = "canvas"
base_url = "{urls["canvas"]}"
token = "bench-canvas"
final_assessment = "Final exam"

[[sources]]
name = "talentlms"
kind = "talentlms"
base_url = "{urls["talentlms"]}"
api_key = "bench-talentlms"
final_assessment = "Final test"

[[sources]]
name = "docebo"
kind = "docebo"
base_url = "{urls["docebo"]}"
client_id = "bench"
client_secret = "bench-secret"

[[sources]]
name = "moodle"
kind = "moodle"
base_url = "{urls["moodle"]}"
token = "bench-moodle"
final_assessment = "final-exam"
''',
        encoding="utf-8",
    )
    return config


def _stop_group(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        os.killpg(child.pid, signal.SIGTERM)
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    with contextlib.suppress(ProcessLookupError):  # anything left behind in the group
        os.killpg(child.pid, signal.SIGKILL)


def settings_from(config: Path) -> Settings:
    """The settings a config file gives, read as the flow reads them (``BADGEFLOW_CONFIG``)."""
    previous = os.environ.get(CONFIG_ENV)
    os.environ[CONFIG_ENV] = str(config)
    try:
        return Settings()
    finally:
        if previous is None:
            del os.environ[CONFIG_ENV]
        else:
            os.environ[CONFIG_ENV] = previous


def _ledger(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            batch = conn.execute(text("SELECT stages, summary, status FROM batches")).one()
            counts = {
                table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
                for table in ("completions", "quarantined_rows", "awards", "credentials")
            }
            sent = conn.execute(
                text("SELECT count(*) FROM email_outbox WHERE status = 'sent'")
            ).scalar_one()
    finally:
        engine.dispose()
    stages, summary = batch[0], batch[1]
    if isinstance(stages, str):
        stages, summary = json.loads(stages), json.loads(summary)
    return {"stages": stages, "summary": summary, "status": batch[2], "rows": counts, "sent": sent}


def _seconds(stage: dict[str, Any]) -> float:
    started = datetime.fromisoformat(stage["started_at"])
    return (datetime.fromisoformat(stage["finished_at"]) - started).total_seconds()


def _cpu(sampler: TreeSampler, stage: dict[str, Any]) -> float:
    """The flow tree's CPU seconds within a stage (the steady figure on a loaded machine)."""
    start = datetime.fromisoformat(stage["started_at"]).timestamp()
    return sampler.cpu_between(start, datetime.fromisoformat(stage["finished_at"]).timestamp())[1]


def _machine(sampler: TreeSampler, stage: dict[str, Any]) -> tuple[float, float, float]:
    """(fake servers + sink CPU s, the machine's idle and kernel CPU s) within a stage."""
    start = datetime.fromisoformat(stage["started_at"]).timestamp()
    return sampler.machine_between(start, datetime.fromisoformat(stage["finished_at"]).timestamp())


def _peak(sampler: TreeSampler, stage: dict[str, Any]) -> tuple[float, float]:
    """Peak RSS MB (flow process, flow tree) within a stage."""
    start = datetime.fromisoformat(stage["started_at"]).timestamp()
    return sampler.peak_between(start, datetime.fromisoformat(stage["finished_at"]).timestamp())


def run(
    n: int,
    *,
    chunk_size: int = 1000,
    sign_processes: int = 2,
    hold_mail: bool = False,
    work_dir: Path | None = None,
    sink: str = "lean",
    smtp_connections: int = 4,
    send_processes: int = 2,
) -> dict[str, Any]:
    """Run one nightly batch of n completions end to end and return its figures.

    Args:
        n: completion rows over the four sources.
        chunk_size: ``issuance.chunk_size`` (credentials and emails per task run).
        sign_processes: ``issuance.sign_processes``.
        hold_mail: pilot mode with nobody in the pilot: every email is queued and held, none
            rendered or sent (to time the other stages quickly).
        work_dir: where the store, keys, site and logs go (default: a temporary folder).
        sink: the SMTP server: ``lean`` (the relay's SMTP on an asyncio protocol,
            `bench.lean_sink`: ~0.6 ms of CPU per award email), ``block`` (aiosmtpd reading
            DATA in blocks, `bench.block_sink`: ~1.2 ms) or ``aiosmtpd`` (stock, line by line:
            ~8 ms). In production the relay runs elsewhere; here it shares the two cores, so
            the cheapest is the default. It runs in this process and its CPU is reported
            apart from the flow's.
        smtp_connections: ``mail.smtp_connections`` (SMTP connections the send task keeps
            busy at once, so rendering one email overlaps waiting for the server's answer;
            4 = two per send process: with one each, a process idles while the sink answers,
            measured 121 against 158 emails/s with `bench.mail_bench`).
        send_processes: ``mail.send_processes`` (processes that render and send each chunk,
            sharing the connections).

    Returns:
        The figures (see `describe`).

    Raises:
        SystemExit: the flow failed (its log's tail is in the message).
    """
    from badgeflow.cli import _init

    with ExitStack() as stack:
        root = work_dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        if any(root.glob("*")):
            raise SystemExit(f"{root} is not empty: the benchmark needs a fresh folder")
        root.mkdir(parents=True, exist_ok=True)
        filesystem_note = machine.fs_note(root)
        build = time.perf_counter()
        datasets, mix = build_datasets(n, AS_OF)
        build_seconds = time.perf_counter() - build
        servers = {
            "canvas": FakeCanvas(datasets["canvas"], "bench-canvas"),
            "talentlms": FakeTalentLMS(datasets["talentlms"], "bench-talentlms"),
            "docebo": FakeDocebo(
                datasets["docebo"], client_id="bench", client_secret="bench-secret"
            ),
            "moodle": FakeMoodle(datasets["moodle"], "bench-moodle"),
        }
        urls = {name: stack.enter_context(server).base_url for name, server in servers.items()}
        counter = CountingSink()
        server = {"lean": LeanController, "block": BlockDataController}.get(sink, Controller)
        smtp = server(counter, hostname="127.0.0.1", port=free_port())
        smtp.start()
        stack.callback(smtp.stop)
        config = _config(
            root,
            urls,
            smtp.port,
            chunk_size,
            sign_processes,
            hold_mail,
            smtp_connections,
            send_processes,
        )
        settings = settings_from(config)
        _init(settings)
        env = {**os.environ, CONFIG_ENV: str(config)}
        apply_offline_defaults(env, prefect_home=settings.var_dir / "prefect")
        log = root / "flow.log"
        cmd = [sys.executable, "-m", "flows.nightly_issuance", "--as-of", AS_OF.isoformat()]
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        own_cpu = time.process_time()
        launched, wall = datetime.now(UTC), time.perf_counter()
        with log.open("wb") as out:
            # Its own process group: whatever happens here, the flow, its Prefect server and
            # its signing workers are stopped with it (`_stop_group`).
            child = subprocess.Popen(
                cmd,
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            stack.callback(_stop_group, child)
            sampler = TreeSampler(child.pid)
            thread = threading.Thread(target=sampler.run, daemon=True)
            thread.start()
            code = child.wait()
            sampler.stop()
            thread.join()
        wall = time.perf_counter() - wall
        own_cpu = time.process_time() - own_cpu
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if code != 0:
            tail = log.read_text(encoding="utf-8", errors="replace")[-4000:]
            raise SystemExit(f"the nightly flow failed (exit {code}):\n{tail}")
        ledger = _ledger(settings.database.url)
    stages = ledger["stages"]
    first = datetime.fromisoformat(stages["ingest"]["started_at"])
    last = datetime.fromisoformat(stages["notify"]["finished_at"])
    credentials = ledger["rows"]["credentials"]
    issue_s, notify_s = _seconds(stages["issue"]), _seconds(stages["notify"])
    return {
        "n": n,
        "machine": machine.cpu(),
        "chunk_size": chunk_size,
        "sign_processes": sign_processes,
        "hold_mail": hold_mail,
        "mix": {**vars(mix)},
        "data_build_seconds": build_seconds,
        "wall_seconds": wall,
        "startup_seconds": (first - launched).total_seconds(),
        "batch_seconds": (last - first).total_seconds(),
        "stage_seconds": {s: _seconds(stages[s]) for s in STAGES},
        "stage_cpu_seconds": {s: _cpu(sampler, stages[s]) for s in STAGES},
        "stage_peak_rss_mb": {s: _peak(sampler, stages[s]) for s in STAGES},
        "stage_servers_idle_kernel_cpu_seconds": {s: _machine(sampler, stages[s]) for s in STAGES},
        "flow_cpu_seconds": (cpu_after.ru_utime + cpu_after.ru_stime)
        - (cpu_before.ru_utime + cpu_before.ru_stime),
        "servers_cpu_seconds": own_cpu,
        "peak_rss_flow_mb": sampler.peak_flow / 1024,
        "peak_rss_tree_mb": sampler.peak_tree / 1024,
        "peak_rss_by_process_mb": [[label, mb] for label, mb in sampler.process_peaks()],
        "rss_at_tree_peak_mb": [[label, kb / 1024] for label, kb in sampler.at_peak],
        "cpu_by_process_seconds": [[label, cpu] for label, cpu in sampler.process_cpu()],
        "rows": ledger["rows"],
        "emails_sent": ledger["sent"],
        "smtp_sink": sink,
        "smtp_connections": smtp_connections,
        "send_processes": send_processes,
        "smtp_received": counter.messages,
        "credentials_per_s": credentials / issue_s if issue_s else 0.0,
        "emails_per_s": counter.messages / notify_s if notify_s else 0.0,
        "status": ledger["status"],
        "filesystem_note": filesystem_note,
    }


def _cpu_model(found: dict[str, Any]) -> str:
    """`` (AMD EPYC, 2596 MHz)`` when the report knows the CPU."""
    if "cpu_model" not in found:
        return ""
    clock = f", {found['cpu_mhz']:.0f} MHz" if "cpu_mhz" in found else ""
    return f" ({found['cpu_model']}{clock})"


def describe(f: dict[str, Any]) -> str:
    """The figures as the lines `make bench` prints."""
    stage = "  ".join(f"{s} {f['stage_seconds'][s]:.1f}" for s in STAGES)
    cpu = "  ".join(f"{s} {f['stage_cpu_seconds'][s]:.1f}" for s in STAGES)
    machine = f.get("stage_servers_idle_kernel_cpu_seconds") or {}
    servers = "  ".join(
        f"{s} {machine[s][0]:.1f}/{machine[s][1]:.1f}/{machine[s][2]:.1f}"
        for s in STAGES
        if s in machine
    )
    peak = "  ".join(
        f"{s} {f['stage_peak_rss_mb'][s][0]:.0f}/{f['stage_peak_rss_mb'][s][1]:.0f}" for s in STAGES
    )
    rows = f["rows"]
    return (
        f"e2e       {f['n']} completions, {f['machine']['cpus']} cores{_cpu_model(f['machine'])}, "
        f"chunk {f['chunk_size']}, "
        f"{f['sign_processes']} signing process(es)"
        f"{', mail held' if f['hold_mail'] else ''}, "
        f"{f.get('smtp_connections', 1)} SMTP connection(s), "
        f"{f.get('send_processes', 1)} send process(es): total {f['wall_seconds']:.1f} s wall "
        f"(Prefect start-up {f['startup_seconds']:.1f} s, batch {f['batch_seconds']:.1f} s)\n"
        f"          stages (s): {stage}\n"
        f"          stages (CPU s, flow tree): {cpu}\n"
        f"          stages (CPU s, fake LMS + sink / machine idle / machine kernel): {servers}\n"
        f"          stages (peak RSS MB, flow/tree): {peak}\n"
        f"          {rows['completions']} completions stored, {rows['quarantined_rows']} "
        f"quarantined, {rows['credentials']} credentials ({f['credentials_per_s']:.0f}/s in "
        f"issue), {f['smtp_received']} emails received ({f['emails_per_s']:.0f}/s in notify)\n"
        f"          CPU {f['flow_cpu_seconds']:.0f} s (flow tree) + {f['servers_cpu_seconds']:.0f} "
        f"s (fake LMS + SMTP sink: {f.get('smtp_sink', 'aiosmtpd')}); "
        f"peak RSS flow {f['peak_rss_flow_mb']:.0f} MB, "
        f"tree {f['peak_rss_tree_mb']:.0f} MB\n"
        f"          peak RSS by process (MB): "
        + "; ".join(f"{label} {mb:.0f}" for label, mb in f["peak_rss_by_process_mb"])
        + "\n          at the tree's peak (MB): "
        + "; ".join(f"{label} {mb:.0f}" for label, mb in f["rss_at_tree_peak_mb"])
        + "\n          CPU by process (s): "
        + "; ".join(f"{label} {cpu:.1f}" for label, cpu in f.get("cpu_by_process_seconds", []))
        + (f"\n          {f['filesystem_note']}" if f.get("filesystem_note") else "")
    )


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and merge its figures into bench/results/latest.json."""
    parser = argparse.ArgumentParser(prog="python -m bench.e2e_bench")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--chunk-size", type=int, default=1000, help="issuance.chunk_size")
    parser.add_argument(
        "--sign-processes", type=int, default=2, help="issuance.sign_processes (2 cores: 2)"
    )
    parser.add_argument(
        "--hold-mail", action="store_true", help="queue the emails but hold them (pilot mode)"
    )
    parser.add_argument("--work-dir", type=Path, default=None, help="keep the state here")
    parser.add_argument(
        "--sink",
        choices=("lean", "block", "aiosmtpd"),
        default="lean",
        help="SMTP server: lean asyncio sink (default), aiosmtpd reading DATA in blocks, or stock",
    )
    parser.add_argument(
        "--smtp-connections", type=int, default=4, help="mail.smtp_connections (default 4)"
    )
    parser.add_argument(
        "--send-processes", type=int, default=2, help="mail.send_processes (default 2)"
    )
    args = parser.parse_args(argv)
    figures = run(
        args.n,
        chunk_size=args.chunk_size,
        sign_processes=args.sign_processes,
        hold_mail=args.hold_mail,
        work_dir=args.work_dir,
        sink=args.sink,
        smtp_connections=args.smtp_connections,
        send_processes=args.send_processes,
    )
    print(describe(figures))
    out = ROOT / "bench" / "results" / "latest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    results["e2e"] = figures
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
