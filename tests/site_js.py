"""The site's JavaScript toolchain (site-js/): `npm ci` once, from the committed lock.

Used by the tests that rebuild the in-browser verifier bundle and by the browser tests that
inject axe-core. Never skips: without Node and npm the caller fails with the reason.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.npm_lock import npm_install_lock

__all__ = ["SITE_JS_DIR", "SiteJsError", "ensure_site_js"]

SITE_JS_DIR = Path(__file__).resolve().parents[1] / "site-js"
_TIMEOUT_S = 300


class SiteJsError(RuntimeError):
    """Node/npm is missing or `npm ci` failed."""


def _installed_version(name: str) -> str | None:
    manifest = SITE_JS_DIR / "node_modules" / name / "package.json"
    if not manifest.is_file():
        return None
    version: str = json.loads(manifest.read_text(encoding="utf-8"))["version"]
    return version


def _ready() -> bool:
    wanted = json.loads((SITE_JS_DIR / "package.json").read_text(encoding="utf-8"))
    pins: dict[str, str] = {**wanted["dependencies"], **wanted.get("devDependencies", {})}
    return all(_installed_version(name) == version for name, version in pins.items())


def ensure_site_js() -> Path:
    """Install site-js/'s pinned npm packages unless they already are; return the folder.

    Raises:
        SiteJsError: node or npm is missing, or the install failed.
    """
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise SiteJsError(f"`{tool}` is not on PATH; site-js/ needs Node 20+ and npm")
    if _ready():
        return SITE_JS_DIR
    with npm_install_lock(SITE_JS_DIR):
        if _ready():  # another xdist worker installed it meanwhile
            return SITE_JS_DIR
        proc = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=SITE_JS_DIR,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_S,
            check=False,
        )
    if proc.returncode != 0 or not _ready():
        raise SiteJsError(f"npm ci failed in {SITE_JS_DIR}:\n{proc.stderr[-4000:]}")
    return SITE_JS_DIR
