"""The site's file primitives: a new file holds every byte, even across short writes."""

from __future__ import annotations

import os

from badgeflow.site import _files


def test_write_new_writes_every_byte(tmp_path):
    data = bytes(range(256)) * 4
    stat = _files.write_new(str(tmp_path / "a"), data, exclusive=True)
    assert stat is not None and stat.st_size == len(data)
    assert (tmp_path / "a").read_bytes() == data
    assert _files.write_new(str(tmp_path / "a"), b"x", exclusive=True) is None


def test_write_new_finishes_short_writes(tmp_path, monkeypatch):
    # A regular file never takes less than asked: a stand-in os.write does, 7 bytes at a time.
    real = os.write
    monkeypatch.setattr(_files.os, "write", lambda fd, data: real(fd, bytes(data[:7])))
    data = b"0123456789" * 5
    _files.write_new(str(tmp_path / "b"), data, exclusive=False)
    assert (tmp_path / "b").read_bytes() == data
    _files.write_new(str(tmp_path / "c"), b"", exclusive=False)
    assert (tmp_path / "c").read_bytes() == b""
