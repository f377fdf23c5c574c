"""The render cache: what a credential's files are rendered from, as one digest.

An incremental publish skips a credential (renders nothing, compares nothing) when the
digest of its inputs equals the one the previous build recorded and every file it published
is provably untouched (`badgeflow.site._tree.TreeWriter.keep_unit`). The digest covers:

* the site digest (`site_digest`): the site's code and templates, the jinja2 and markupsafe
  versions, the issuer, every achievement (its data and images), the base URL, the DID
  document's URL and the indexing choice. Any change there re-renders every credential;
* the credential's own fields, its baked images (bytes, the image file's path, size, mtime
  and inode, or the baking function and its text arguments) and its state at the build
  clock (``valid``, ``expired``, ``revoked``, ``suspended``), so expiry re-renders exactly
  the credentials that expired;
* what its extra files (hosted OB 2.0 copies) are made from, when the caller tells
  (`SiteCredential.extra_cache`): then they are kept with the rest, not made again.

A credential whose inputs cannot be digested (a baked SVG made by an arbitrary function) is
rendered every time, as before.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from functools import partial
from importlib import metadata, resources
from pathlib import Path
from typing import Any, Final

from badgeflow.site import layout
from badgeflow.site.inputs import SiteAchievement, SiteCredential

__all__ = ["credential_digest", "credential_paths", "site_digest"]

_CACHE_VERSION: Final = "1"
# The code a page's bytes depend on beyond the templates (share links come from notify).
_SOURCES: Final = (
    "site",
    "templates/site",
    "notify/render.py",
    "credentials/jws.py",
    "credentials/ob2",
    "credentials/bake.py",
    "credentials/bake_svg.py",
)


def _source_files() -> list[Path]:
    package = Path(str(resources.files("badgeflow")))
    found: list[Path] = []
    for name in _SOURCES:
        path = package / name
        found += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return [p for p in found if "__pycache__" not in p.parts]


def site_digest(
    common: dict[str, Any], achievements: Sequence[SiteAchievement], generated_state: str = ""
) -> str:
    """Digest everything every credential page depends on besides its own credential.

    Args:
        common: the variables every page gets (issuer, base URL, DID document URL, indexing).
        achievements: every achievement (data and image files).
        generated_state: anything else the caller's pages depend on.

    Returns:
        A hex digest.
    """
    h = hashlib.sha256(_CACHE_VERSION.encode())
    for dist in ("jinja2", "markupsafe"):
        h.update(f"\0{dist}={metadata.version(dist)}".encode())
    for path in _source_files():
        h.update(f"\0{path.name}\0".encode())
        h.update(path.read_bytes())
    h.update(repr(sorted(common.items())).encode())
    for item in achievements:
        h.update(repr(item.info).encode())
        for image in (item.image_png, item.image_svg):
            h.update(b"\0" + (image.read_bytes() if image is not None else b"-"))
    h.update(generated_state.encode())
    return h.hexdigest()


def credential_digest(site: str, credential: SiteCredential, state: str) -> str | None:
    """Digest what one credential's files are rendered from, or None if that is unknowable.

    Args:
        site: the `site_digest`.
        credential: the credential.
        state: its state at the build clock.

    Returns:
        A hex digest, or None (its baked SVG comes from an arbitrary function, or its baked
        PNG file is missing).
    """
    svg = _svg_key(credential.baked_svg)
    png = _png_key(credential.baked_png)
    if svg is None or png is None:
        return None
    c = credential
    fields = (
        c.credential_id,
        c.achievement_slug,
        c.awarded_at.isoformat(),
        c.valid_until.isoformat() if c.valid_until is not None else "",
        c.learner_name,
        c.status,
        state,
        c.jwt,
        c.accept_token,
        png,
        svg,
        c.extra_cache,
    )
    h = hashlib.sha256(site.encode())
    h.update(repr(fields).encode())
    h.update(b"\0")
    h.update(c.document.encode())
    return h.hexdigest()[:32]


def _png_key(png: bytes | Path | None) -> str | None:
    if png is None:
        return "-"
    if isinstance(png, bytes):
        return hashlib.sha256(png).hexdigest()
    try:
        stat = os.stat(png)
    except OSError:
        return None
    return f"{png}:{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}"


def _svg_key(svg: object) -> str | None:
    if svg is None:
        return "-"
    if isinstance(svg, str):
        return hashlib.sha256(svg.encode()).hexdigest()
    if isinstance(svg, partial) and not svg.keywords:
        if all(isinstance(arg, str) for arg in svg.args):
            h = hashlib.sha256(f"{svg.func.__module__}.{svg.func.__qualname__}".encode())
            for arg in svg.args:
                h.update(b"\0" + arg.encode())
            return h.hexdigest()
    return None


def credential_paths(credential: SiteCredential, flags: str) -> list[str]:
    """Every file a credential publishes, given which of its optional files it has.

    Args:
        credential: the credential.
        flags: ``j`` (JSON), ``p`` (PNG), ``s`` (SVG), ``w`` (VC-JWT), as recorded when
            it was rendered (`badgeflow.site._credential_pages.render_credential`).

    Returns:
        Site-relative paths.
    """
    cid = credential.credential_id
    paths = [f"{layout.credential_page(cid)}index.html"]
    if "j" in flags:
        paths.append(layout.credential_json(cid))
    if "p" in flags:
        paths.append(layout.credential_png(cid))
    if "s" in flags:
        paths.append(layout.credential_svg(cid))
    if "w" in flags:
        paths.append(layout.credential_jwt(cid))
    paths.append(f"{layout.share_page(cid)}index.html")
    paths += [f"{layout.share_redirect(cid, ch)}index.html" for ch in layout.SHARE_CHANNELS]
    if credential.accept_token is not None:
        paths.append(f"{layout.accept_page(credential.accept_token)}index.html")
        paths.append(f"{layout.accepted_page(credential.accept_token)}index.html")
    if credential.extra_cache is not None:
        paths += credential.extra_cache[1]
    return paths
