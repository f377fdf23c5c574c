"""Write the site's files: in place, only what changed (incremental), or staged and swapped (full).

The manifest (`manifest_path`) maps every published path to its SHA-256, size, mtime and
inode. It is written last, atomically, and lives *beside* the site folder, not in it: it lists
every path, accept pages included, whose folder name is the learner's secret. An entry is
trusted only when the file's size, mtime and inode still match and the file is older than the
manifest by a margin (a "racily clean" file is compared byte for byte, as git does with its
index); a missing, corrupt or stale manifest only costs reading the files to compare them.
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

__all__ = ["MANIFEST_SUFFIX", "TreeCounts", "TreeWriter", "manifest_path", "site_tree"]

logger = logging.getLogger(__name__)

MANIFEST_SUFFIX: Final = ".badgeflow-site.json"
_VERSION: Final = 1
_RACY_NS: Final = 2_000_000_000
"""Files modified this close to the manifest's writing are compared byte for byte."""

_Stat = tuple[int, int, int]  # size, mtime_ns, inode: small, as there may be 300k of them
_Entry = tuple[str, int, int, int]  # sha256 hex, size, mtime_ns, inode


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

    Each write goes to a temporary file in the target's folder, renamed over the target, so a
    reader (or a crash) sees the old file or the new one, never half of one.
    """

    def __init__(
        self,
        root: Path,
        existing: dict[str, _Stat],
        trusted: dict[str, str],
        *,
        atomic: bool = True,
    ) -> None:
        self.root = root
        self._existing = existing
        self._trusted = trusted
        self._atomic = atomic
        self._entries: dict[str, _Entry] = {}
        self.changed = 0
        self.unchanged = 0
        self.counts = TreeCounts(0, 0, 0)
        """Set when the build is published."""

    def put(self, relative: str, data: bytes) -> None:
        """Publish ``data`` at ``relative`` unless the file already holds exactly these bytes."""
        digest = hashlib.sha256(data).hexdigest()
        old = self._existing.get(relative)
        if old is not None and self._same(relative, old, data, digest):
            self._entries[relative] = (digest, *old)
            self.unchanged += 1
            return
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if not self._atomic:  # a staging folder nobody reads yet
            target.write_bytes(data)
            stat = target.stat()
            self._entries[relative] = (digest, stat.st_size, stat.st_mtime_ns, stat.st_ino)
            self.changed += 1
            return
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
        self._entries[relative] = (digest, stat.st_size, stat.st_mtime_ns, stat.st_ino)
        self.changed += 1

    def _same(self, relative: str, old: _Stat, data: bytes, digest: str) -> bool:
        if old[0] != len(data):
            return False
        trusted = self._trusted.get(relative)
        if trusted is not None:
            return trusted == digest
        try:
            return (self.root / relative).read_bytes() == data
        except OSError:
            return False

    def produced(self) -> set[str]:
        """Every file this build put (written or left as it was)."""
        return set(self._entries)

    def stale(self) -> set[str]:
        """Files that were there before this build and that it did not produce."""
        return self._existing.keys() - self._entries.keys()

    def finish(self) -> TreeCounts:
        """Delete every file this build did not produce, then prune emptied folders."""
        deleted = 0
        folders: set[Path] = set()
        for relative in self.stale():
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
        document = {
            "version": _VERSION,
            "written_ns": time.time_ns(),
            "files": {name: list(entry) for name, entry in sorted(self._entries.items())},
        }
        temporary = path.parent / f"{path.name}.tmp-{uuid.uuid4().hex[:12]}"
        temporary.write_text(json.dumps(document, separators=(",", ":")), "utf-8")
        os.replace(temporary, path)


def _walk(root: Path) -> dict[str, _Stat]:
    found: dict[str, _Stat] = {}
    if not root.is_dir():
        return found
    stack = [""]  # site-relative folder paths, "" for the root: strings, as Path is slow here
    while stack:
        folder = stack.pop()
        with os.scandir(root / folder if folder else root) as entries:
            for entry in entries:
                relative = f"{folder}/{entry.name}" if folder else entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append(relative)
                else:
                    stat = entry.stat(follow_symlinks=False)
                    found[relative] = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
    return found


def _trusted_digests(path: Path, existing: dict[str, _Stat]) -> dict[str, str]:
    """Digests from the manifest for files that provably have not changed since it was written."""
    try:
        document: Any = json.loads(path.read_text("utf-8"))
        if document.get("version") != _VERSION:
            raise ValueError(f"version {document.get('version')!r}")
        cutoff = int(document["written_ns"]) - _RACY_NS
        files = document["files"]
        trusted: dict[str, str] = {}
        for name, (digest, size, mtime_ns, inode) in files.items():
            if existing.get(name) == (size, mtime_ns, inode) and mtime_ns < cutoff:
                trusted[name] = str(digest)
        return trusted
    except FileNotFoundError:
        return {}
    except (ValueError, TypeError, KeyError, AttributeError, OSError) as exc:
        logger.warning("site manifest %s is unusable (%s): comparing file contents", path, exc)
        return {}


@contextmanager
def site_tree(output_dir: Path, *, full: bool) -> Iterator[TreeWriter]:
    """Open the site folder for one build; publish on a clean exit.

    Incremental (the default, in place): files are written as they are put, each atomically;
    on exit, files the build did not produce are deleted and the manifest is written. A
    crash midway leaves every file either old or new (never half), and the old manifest,
    whose entries no longer match the rewritten files; the next build compares those by
    content and fixes the rest.

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
        existing = _walk(output_dir)
        manifest = manifest_path(output_dir)
        if full or not existing:
            with _staged(output_dir) as staging:
                writer = TreeWriter(staging, {}, {}, atomic=False)
                yield writer
                writer.counts = TreeCounts(
                    writer.changed, 0, len(existing.keys() - writer.produced())
                )
        else:
            writer = TreeWriter(output_dir, existing, _trusted_digests(manifest, existing))
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
