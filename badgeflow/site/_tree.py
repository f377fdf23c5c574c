"""Write the site's files: in place, only what changed (incremental), or staged and swapped (full).

What the previous build published comes from its manifest (`badgeflow.site._manifest`),
checked against the disk; a file whose bytes are unchanged is left alone.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from badgeflow.site._files import make_folder, replace_atomically, staged_folder, write_new
from badgeflow.site._manifest import (
    MANIFEST_SUFFIX,
    UNTRUSTED,
    manifest_path,
    read_manifest,
    walk,
    write_manifest,
)

__all__ = [
    "MANIFEST_SUFFIX",
    "TreeCounts",
    "TreeWriter",
    "file_digest",
    "manifest_path",
    "site_tree",
]

logger = logging.getLogger(__name__)


def file_digest(data: bytes) -> str:
    """The digest the manifest records for a file's bytes (SHA-256, first 128 bits in hex)."""
    return hashlib.sha256(data).hexdigest()[:32]


@dataclass(frozen=True)
class TreeCounts:
    """What a build did to the files: written (new or changed), left alone, deleted."""

    changed: int
    unchanged: int
    deleted: int


class TreeWriter:
    """Put files under ``root``, writing only those whose bytes differ from what is there.

    Replacing a file goes through a temporary file in the target's folder, renamed over the
    target, so a reader (or a crash) sees the old file or the new one, never half of one. A
    file that did not exist when the build started, and every file of a staging folder
    nobody reads yet (``atomic=False``), is written straight.
    """

    def __init__(
        self,
        root: Path,
        existing: dict[str, str] | None = None,
        units: dict[str, str] | None = None,
        *,
        atomic: bool = True,
    ) -> None:
        self.root = root
        self._existing = existing or {}
        self._units_before = units or {}
        self._atomic = atomic
        self._entries: dict[str, str] = {}
        self._units: dict[str, str] = {}
        self._folders: set[str] = set()
        self.changed = 0
        self.unchanged = 0
        self.counts = TreeCounts(0, 0, 0)
        """Set when the build is published."""

    @property
    def staged(self) -> bool:
        """Whether this writes a staging folder (a full build) rather than the live site."""
        return not self._atomic

    def put(self, relative: str, data: bytes) -> None:
        """Publish ``data`` at ``relative`` unless the file already holds exactly these bytes."""
        digest = file_digest(data)
        old = self._existing.pop(relative, None)
        if old is not None and self._same(relative, old, data, digest):
            self._entries[relative] = digest + old[old.index(" ") :]
            self.unchanged += 1
            return
        folder, _, _ = relative.rpartition("/")
        if folder not in self._folders:
            make_folder(f"{self.root}/{folder}")
            self._folders.add(folder)
        target = f"{self.root}/{relative}"
        # A file that was not there when the build started is written in place: nobody can
        # be reading it yet, and one half-written by a crash is in no manifest, so the next
        # build compares it by content and rewrites it. Replacing a file is atomic.
        stat = write_new(target, data, exclusive=self._atomic) if old is None else None
        if stat is None:
            stat = replace_atomically(Path(target), data)
        self._entries[relative] = f"{digest} {stat.st_size} {stat.st_mtime_ns} {stat.st_ino}"
        self.changed += 1

    def _same(self, relative: str, old: str, data: bytes, digest: str) -> bool:
        trusted, size, _ = old.split(" ", 2)
        if int(size) != len(data):
            return False
        if trusted != UNTRUSTED:
            return trusted == digest
        try:
            return (self.root / relative).read_bytes() == data
        except OSError:
            return False

    def previous_unit(self, key: str) -> str | None:
        """What the previous build recorded for the render unit ``key`` (None if nothing)."""
        return self._units_before.get(key)

    def keep_unit(self, key: str, value: str, paths: Iterable[str]) -> bool:
        """Keep a unit's files as published, without rendering them, if provably unchanged.

        Only when the previous build recorded the same ``value`` (the digest of everything the
        unit's files are rendered from) and every one of ``paths`` is still exactly the file
        the manifest recorded (size, mtime and inode, and not racily clean).

        Args:
            key: the unit's name (a credential id).
            value: the unit's input digest (and anything else to remember, see `record_unit`).
            paths: the files the unit published.

        Returns:
            True if the files were kept; False if the caller must render them.
        """
        if self._units_before.get(key) != value:
            return False
        paths = list(paths)
        olds = [self._existing.get(p) for p in paths]
        if any(o is None or o.startswith(UNTRUSTED) for o in olds):
            return False
        for path, old in zip(paths, olds, strict=True):
            del self._existing[path]
            self._entries[path] = old  # type: ignore[assignment]
        self.unchanged += len(paths)
        self._units[key] = value
        return True

    def record_unit(self, key: str, value: str) -> None:
        """Remember a rendered unit's input digest for the next build (see `keep_unit`)."""
        self._units[key] = value

    def merge(self, entries: dict[str, str], units: dict[str, str], changed: int) -> None:
        """Take in what another writer (a worker process) wrote into the same folder."""
        existing = self._existing
        if existing:  # a file the worker replaced is produced, not stale
            for relative in entries:
                existing.pop(relative, None)
        self._entries.update(entries)
        self._units.update(units)
        self.changed += changed

    def collected(self) -> tuple[dict[str, str], dict[str, str], int]:
        """What this writer put: file entries, unit records, and how many files it wrote."""
        return self._entries, self._units, self.changed

    def published_any(self, paths: Iterable[str]) -> bool:
        """Whether any of ``paths`` was there when the build started (and is not yet put)."""
        existing = self._existing
        return any(path in existing for path in paths)

    def not_produced(self, paths: Iterable[str]) -> int:
        """How many of ``paths`` this build did not put."""
        return sum(1 for path in paths if path not in self._entries)

    def produced(self) -> set[str]:
        """Every file this build put (written or left as it was)."""
        return set(self._entries)

    def stale(self) -> set[str]:
        """Files that were there before this build and that it did not produce."""
        return set(self._existing)

    def finish(self) -> TreeCounts:
        """Delete every file this build did not produce, then prune emptied folders."""
        deleted = 0
        folders: set[Path] = set()
        for relative in self._existing:
            path = self.root / relative
            path.unlink(missing_ok=True)
            folders.add(path.parent)
            deleted += 1
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            while folder != self.root and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent
        return TreeCounts(self.changed, self.unchanged, deleted)

    def save_manifest(self, path: Path) -> None:
        """Write the manifest of what was published, atomically (`_manifest.write_manifest`)."""
        write_manifest(path, self._entries, self._units)


