"""The site's JavaScript toolchain (site-js/): `npm ci` once, from the committed lock.

Used by the tests that rebuild the in-browser verifier bundle and by the browser tests that
inject axe-core. Never skips: without Node and npm the caller fails with the reason.
"""

from __future__ import annotations

from pathlib import Path

from tests.npm_packages import NpmInstallError, ensure_npm_packages

__all__ = ["SITE_JS_DIR", "SiteJsError", "ensure_site_js"]

SITE_JS_DIR = Path(__file__).resolve().parents[1] / "site-js"


class SiteJsError(RuntimeError):
    """Node/npm is missing or `npm ci` failed."""


def ensure_site_js() -> Path:
    """Install site-js/'s pinned npm packages unless they already are; return the folder.

    Raises:
        SiteJsError: node or npm is missing, or the install failed.
    """
    try:
        ensure_npm_packages(SITE_JS_DIR)
    except NpmInstallError as exc:
        raise SiteJsError(str(exc)) from exc
    return SITE_JS_DIR
