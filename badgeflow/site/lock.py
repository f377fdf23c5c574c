"""One publish of a site folder at a time: the nightly publish, a rebuild, the CLI.

Two publishes of the same folder at once would interleave their writes and their manifests
(the weekly rebuild starting while a late nightly batch still publishes, an admin's
``badgeflow site publish`` during either). Each publish holds an exclusive ``flock`` on
``.<folder>.lock`` beside the folder; a second one waits for the first to finish. The kernel
drops the lock when its holder exits, however it exits, so a killed publish never blocks the
next one (unlike a lease). On NFS, Linux maps ``flock`` to POSIX byte-range locks, which the
lock manager shares across hosts.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["lock_path", "site_lock"]


def lock_path(output_dir: Path) -> Path:
    """The lock file of a site folder: beside it, so it is never published."""
    return output_dir.parent / f".{output_dir.name}.lock"


@contextmanager
def site_lock(output_dir: Path, *, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the site folder's publish lock for the block, waiting for it if need be.

    Args:
        output_dir: the site folder.
        on_wait: called once, before waiting, when another publish holds the lock.

    Yields:
        Nothing; the lock is released when the block ends.
    """
    path = lock_path(output_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