@contextmanager
def site_tree(output_dir: Path, *, full: bool) -> Iterator[TreeWriter]:
    """Open the site folder for one build; publish on a clean exit.

    Incremental (the default, in place): files are written as they are put, a changed one
    atomically, a new one straight (a reader can catch it half written only while it is
    written); on exit,
    files the build did not produce are deleted and the manifest is written. A crash midway
    leaves every existing file either old or new (never half), maybe a new file half
    written, and the old manifest, whose entries match neither; the next build compares
    those by content and fixes the rest.

    Full (``full=True``, or a missing or empty folder): everything is written into a staging
    folder beside ``output_dir``, swapped in whole at the end, so readers see the old site or
    the new one; on failure the staging folder is removed and the old site stays.

    Publishes to the same folder are serialised by a lock on its parent folder.

    Args:
        output_dir: the site folder.
        full: rebuild from scratch and swap the folder in.

    Yields:
        The writer to put every file through; its ``counts`` are set on exit.
    """
    parent = output_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    lock = os.open(parent, os.O_RDONLY)  # a lock on the folder holding the site: no lock file
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        manifest = manifest_path(output_dir)
        files, units, cutoff = ({}, {}, 0) if full else read_manifest(manifest)
        existing = walk(output_dir, files, cutoff, stat=not full)
        del files
        if full or not existing:
            with staged_folder(output_dir) as staging:
                writer = TreeWriter(staging, atomic=False)
                yield writer
                writer.counts = TreeCounts(writer.changed, 0, writer.not_produced(existing))
        else:
            writer = TreeWriter(output_dir, existing, units)
            yield writer
            writer.counts = writer.finish()
        writer.save_manifest(manifest)
    finally:
        os.close(lock)  # closing the descriptor releases the lock
