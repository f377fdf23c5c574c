"""Install a folder's pinned npm packages once (`npm ci` from its committed lock).

Shared by the interop harness (interop/) and the site's JavaScript (site-js/). Several
pytest-xdist workers may ask at once: the install runs under an fcntl lock, and a worker that
waited re-checks before installing again.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import time
from pathlib import Path

__all__ = ["NpmInstallError", "ensure_npm_packages", "npm_packages_ready"]

_TIMEOUT_S = 300


class NpmInstallError(RuntimeError):
    """node or npm is missing, or `npm ci` failed."""


def _installed_version(folder: Path, package: str) -> str | None:
    manifest = folder / "node_modules" / package / "package.json"
    if not manifest.is_file():
        return None
    return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])


def npm_packages_ready(folder: Path) -> bool:
    """True when every (dev) dependency of ``folder/package.json`` is installed at its pin."""
    wanted = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    pins: dict[str, str] = {**wanted["dependencies"], **wanted.get("devDependencies", {})}
    return all(_installed_version(folder, name) == version for name, version in pins.items())


def ensure_npm_packages(folder: Path) -> float:
    """Run ``npm ci`` in ``folder`` unless its pinned packages are installed.

    Returns:
        Seconds spent installing (0.0 when nothing was installed).

    Raises:
        NpmInstallError: node or npm is missing, or the install failed.
    """
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise NpmInstallError(f"`{tool}` is not on PATH; {folder.name}/ needs Node 20+ and npm")
    if npm_packages_ready(folder):
        return 0.0
    started = time.perf_counter()
    with (folder / ".npm-install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if npm_packages_ready(folder):  # another xdist worker installed them meanwhile
            return 0.0
        proc = subprocess.run(
            # `npm ci` installs exactly what the committed package-lock.json pins.
            ["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(folder)],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_S,
            check=False,
        )
    if proc.returncode != 0 or not npm_packages_ready(folder):
        raise NpmInstallError(f"npm ci failed in {folder}:\n{proc.stderr[-4000:]}")
    return time.perf_counter() - started
