"""What the benchmarks' SMTP sinks cost: CPU per received 50 KiB message.

``python -m bench.sink_bench [--sink lean|block|aiosmtpd] [--n 3000] [--smtplib]`` starts
the sink in a child process (as the mail benchmark does), sends it ``n`` messages of about
50 KiB (the size of an award email, 76-character lines, a dot-stuffed one among them) over
two connections of badgeflow's SMTP client (which pipelines where the sink offers it: lean
does) or of smtplib's, and reads the child's CPU (`time.process_time`, so its start-up is left out)
before and after. The figure is the sink's own CPU per message; nothing is asserted.
"""

from __future__ import annotations

import argparse
import smtplib
import subprocess
import sys
import time
from pathlib import Path

from badgeflow.notify._client import _Client
from bench.e2e_proc import free_port

ROOT = Path(__file__).resolve().parents[1]
_SERVE = """
import sys, time
sys.path.insert(0, {root!r})
from aiosmtpd.controller import Controller
from bench.block_sink import BlockDataController
from bench.lean_sink import LeanController

class Count:
    messages = 0
    async def handle_DATA(self, server, session, envelope):
        Count.messages += 1
        return "250 OK"

kind = {kind!r}
server = {{"lean": LeanController, "block": BlockDataController}}.get(kind, Controller)
controller = server(Count(), hostname="127.0.0.1", port={port}, data_size_limit=0)
controller.start()
print("ready", flush=True)
sys.stdin.readline()
print(time.process_time(), flush=True)
sys.stdin.readline()
print(time.process_time(), Count.messages, flush=True)
controller.stop()
"""
MESSAGE = (
    b"Subject: sink bench\r\nMessage-ID: <sink@bench.invalid>\r\n\r\n"
    + (b"A" * 76 + b"\r\n") * 650
    + b".a line that starts with a dot\r\n"
)


def _send(port: int, count: int, pipelined: bool) -> None:
    # badgeflow's client pipelines MAIL, RCPT and DATA where the sink offers it (lean does);
    # smtplib's sends one command at a time.
    kind: type[smtplib.SMTP] = _Client if pipelined else smtplib.SMTP
    clients = [kind("127.0.0.1", port) for _ in range(2)]
    try:
        for i in range(count):
            clients[i % 2].sendmail("bench@x.invalid", ["learner@y.invalid"], MESSAGE)
    finally:
        for client in clients:
            client.quit()


def run(kind: str, n: int, *, pipelined: bool = True) -> dict[str, float | str | bool]:
    """Send ``n`` messages to a ``kind`` sink; return its CPU ms per message and the wall time.

    Args:
        kind: ``lean``, ``block`` or ``aiosmtpd``.
        n: messages to send (after 50 to warm up).
        pipelined: send with badgeflow's SMTP client (PIPELINING where offered), else
            with smtplib's.
    """
    port = free_port()
    code = _SERVE.format(root=str(ROOT), kind=kind, port=port)
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        if child.stdout.readline().strip() != "ready":
            raise SystemExit("sink bench: the sink did not start")
        _send(port, 50, pipelined)  # warm up: imports, first connections
        child.stdin.write("go\n")
        child.stdin.flush()
        before = float(child.stdout.readline())
        wall = time.perf_counter()
        _send(port, n, pipelined)
        wall = time.perf_counter() - wall
        child.stdin.write("end\n")
        child.stdin.flush()
        after, received = child.stdout.readline().split()
    finally:
        child.stdin.close()
        child.wait(30)
        child.stdout.close()
    if int(received) != n + 50:
        raise SystemExit(f"sink bench: {received} messages received, {n + 50} sent")
    return {
        "sink": kind,
        "n": n,
        "cpu_ms_per_message": 1000 * (float(after) - before) / n,
        "wall_s": wall,
        "message_bytes": len(MESSAGE),
        "pipelined": pipelined,
    }


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sink", choices=("lean", "block", "aiosmtpd"), default="lean")
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument(
        "--smtplib", action="store_true", help="send with smtplib (one command at a time)"
    )
    args = parser.parse_args(argv)
    print(run(args.sink, args.n, pipelined=not args.smtplib))


if __name__ == "__main__":
    main()
