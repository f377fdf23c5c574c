"""What the benchmarks say about their machine: the CPU, and ext4 without a journal."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.machine import cpu, fs_note, journal_less_ext4


def _sysfs(root: Path, folder: Path, journal: str | None) -> Path:
    """A /sys with the block device of ``folder`` as ``vdz`` and its ext4 journal state."""
    device = os.stat(folder).st_dev
    sys_root = root / "sys"
    real = sys_root / "devices" / "virtual" / "block" / "vdz"
    real.mkdir(parents=True)
    (sys_root / "dev" / "block").mkdir(parents=True)
    (sys_root / "dev" / "block" / f"{os.major(device)}:{os.minor(device)}").symlink_to(real)
    if journal is not None:
        (sys_root / "fs" / "ext4" / "vdz").mkdir(parents=True)
        (sys_root / "fs" / "ext4" / "vdz" / "journal_task").write_text(journal + "\n")
    return sys_root


@pytest.mark.parametrize(
    ("journal", "expected"),
    [("<none>", "vdz"), ("jbd2/vdz-8", None), (None, None)],
    ids=["ext4 without a journal", "journaled ext4", "not ext4"],
)
def test_only_ext4_without_a_journal_is_named(tmp_path, journal, expected) -> None:
    work = tmp_path / "work"
    work.mkdir()
    sys_root = _sysfs(tmp_path, work, journal)
    assert journal_less_ext4(work, sys_root) == expected
    line = fs_note(work, sys_root)
    if expected is None:
        assert line is None
    else:
        assert line is not None and "without a journal (vdz)" in line and str(work) in line


def test_a_missing_sysfs_means_no_note(tmp_path) -> None:
    assert journal_less_ext4(tmp_path, tmp_path / "no-sys") is None
    assert fs_note(tmp_path, tmp_path / "no-sys") is None


def test_the_cpu_is_read_from_proc(tmp_path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text(
        "processor\t: 0\nmodel name\t: AMD EPYC 9B14\ncpu MHz\t\t: 2596.134\n\n"
        "processor\t: 1\nmodel name\t: other\ncpu MHz\t\t: 1.0\n"
    )
    assert cpu(info) == {"cpus": os.cpu_count(), "cpu_model": "AMD EPYC 9B14", "cpu_mhz": 2596.0}
    assert cpu(tmp_path / "missing") == {"cpus": os.cpu_count()}
