"""One `npm ci` at a time per folder, across pytest-xdist workers (an fcntl lock file)."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["npm_install_lock"]


@contextmanager
def npm_install_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder/.npm-install.lock`` while installing there."""
    with (folder / ".npm-install.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
