"""The machine under a benchmark: its CPU, and whether its files land on a journal-less ext4.

Figures from two hosts of the same kind differ: the same code ran the 100,000-completion
batch in 500 s on one 2-core host and 202 s on another, whose cores ran Python about 2.5
times as fast. Each report says which CPU it ran on (`cpu`).

ext4 without a journal (the machines this project is built and tested on, some cloud VMs'
scratch disks) will not hand out an inode freed less than a minute ago, or six minutes while
its inode table block is still dirty: every new file scans past each such inode of its block
group. After a large deletion (a previous run's site, 1.1 million files at 100,000
completions) file creation costs several times more for those minutes; `perf` shows the
kernel in `recently_deleted`. A journaled ext4, XFS or object storage does no such check. The
benchmarks print a note when their work folder is on such a file system, so figures are taken
with no large deletion in the six minutes before or during a run.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cpu", "fs_note", "journal_less_ext4"]


def journal_less_ext4(path: Path, sys_root: Path = Path("/sys")) -> str | None:
    """Return the block device's name when ``path`` is on ext4 without a journal, else None."""
    device = os.stat(path).st_dev
    link = sys_root / "dev" / "block" / f"{os.major(device)}:{os.minor(device)}"
    try:
        name = link.resolve(strict=True).name
        journal = (sys_root / "fs" / "ext4" / name / "journal_task").read_text(encoding="utf-8")
    except OSError:  # not ext4, not a block device (tmpfs, overlay), or no sysfs
        return None
    return name if journal.strip() == "<none>" else None


def cpu(cpuinfo: Path = Path("/proc/cpuinfo")) -> dict[str, object]:
    """The CPU count and, where /proc tells, the model and clock of the first core."""
    found: dict[str, object] = {"cpus": os.cpu_count()}
    try:
        text = cpuinfo.read_text(encoding="utf-8")
    except OSError:
        return found
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and "cpu_model" not in found:
            found["cpu_model"] = value.strip()
        elif key.strip() == "cpu MHz" and "cpu_mhz" not in found:
            found["cpu_mhz"] = round(float(value), 0)
    return found


def fs_note(path: Path, sys_root: Path = Path("/sys")) -> str | None:
    """The line a benchmark prints about its work folder's file system, if there is one."""
    name = journal_less_ext4(path, sys_root)
    if name is None:
        return None
    return (
        f"file system: {path} is on ext4 without a journal ({name}): for ~6 minutes after a "
        "large deletion, creating files costs several times more; take figures with none "
        "before or during the run"
    )
