"""Write the site's files: in place, only what changed (incremental), or staged and swapped (full).

The manifest (`manifest_path`) maps every published path to its digest, size, mtime and
inode, and every render unit (a credential and its files, see `TreeWriter.keep_unit`) to the
digest of what it was rendered from. It is written last, atomically, and lives *beside* the
site folder, not in it: it lists every path, accept pages included, whose folder name is the
learner's secret. An entry is trusted only when the file's size, mtime and inode still match
and the file is older than the manifest by a margin (a "racily clean" file is compared byte
for byte, as git does with its index); a missing, corrupt or stale manifest only costs
rendering every page and reading the files to compare them.

Entries are kept as short strings (``"<digest> <size> <mtime_ns> <inode>"``, digest ``-``
when not trusted), not tuples: a site of 100,000 credentials has 1.2 million files.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

__all__ = [
    "MANIFEST_SUFFIX",
    "TreeCounts",
    "TreeWriter",
    "file_digest",
    "manifest_path",
    "site_tree",
]

logger = logging.getLogger(__name__)

MANIFEST_SUFFIX: Final = ".badgeflow-site.json"
_VERSION: Final = 1
_RACY_NS: Final = 2_000_000_000
"""Files modified this close to the manifest's writing are compared byte for byte."""
_UNTRUSTED: Final = "-"


def file_digest(data: bytes) -> str:
    """The digest the manifest records for a file's bytes (SHA-256, first 128 bits in hex)."""
    return hashlib.sha256(data).hexdigest()[:32]


@dataclass(frozen=True)
class TreeCounts:
    """What a build did to the files: written (new or changed), left alone, deleted."""

    changed: int
    unchanged: int
    deleted: int


def manifest_path(output_dir: Path) -> Path:
    """Return where the manifest of the site in ``output_dir`` lives (beside it, hidden)."""
    return output_dir.parent / f".{output_dir.name}{MANIFEST_SUFFIX}"


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
            _make_folder(f"{self.root}/{folder}")
            self._folders.add(folder)
        target = f"{self.root}/{relative}"
        # A file that was not there when the build started is written in place: nobody can
        # be reading it yet, and one half-written by a crash is in no manifest, so the next
        # build compares it by content and rewrites it. Replacing a file is atomic.
        stat = _write_new(target, data, exclusive=self._atomic) if old is None else None
        if stat is None:
            stat = _replace_atomically(Path(target), data)
        self._entries[relative] = f"{digest} {stat.st_size} {stat.st_mtime_ns} {stat.st_ino}"
        self.changed += 1

    def _same(self, relative: str, old: str, data: bytes, digest: str) -> bool:
        trusted, size, _ = old.split(" ", 2)
        if int(size) != len(data):
            return False
        if trusted != _UNTRUSTED:
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
        if any(o is None or o.startswith(_UNTRUSTED) for o in olds):
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
        """Write the manifest of what was published, atomically (temp file + rename)."""
        temporary = path.parent / f"{path.name}.tmp-{uuid.uuid4().hex[:12]}"
        with temporary.open("w", encoding="utf-8") as handle:
            handle.write(f'{{"version":{_VERSION},"written_ns":{time.time_ns()},"files":')
            handle.write(json.dumps(dict(sorted(self._entries.items())), separators=(",", ":")))
            handle.write(',"units":')
            handle.write(json.dumps(dict(sorted(self._units.items())), separators=(",", ":")))
            handle.write("}")
        os.replace(temporary, path)


def _make_folder(path: str) -> None:
    try:
        os.mkdir(path)
    except FileNotFoundError:
        os.makedirs(path, exist_ok=True)
    except FileExistsError:
        if not os.path.isdir(path):
            raise


def _write_new(target: str, data: bytes, *, exclusive: bool) -> os.stat_result | None:
    """Write a file in place; None if ``exclusive`` and something is already there."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    try:
        fd = os.open(target, flags, 0o644)
    except (FileExistsError, IsADirectoryError):
        if exclusive:
            return None
        raise
    try:
        _write_all(fd, data)
        return os.fstat(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _replace_atomically(target: Path, data: bytes) -> os.stat_result:
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    temporary = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:12]}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            stat = os.fstat(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return stat


def _walk(
    root: Path, manifest: dict[str, str], cutoff: int, *, stat: bool = True
) -> dict[str, str]:
    """Every file under ``root``, with its manifest digest when the entry can be trusted.

    Entries are popped from ``manifest`` as files are found, so the two maps are never
    both whole in memory. Without ``stat`` (a full rebuild only counts what it replaces),
    files are listed by name alone.
    """
    found: dict[str, str] = {}
    if not root.is_dir():
        return found
    stack = [""]  # site-relative folder paths, "" for the root: strings, as Path is slow here
    while stack:
        folder = stack.pop()
        with os.scandir(f"{root}/{folder}" if folder else root) as entries:
            for entry in entries:
                relative = f"{folder}/{entry.name}" if folder else entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append(relative)
                    continue
                if not stat:
                    found[relative] = ""
                    continue
                info = entry.stat(follow_symlinks=False)
                now = f"{info.st_size} {info.st_mtime_ns} {info.st_ino}"
                old = manifest.pop(relative, None)
                if old is not None and info.st_mtime_ns < cutoff:
                    digest, _, recorded = old.partition(" ")
                    if recorded == now:
                        found[relative] = old
                        continue
                found[relative] = f"{_UNTRUSTED} {now}"
    return found


def _read_manifest(path: Path) -> tuple[dict[str, str], dict[str, str], int]:
    """The manifest's files and units, and the cutoff below which its entries are trusted."""
    try:
        document: Any = json.loads(path.read_text("utf-8"))
        if document.get("version") != _VERSION:
            raise ValueError(f"version {document.get('version')!r}")
        cutoff = int(document["written_ns"]) - _RACY_NS
        files: dict[str, str] = {}
        for name, entry in document.pop("files").items():
            if not isinstance(entry, str):  # the first manifests: [sha256, size, mtime, inode]
                entry = " ".join(str(part) for part in entry)
            files[name] = entry
        units = document.get("units", {})
        if not isinstance(units, dict):
            raise ValueError("units is not an object")
        return files, {str(k): str(v) for k, v in units.items()}, cutoff
    except FileNotFoundError:
        return {}, {}, 0
    except (ValueError, TypeError, KeyError, AttributeError, OSError) as exc:
        logger.warning("site manifest %s is unusable (%s): comparing file contents", path, exc)
        return {}, {}, 0


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
        files, units, cutoff = ({}, {}, 0) if full else _read_manifest(manifest)
        existing = _walk(output_dir, files, cutoff, stat=not full)
        del files
        if full or not existing:
            with _staged(output_dir) as staging:
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


@contextmanager
def _staged(output_dir: Path) -> Iterator[Path]:
    staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.new-", dir=output_dir.parent))
    try:
        staging.chmod(0o755)
        yield staging
        _swap_in(staging, output_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_in(staging: Path, output_dir: Path) -> None:
    if not output_dir.exists():
        staging.rename(output_dir)
        return
    retired = output_dir.parent / f".{output_dir.name}.old-{uuid.uuid4().hex[:8]}"
    output_dir.rename(retired)
    try:
        staging.rename(output_dir)
    except BaseException:
        retired.rename(output_dir)
        raise
    shutil.rmtree(retired, ignore_errors=True)
