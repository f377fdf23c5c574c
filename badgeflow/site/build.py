"""Build the static verification site: issuer profile, achievement pages, one page per credential.

An incremental build renders the site's own pages each time but skips every credential whose
inputs did not change (`badgeflow.site._units`), and writes only new or changed files, in
place (a changed one atomically); a full rebuild is built beside ``output_dir`` (credentials spread
over worker processes) and swapped in whole (see `badgeflow.site._tree`). Pages only use
relative links, so the folder works from any base URL and straight from disk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from badgeflow.errors import CatalogError
from badgeflow.models import IssuerInfo, JSONDict
from badgeflow.site import _learner_pages, layout
from badgeflow.site._credential_run import write_credentials
from badgeflow.site._documents import (
    achievement_document,
    check_public,
    profile_document,
)
from badgeflow.site._markdown import render_markdown
from badgeflow.site._tree import site_tree
from badgeflow.site._units import site_digest
from badgeflow.site._writer import SiteFileWriter
from badgeflow.site.inputs import (
    CredentialSource,
    CredentialStatus,
    SiteAchievement,
    SiteCredential,
    SiteReport,
)
from badgeflow.site.verifier_assets import VERIFY_PAGE, verifier_assets

__all__ = ["CredentialStatus", "SiteAchievement", "SiteCredential", "SiteReport", "build_site"]

logger = logging.getLogger(__name__)


def build_site(
    output_dir: Path,
    *,
    issuer: IssuerInfo,
    achievements: Sequence[SiteAchievement],
    credentials: CredentialSource,
    did_document: JSONDict,
    base_url: str,
    generated_at: datetime,
    issuer_logo: Path | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    progress_every: int = 100,
    extra_json: Mapping[str, JSONDict] | None = None,
    extra_files: Mapping[str, bytes | Callable[[], bytes]] | None = None,
    index_credentials: bool = False,
    full: bool = False,
    processes: int | None = None,
) -> SiteReport:
    """Build the whole verification site in ``output_dir``, writing only what changed.

    Incremental (the default): a credential whose inputs are unchanged since the last build
    (same digest, files untouched: `badgeflow.site._units`) is neither rendered nor compared;
    every other file is rendered, compared with the published one
    (through the manifest beside the folder, `badgeflow.site._tree.manifest_path`) and
    written only when new or changed, a changed one atomically (temporary file + rename), a
    new one straight (a reader can catch it half written only while it is written); files
    the build no longer produces are deleted and the manifest is written last. A crash
    midway leaves every existing file old or new, never half, and the next build fixes the
    rest. Full (``full=True``, and the first build into a missing or empty folder): built
    beside the folder and swapped in whole, so readers see the old site or the new one.

    Layout (relative to ``base_url``): ``index.html``; ``issuer/index.html``,
    ``issuer/profile.json``, ``issuer/logo.<ext>``; ``achievements/<slug>/index.html``,
    ``achievements/<slug>.{json,png,svg}``; ``credentials/<id>/index.html``,
    ``credentials/<id>.{json,png,svg,jwt}``; ``.well-known/did.json`` (plus ``did.json`` at the root
    when ``base_url`` has a path, where did:web resolves such DIDs); ``static/site.css``;
    ``verify/index.html`` and the in-browser verifier's files (`verifier_assets`).

    Args:
        output_dir: folder to publish to; replaced as a whole.
        issuer: the issuer.
        achievements: every achievement to list.
        credentials: every credential to publish.
        did_document: the issuer's DID document (public keys only).
        base_url: public base URL of the site.
        generated_at: the build time (timezone-aware), used to mark expired credentials
            (never printed on a page).
        issuer_logo: a PNG or SVG logo, copied to ``issuer/logo.<ext>``.
        on_progress: called with ``(done, total)`` every ``progress_every`` credentials and
            once at the end.
        progress_every: how often ``on_progress`` is called.
        extra_json: more JSON documents to publish, keyed by site-relative path (e.g. the
            status lists, ``status/revocation/1``: no extension, as their URL is their id).
        extra_files: more files (their bytes, or a function returning them, called only
            while the file is written), keyed by site-relative path (e.g. OB 2.0 baked images).
        index_credentials: let search engines index credential pages (they are ``noindex``
            and left out of ``sitemap.xml`` otherwise); accept and share pages never are.
        full: rebuild everything and swap the folder in, instead of updating it in place.
        processes: worker processes rendering the credentials of a full build (None: one
            per core when there are many, `badgeflow.site._credential_run.default_processes`;
            the output is the same whatever the number).

    Returns:
        What was published.

    Raises:
        CatalogError: duplicate slugs, or a credential for an unknown achievement.
        CredentialError: an unparsable credential, a duplicate id, or a document that would
            publish a plaintext email or private key material.
    """
    by_slug = _index_achievements(achievements)
    check_public(did_document, "the DID document")
    with site_tree(output_dir, full=full) as tree:
        writer = SiteFileWriter(tree)
        # No build time here: a page is a function of its data alone, so an unchanged page
        # keeps its bytes and an incremental publish leaves it alone.
        common = {
            "issuer": issuer,
            "did_document_url": _did_document_url(base_url),
            "base_url": base_url.rstrip("/"),
            "index_credentials": index_credentials,
        }
        _write_static(writer, issuer, did_document, base_url, issuer_logo)
        _learner_pages.write_crawler_files(writer, common, achievements, credentials)
        for relative, document in (extra_json or {}).items():
            check_public(document, relative)
            writer.json(layout.check_relative_path(relative), document)
        for relative, content in (extra_files or {}).items():
            data = content if isinstance(content, bytes) else content()
            writer.bytes(layout.check_relative_path(relative), data)
        writer.page(
            "index.html", "site/index.html", common, achievements=[a.info for a in achievements]
        )
        logo = f"logo{issuer_logo.suffix.lower()}" if issuer_logo is not None else None
        writer.page("issuer/index.html", "site/issuer.html", common, logo=logo)
        writer.page(f"{VERIFY_PAGE}index.html", "site/verify.html", common)
        for item in achievements:
            _write_achievement(writer, item, issuer, common)
        published = write_credentials(
            writer,
            credentials,
            by_slug,
            common,
            generated_at,
            site=site_digest(common, achievements),
            on_progress=on_progress,
            progress_every=progress_every,
            processes=processes,
        )
    counts = tree.counts
    logger.info(
        "published %d credentials (%d rendered), %d pages: %d files changed, %d unchanged, "
        "%d deleted%s",
        published,
        published - writer.kept_units,
        writer.pages,
        counts.changed,
        counts.unchanged,
        counts.deleted,
        " (full rebuild)" if full else "",
    )
    return SiteReport(
        output_dir,
        writer.pages,
        published,
        writer.files,
        counts.changed,
        counts.unchanged,
        counts.deleted,
        published - writer.kept_units,
    )


def _index_achievements(achievements: Sequence[SiteAchievement]) -> dict[str, SiteAchievement]:
    by_slug: dict[str, SiteAchievement] = {}
    for item in achievements:
        slug = layout.check_slug(item.info.slug)
        if slug in by_slug:
            raise CatalogError(f"achievement {slug!r} is listed twice")
        by_slug[slug] = item
    return by_slug


def _write_static(
    writer: SiteFileWriter,
    issuer: IssuerInfo,
    did_document: JSONDict,
    base_url: str,
    issuer_logo: Path | None,
) -> None:
    css = resources.files("badgeflow").joinpath("templates/site/static/site.css").read_bytes()
    writer.bytes("static/site.css", css)
    writer.json(".well-known/did.json", did_document)
    if urlsplit(base_url).path.strip("/"):
        writer.json("did.json", did_document)
    writer.json("issuer/profile.json", profile_document(issuer))
    for relative, data in verifier_assets(base_url=base_url, did_document=did_document).items():
        writer.bytes(relative, data)
    if issuer_logo is not None:
        suffix = issuer_logo.suffix.lower()
        if suffix not in (".png", ".svg"):
            raise CatalogError(f"issuer logo must be a .png or .svg file, got {issuer_logo.name}")
        writer.bytes(f"issuer/logo{suffix}", issuer_logo.read_bytes())


def _write_achievement(
    writer: SiteFileWriter, item: SiteAchievement, issuer: IssuerInfo, common: dict[str, Any]
) -> None:
    info = item.info
    writer.bytes(layout.achievement_image(info.slug, "png"), item.image_png.read_bytes())
    if item.image_svg is not None:
        writer.bytes(layout.achievement_image(info.slug, "svg"), item.image_svg.read_bytes())
    writer.json(layout.achievement_json(info.slug), achievement_document(info, issuer))
    writer.page(
        f"{layout.achievement_page(info.slug)}index.html",
        "site/achievement.html",
        common,
        achievement=info,
        criteria_html=render_markdown(info.criteria_narrative),
        has_svg=item.image_svg is not None,
    )


def _did_document_url(base_url: str) -> str:
    # did:web: a DID without a path resolves to /.well-known/did.json, with one to <path>/did.json.
    parts = urlsplit(base_url)
    if parts.path.strip("/"):
        return layout.join_url(base_url, "did.json")
    return layout.join_url(base_url, ".well-known/did.json")
