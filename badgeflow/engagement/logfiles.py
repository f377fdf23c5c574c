"""Reading log files incrementally, safe across rotation, gzip and copytruncate.

A file is known by its **fingerprint**, the hash of its first complete line (decompressed for
``.gz``), not by its name: ``access.log`` renamed to ``access.log.1`` and gzipped to
``access.log.2.gz`` keeps its fingerprint and is read on from where it was left. The saved
state maps each fingerprint to the offset, in decompressed bytes, just after the last
complete line consumed. A file whose first line changed (copytruncate) is a new file and is
read from the start; a last line without its newline yet is left for the next poll; a
gzipped file read to its end is marked ``done`` and not decompressed again; fingerprints no
longer matched by the glob are dropped from the state.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from badgeflow.models import JSONDict

__all__ = ["BLOCK_SIZE", "LogFile", "find_log_files", "read_lines"]

BLOCK_SIZE: Final = 4 * 1024 * 1024
_FIRST_LINE_LIMIT: Final = 1024 * 1024
_GZIP_ERRORS: Final = (EOFError, gzip.BadGzipFile, zlib.error)


@dataclass(frozen=True)
class LogFile:
    """One file of a log to read: where it is, who it is, and where to start."""

    path: Path
    fingerprint: str
    start: int

    @property
    def gzipped(self) -> bool:
        """Whether the file is gzip-compressed (by its name)."""
        return self.path.name.endswith(".gz")


def _open(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _fingerprint(path: Path) -> str | None:
    try:
        with _open(path) as stream:
            first = stream.readline(_FIRST_LINE_LIMIT)
    except (OSError, *_GZIP_ERRORS):
        return None  # vanished between glob and open, unreadable, or still being gzipped
    if not first.endswith(b"\n"):
        return None  # empty, or its first line is not complete yet: next poll
    return hashlib.sha256(first).hexdigest()[:32]


def _entry(state: JSONDict, fingerprint: str) -> JSONDict:
    files: JSONDict = state.setdefault("files", {})
    entry: JSONDict = files.setdefault(fingerprint, {"offset": 0, "done": False})
    return entry


def find_log_files(pattern: str, state: JSONDict) -> list[LogFile]:
    """The files of a log that may hold unread lines, oldest first.

    Args:
        pattern: the log's path glob (`AccessLogSettings.path`).
        state: the saved state, updated in place: entries of new files are created (offset
            0), entries of files no longer there are dropped.

    Returns:
        One `LogFile` per distinct fingerprint (a rotated copy and its gzipped twin are one
        file), skipping gzipped files already read to their end.
    """
    paths = [Path(p) for p in glob.glob(pattern) if os.path.isfile(p)]
    paths.sort(key=lambda p: (_mtime(p), p.name))
    found: list[LogFile] = []
    seen: set[str] = set()
    for path in paths:
        fingerprint = _fingerprint(path)
        if fingerprint is None:
            continue
        seen.add(fingerprint)
        entry = _entry(state, fingerprint)
        if entry["done"] or fingerprint in {f.fingerprint for f in found}:
            continue
        start = int(entry["offset"])
        if not path.name.endswith(".gz") and _size(path) < start:
            start = entry["offset"] = 0  # shorter than what was read: rewritten in place
        found.append(LogFile(path, fingerprint, start))
    files: JSONDict = state.setdefault("files", {})
    for gone in [f for f in files if f not in seen]:
        del files[gone]  # deleted (rotated away): forgotten
    return found


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def read_lines(log: LogFile, state: JSONDict) -> Iterator[list[str]]:
    """Yield the complete unread lines of a file, block by block, advancing the state.

    When a block is yielded, the state's offset for the file is already just past that
    block's last newline: saving the state after consuming the block saves exactly what the
    caller has consumed.

    Args:
        log: from `find_log_files`.
        state: the same state; its entry for the file is updated in place.

    Yields:
        Lists of lines without their newline (decoded as UTF-8, bad bytes replaced).
    """
    entry = _entry(state, log.fingerprint)
    offset = log.start
    tail = b""
    try:
        with _open(log.path) as stream:
            stream.seek(offset)
            while block := stream.read(BLOCK_SIZE):
                data = tail + block if tail else block
                cut = data.rfind(b"\n")
                if cut < 0:
                    tail = data
                    continue
                tail = data[cut + 1 :]
                offset += cut + 1
                lines = data[:cut].decode("utf-8", "replace").split("\n")
                entry["offset"] = offset
                yield lines
        entry["done"] = log.gzipped and not tail
    except (OSError, *_GZIP_ERRORS):
        return  # truncated gzip (still being written) or vanished: the rest next poll
