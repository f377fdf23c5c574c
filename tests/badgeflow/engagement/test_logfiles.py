"""Incremental reading by fingerprint: rotation, gzip, partial lines, copytruncate, pruning."""

from __future__ import annotations

import gzip
import os

from badgeflow.engagement import logfiles
from badgeflow.engagement.logfiles import find_log_files, read_lines


def _poll(pattern: str, state: dict) -> list[str]:
    lines = []
    for log_file in find_log_files(pattern, state):
        for block in read_lines(log_file, state):
            lines.extend(block)
    return lines


def _touch(path, seconds):
    os.utime(path, (seconds, seconds))


def test_rotation_and_gzip_never_reread(tmp_path):
    log = tmp_path / "access.log"
    pattern = str(tmp_path / "access.log*")
    state: dict = {}
    log.write_text("a1\na2\n")
    assert _poll(pattern, state) == ["a1", "a2"]
    log.write_text("a1\na2\na3\n")  # appended before the rotation
    log.rename(tmp_path / "access.log.1")
    _touch(tmp_path / "access.log.1", 1_000)
    log.write_text("b1\n")
    assert _poll(pattern, state) == ["a3", "b1"]
    # logrotate's next round: .1 is gzipped to .2.gz, the live file becomes .1
    with gzip.open(tmp_path / "access.log.2.gz", "wb") as out:
        out.write((tmp_path / "access.log.1").read_bytes())
    _touch(tmp_path / "access.log.2.gz", 1_000)
    (tmp_path / "access.log.1").unlink()
    log.rename(tmp_path / "access.log.1")
    log.write_text("c1\nc2\n")
    assert _poll(pattern, state) == ["c1", "c2"]
    assert _poll(pattern, state) == []
    assert len(state["files"]) == 3
    assert sum(entry["done"] for entry in state["files"].values()) == 1  # the .gz


def test_a_partial_last_line_waits_for_its_newline(tmp_path):
    log = tmp_path / "access.log"
    state: dict = {}
    log.write_bytes(b"l1\nl2 part")
    assert _poll(str(log), state) == ["l1"]
    with log.open("ab") as out:
        out.write(b"ial\nl3")
    assert _poll(str(log), state) == ["l2 partial"]
    with log.open("ab") as out:
        out.write(b"\n")
    assert _poll(str(log), state) == ["l3"]


def test_a_file_without_a_complete_first_line_is_left_for_later(tmp_path):
    log = tmp_path / "access.log"
    state: dict = {}
    log.write_bytes(b"")
    assert _poll(str(log), state) == []
    log.write_bytes(b"first, not fini")
    assert _poll(str(log), state) == []
    log.write_bytes(b"first, not finished\n")
    assert _poll(str(log), state) == ["first, not finished"]


def test_copytruncate_starts_the_new_content_from_zero(tmp_path):
    log = tmp_path / "access.log"
    state: dict = {}
    log.write_text("old1\nold2\nold3\n")
    assert _poll(str(log), state) == ["old1", "old2", "old3"]
    log.write_text("new1\n")  # truncated in place, a new first line
    assert _poll(str(log), state) == ["new1"]
    assert len(state["files"]) == 1  # the old fingerprint was pruned


def test_a_shorter_file_with_the_same_first_line_is_read_again(tmp_path):
    log = tmp_path / "access.log"
    state: dict = {}
    log.write_text("same\nx\ny\n")
    _poll(str(log), state)
    log.write_text("same\nz\n")
    assert _poll(str(log), state) == ["same", "z"]


def test_a_gzip_still_being_written_is_read_when_whole(tmp_path):
    whole = gzip.compress(b"".join(b"line %d\n" % n for n in range(5000)))
    path = tmp_path / "access.log.1.gz"
    path.write_bytes(whole[: len(whole) // 2])
    state: dict = {}
    assert _poll(str(path), state) == []
    assert not any(entry["done"] for entry in state["files"].values())
    path.write_bytes(whole)
    assert _poll(str(path), state) == [f"line {n}" for n in range(5000)]
    assert all(entry["done"] for entry in state["files"].values())


def test_blocks_split_on_line_boundaries(tmp_path, monkeypatch):
    # Tiny blocks: a line is never cut in two between blocks.
    monkeypatch.setattr(logfiles, "BLOCK_SIZE", 7)
    log = tmp_path / "access.log"
    log.write_text("".join(f"line number {n}\n" for n in range(50)))
    state: dict = {}
    assert _poll(str(log), state) == [f"line number {n}" for n in range(50)]


def test_the_state_offset_counts_decompressed_bytes(tmp_path):
    path = tmp_path / "access.log.2.gz"
    path.write_bytes(gzip.compress(b"abc\ndef\n"))
    state: dict = {}
    _poll(str(path), state)
    (entry,) = state["files"].values()
    assert entry == {"offset": 8, "done": True}
