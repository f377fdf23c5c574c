"""The site's file-system primitives: folders, new files, atomic replacement, staged swaps."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["make_folder", "replace_atomically", "staged_folder", "write_new"]


def make_folder(path: str) -> None:
    """Make a folder (and its parents when missing); an existing folder is fine."""
    try:
        os.mkdir(path)
    except FileNotFoundError:
        os.makedirs(path, exist_ok=True)
    except FileExistsError:
        if not os.path.isdir(path):
            raise


def write_new(target: str, data: bytes, *, exclusive: bool) -> os.stat_result | None:
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
    written = os.write(fd, data)  # all of it, but for a short write
    if written == len(data):
        return
    view = memoryview(data)[written:]
    while view:
        view = view[os.write(fd, view) :]


def replace_atomically(target: Path, data: bytes) -> os.stat_result:
    """Replace ``target`` with ``data`` through a temporary file renamed over it."""
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


@contextmanager
def staged_folder(output_dir: Path) -> Iterator[Path]:
    """A staging folder beside ``output_dir``, swapped in on a clean exit, else removed."""
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
