"""The benchmark's process-tree sampler: peaks per process, and CPU of processes that ended."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench.e2e_proc import TreeSampler, machine_seconds

_CHILD = "b = bytearray(60_000_000); sum(range(1_000_000)); import time; time.sleep(0.2)"
_ROOT = (
    "import subprocess, sys, time\n"
    f"subprocess.run([sys.executable, '-c', {_CHILD!r}])\n"
    "time.sleep(0.1)\n"
)


def test_each_process_peak_is_kept_and_an_ended_child_cpu_still_counts():
    root = subprocess.Popen([sys.executable, "-c", _ROOT])
    sampler = TreeSampler(root.pid)
    started = time.time()
    try:
        while root.poll() is None:
            sampler.sample()
            time.sleep(0.05)
    finally:
        root.wait()
    peaks = sampler.process_peaks()
    assert len(peaks) == 2  # the root and its child, each with its own label
    assert "bytearray" in peaks[0][0] and peaks[0][1] > 55  # the child held 60 MB
    assert sampler.peak_tree >= sampler.peak_flow + 55 * 1024
    assert [label for label, _ in sampler.at_peak][0] == peaks[0][0]
    cpu = [tree for _, _, tree in sampler.samples]
    assert cpu == sorted(cpu)  # the child's CPU does not vanish when it ends
    assert sampler.peak_between(started, time.time())[1] * 1024 == sampler.peak_tree
    assert sampler.peak_between(0, 1) == (0.0, 0.0)
    by_process = dict(sampler.process_cpu())
    assert by_process[peaks[0][0]] > 0  # the child summed a million numbers
    assert set(by_process) == {label for label, _ in peaks}


def test_the_samplers_own_cpu_and_the_machines_idle_time_are_taken_per_sample():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        sampler = TreeSampler(child.pid)
        sampler.sample()
        started = time.time()
        spent = time.process_time()
        while time.process_time() - spent < 0.3:  # this process (the "servers") busy 0.3 s
            pass
        sampler.sample()
    finally:
        child.kill()
        child.wait()
    own, _, _ = sampler.machine_between(started - 1, time.time())
    assert own >= 0.3
    assert sampler.machine_between(0, 1) == (0.0, 0.0, 0.0)  # before the first sample


def test_idle_time_is_idle_plus_iowait_and_kernel_time_is_system_in_proc_stat():
    stat = "cpu  10 0 20 300 50 0 1 0 0 0\ncpu0 5 0 10 150 25 0 1 0 0 0\n"
    tick = os.sysconf("SC_CLK_TCK")
    assert machine_seconds(stat) == (350 / tick, 20 / tick)
