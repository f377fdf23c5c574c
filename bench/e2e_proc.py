"""Process helpers for the end-to-end benchmark: a free port, and the RSS of a process tree.

`TreeSampler` keeps, besides the tree's peak, each process's own peak (labelled by its
command line: the flow, Prefect's API server, signing and site workers, multiprocessing's
resource tracker) and what each process held at the moment the tree peaked.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from bisect import bisect_left
from pathlib import Path

__all__ = ["TreeSampler", "free_port"]


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


_TICK = os.sysconf("SC_CLK_TCK")
_LABEL_MAX = 90


def _label(pid: int) -> str:
    """A short name for a process: its command line, the interpreter path cut to its name."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [a.decode("utf-8", "replace") for a in argv if a]
    if not words:
        return "?"
    words[0] = Path(words[0]).name
    text = " ".join(words)
    if "multiprocessing.spawn" in text:
        text = "multiprocessing spawn worker"
    elif "multiprocessing.resource_tracker" in text:
        text = "multiprocessing resource tracker"
    elif "multiprocessing.forkserver" in text:
        text = "multiprocessing forkserver"
    return text[:_LABEL_MAX]


def machine_seconds(stat: str | None = None) -> tuple[float, float]:
    """The machine's idle (with I/O wait) and kernel CPU seconds since boot, over its CPUs.

    Args:
        stat: the text of /proc/stat (default: read it; zeros where there is none).
    """
    try:
        text = Path("/proc/stat").read_text(encoding="ascii") if stat is None else stat
    except OSError:
        return 0.0, 0.0
    fields = text.split("\n", 1)[0].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[4]) + int(fields[5])) / tick, int(fields[3]) / tick


def _cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()  # the name may hold spaces
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


class TreeSampler:
    """Samples the resident memory of a process and of its whole tree until stopped.

    Attributes:
        peak_flow: the root process's highest RSS seen (kB).
        peak_tree: the highest sum over the root and all its descendants (kB).
        peaks: per process id, its label and its own highest RSS seen (kB).
        at_peak: (label, RSS kB) of each process of the tree when it peaked, largest first.
        samples: (Unix time, root CPU seconds, tree CPU seconds) per sample, in order. The
            tree's CPU includes processes that have ended since (their last reading: up to
            one interval of a short-lived worker's CPU may be missed).
        memory: (Unix time, root RSS kB, tree RSS kB) per sample, in order.
        machine: (Unix time, this process's CPU seconds, the machine's idle and kernel CPU
            seconds from /proc/stat) per sample, in order: this process runs the fake servers and
            the SMTP sink (and the sampler itself), whose CPU is not the flow's.
    """

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        """Watch `pid` every `interval` seconds."""
        self.pid, self.interval = pid, interval
        self.peak_flow = self.peak_tree = 0
        self.peaks: dict[int, tuple[str, int]] = {}
        self.at_peak: list[tuple[str, int]] = []
        self.samples: list[tuple[float, float, float]] = []
        self.memory: list[tuple[float, int, int]] = []
        self.machine: list[tuple[float, float, float, float]] = []
        self._cpu: dict[int, float] = {}
        self._stop = threading.Event()

    def sample(self) -> None:
        """Take one sample."""
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            todo += _children(pid)
        rss = {pid: _rss_kb(pid) for pid in pids}
        flow = rss[self.pid]
        self.peak_flow = max(self.peak_flow, flow)
        for pid, kb in rss.items():
            label, peak = self.peaks.get(pid) or (_label(pid), 0)
            self.peaks[pid] = (label, max(peak, kb))
        if sum(rss.values()) > self.peak_tree:
            self.peak_tree = sum(rss.values())
            self.at_peak = sorted(
                ((self.peaks[pid][0], kb) for pid, kb in rss.items()), key=lambda p: -p[1]
            )
        for pid in pids:
            self._cpu[pid] = max(self._cpu.get(pid, 0.0), _cpu_seconds(pid))
        now = time.time()
        self.samples.append((now, self._cpu[self.pid], sum(self._cpu.values())))
        self.memory.append((now, flow, sum(rss.values())))
        self.machine.append((now, time.process_time(), *machine_seconds()))

    def process_peaks(self) -> list[tuple[str, float]]:
        """(label, peak RSS MB) of every process seen, largest first."""
        return sorted(
            ((label, kb / 1024) for label, kb in self.peaks.values()), key=lambda p: -p[1]
        )

    def cpu_between(self, start: float, end: float) -> tuple[float, float]:
        """CPU seconds (root, tree) spent between two Unix times, from the nearest samples."""
        if not self.samples:
            return 0.0, 0.0
        times = [s[0] for s in self.samples]
        first = self.samples[min(bisect_left(times, start), len(times) - 1)]
        last = self.samples[min(bisect_left(times, end), len(times) - 1)]
        return last[1] - first[1], last[2] - first[2]

    def process_cpu(self) -> list[tuple[str, float]]:
        """(label, CPU seconds) of every process seen (its last reading), largest first."""
        return sorted(
            ((self.peaks[pid][0], cpu) for pid, cpu in self._cpu.items() if pid in self.peaks),
            key=lambda p: -p[1],
        )

    def machine_between(self, start: float, end: float) -> tuple[float, float, float]:
        """(this process's CPU s, the machine's idle and kernel CPU s) between two times."""
        if not self.machine:
            return 0.0, 0.0, 0.0
        times = [m[0] for m in self.machine]
        first = self.machine[min(bisect_left(times, start), len(times) - 1)]
        last = self.machine[min(bisect_left(times, end), len(times) - 1)]
        return last[1] - first[1], last[2] - first[2], last[3] - first[3]

    def peak_between(self, start: float, end: float) -> tuple[float, float]:
        """Peak RSS MB (root, tree) sampled between two Unix times (0 when none fell there)."""
        inside = [(flow, tree) for at, flow, tree in self.memory if start <= at <= end]
        if not inside:
            return 0.0, 0.0
        return max(f for f, _ in inside) / 1024, max(t for _, t in inside) / 1024

    def run(self) -> None:
        """Sample until `stop` (run it in a thread)."""
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def stop(self) -> None:
        """End `run`."""
        self._stop.set()
