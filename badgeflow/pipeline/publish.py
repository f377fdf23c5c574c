"""Stage 5: rebuild the static verification site from the store."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Final

from badgeflow import store
from badgeflow.credentials import bake_svg
from badgeflow.pipeline.ob2 import Ob2Publish
from badgeflow.pipeline.runtime import Runtime
from badgeflow.pipeline.status import status_list_credentials
from badgeflow.site.build import SiteAchievement, SiteCredential, SiteReport, build_site
from badgeflow.site.lock import site_lock
from badgeflow.store import CredentialRecord

__all__ = ["publish_site"]

logger = logging.getLogger(__name__)

PAGE_SIZE: Final = 1_000
"""Credentials read from the store at a time while the site is built."""


def publish_site(
    runtime: Runtime,
    *,
    generated_at: datetime,
    on_progress: Callable[[int, int], None] | None = None,
    full: bool = False,
) -> SiteReport:
    """Write the whole site (every credential, achievement page, issuer profile, did.json).

    A status list (``status/<purpose>/<n>``) is re-signed, with ``validFrom`` =
    ``generated_at``, only when its bits changed or its published copy is missing or no
    longer valid; otherwise the published copy is kept byte for byte. With ``issuance.ob2``
    on, the OB 2.0 copies (`badgeflow.site.ob2`) are published too (they are deterministic:
    RS256 signatures are, so unchanged assertions keep their bytes).

    Every credential is read from the store each time (a page at a time), so the site
    always matches the database, even after a failed night; a credential whose inputs did
    not change since the last publish is not rendered again, only new or changed files are
    written, and files the store no longer produces are deleted
    (`badgeflow.site.build_site`). ``full`` rebuilds the whole site beside the old one and
    swaps it in. One publish of the folder at a time (`badgeflow.site.lock`): a second one
    waits for the first.

    Args:
        runtime: resources built from settings.
        generated_at: the batch clock: marks expired credentials and signs changed lists.
        on_progress: called with (done, total) as credential pages are written.
        full: rebuild every file and swap the folder in, instead of updating it in place.

    Returns:
        What was written and where.
    """
    achievements = site_achievements(runtime)
    output_dir = runtime.settings.site.output_dir

    def waiting() -> None:
        logger.info("site: another publish of %s is running; waiting for it to finish", output_dir)

    with site_lock(output_dir, on_wait=waiting), _gc_frozen():
        report = _publish(runtime, achievements, generated_at, on_progress, full)
    return report


@contextmanager
def _gc_frozen() -> Iterator[None]:
    """Keep the cyclic GC off the objects alive before the publish while it runs.

    The publish allocates millions of short-lived objects, and each full collection would
    walk every object the process already holds (a flow process: Prefect's, SQLAlchemy's);
    those are moved aside (`gc.freeze`) and put back at the end (`gc.unfreeze`).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _publish(
    runtime: Runtime,
    achievements: list[SiteAchievement],
    generated_at: datetime,
    on_progress: Callable[[int, int], None] | None,
    full: bool,
) -> SiteReport:
    base = runtime.settings.site.base_url
    # Baked on the fly as each page is written, so only one baked SVG is held at a time.
    svgs = {a.info.slug: a.image_svg.read_text("utf-8") for a in achievements if a.image_svg}
    ob2 = Ob2Publish(runtime, achievements, generated_at=generated_at)
    credentials = _StoredCredentials(runtime, svgs, ob2)
    status_lists = status_list_credentials(
        runtime, published_at=generated_at, reuse_from=runtime.settings.site.output_dir
    )
    # The OB 2.0 assertions are made with each credential (`_StoredCredentials`), so the
    # credentials stream in pages; only a signed revocation list reads them all first.
    ob2_documents = ob2.documents(credentials.records())
    report = build_site(
        runtime.settings.site.output_dir,
        issuer=runtime.issuer,
        achievements=achievements,
        credentials=credentials,
        did_document=runtime.did_document,
        base_url=base,
        generated_at=generated_at,
        on_progress=on_progress,
        extra_json={**status_lists, **ob2_documents},
        index_credentials=runtime.settings.site.index_credentials,
        full=full,
    )
    logger.info("site: %d credentials published to %s", len(credentials), report.output_dir)
    return report


def site_achievements(runtime: Runtime) -> list[SiteAchievement]:
    """Every catalog achievement as the site shows it: its info and its image files."""
    catalog = runtime.catalog
    base = runtime.settings.site.base_url
    return [
        SiteAchievement(
            info=catalog.achievement_info(slug, site_base_url=base),
            image_svg=_existing(catalog.image_path(slug, ".svg")),
            image_png=catalog.image_path(slug, ".png"),
        )
        for slug in catalog.achievement_slugs
    ]


class _StoredCredentials:
    """Every stored credential as the site shows it, read from the store a page at a time."""

    def __init__(self, runtime: Runtime, svgs: dict[str, str], ob2: Ob2Publish) -> None:
        self._runtime = runtime
        self._svgs = svgs
        self._ob2 = ob2
        with runtime.sessions() as session:
            self._count = store.count_credentials(session)

    def __len__(self) -> int:
        return self._count

    def records(self) -> Iterator[CredentialRecord]:
        last: CredentialRecord | None = None
        while True:
            with self._runtime.sessions() as session:
                page = store.credentials_page(session, after=last, limit=PAGE_SIZE)
            yield from page
            if len(page) < PAGE_SIZE:
                return
            last = page[-1]

    def __iter__(self) -> Iterator[SiteCredential]:
        svgs, ob2 = self._svgs, self._ob2
        for r in self.records():
            extra_files, extra_cache = ob2.extras(r)
            yield SiteCredential(
                credential_id=r.credential_id,
                document=r.document,
                achievement_slug=r.achievement_id,
                learner_name=r.learner_name,
                awarded_at=r.awarded_at,
                valid_until=r.valid_until,
                baked_png=Path(r.baked_path) if r.baked_path else None,
                status=r.status,
                baked_svg=(
                    partial(bake_svg, svgs[r.achievement_id], r.document)
                    if r.achievement_id in svgs
                    else None
                ),
                jwt=r.jwt,
                accept_token=r.accept_token,
                extra_files=extra_files,
                extra_cache=extra_cache,
            )


def _existing(path: Path) -> Path | None:
    return path if path.is_file() else None
