"""Publish every credential: skip the unchanged ones, render the rest, on several processes.

An incremental publish renders only credentials whose inputs changed (`badgeflow.site._units`);
everything else is kept as published. A staged (full) build renders them all, spread over
worker processes when there are many: each worker renders whole credentials into the staging
folder and reports the files it wrote, so the output is the same bytes whatever the number of
workers (a test builds with one and two and compares the trees). An incremental publish
with many new credentials (a nightly batch: none of their files exist yet) spreads those
over the workers too, which write them in place; changed ones are rendered here.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from datetime import datetime
from functools import partial
from itertools import chain, islice
from pathlib import Path
from typing import Any, Final

from badgeflow.procs import spawn_pool
from badgeflow.site._credential_pages import (
    CredentialJob,
    kept_paths,
    plan_credentials,
    render_credential,
    write_extra_files,
)
from badgeflow.site._tree import TreeWriter
from badgeflow.site._units import credential_paths
from badgeflow.site._writer import SiteFileWriter
from badgeflow.site.inputs import CredentialSource, SiteAchievement

__all__ = ["default_processes", "write_credentials"]

PARALLEL_FROM: Final = 2_000
"""Fewer credentials to render than this are rendered in the publishing process."""
_CHUNK: Final = 250

_ChunkResult = tuple[dict[str, str], dict[str, str], int, int, int, int]


def default_processes(to_render: int) -> int:
    """Worker processes for rendering ``to_render`` credentials: one per usable core, or 1."""
    if to_render < PARALLEL_FROM:
        return 1
    return max(1, len(os.sched_getaffinity(0)))


def write_credentials(
    writer: SiteFileWriter,
    credentials: CredentialSource,
    by_slug: dict[str, SiteAchievement],
    common: dict[str, Any],
    generated_at: datetime,
    *,
    site: str,
    on_progress: Callable[[int, int], None] | None,
    progress_every: int,
    processes: int | None,
) -> int:
    """Publish each credential's page, files, share and accept pages; return how many.

    Args:
        writer: the site builder's writer.
        credentials: the credentials to publish.
        by_slug: the achievements by slug.
        common: the variables every page gets.
        generated_at: the build clock (for the expired state).
        site: the site digest (`badgeflow.site._units.site_digest`).
        on_progress: called with ``(done, total)`` about every ``progress_every``
            credentials and once at the end.
        progress_every: how often ``on_progress`` is called.
        processes: worker processes (None: `default_processes`); an incremental build
            uses them only for credentials with no file published yet, when there are
            at least `PARALLEL_FROM` of them.

    Raises:
        CatalogError: a credential for an unknown achievement.
        CredentialError: an unparsable credential, a duplicate id, or a VC-JWT header that
            would publish private data.
    """
    total = len(credentials)
    progress = _Progress(on_progress, progress_every, total)
    jobs = plan_credentials(credentials, by_slug, generated_at, site)
    tree = writer.tree
    workers = default_processes(total) if processes is None else processes
    # A daemonic process (itself a pool worker) may not start processes: render in place.
    if workers < 2 or multiprocessing.current_process().daemon:
        here: Iterator[CredentialJob] = _fresh_jobs(writer, jobs, by_slug, common, progress)
    elif tree.staged:
        here = iter(())
        _render_parallel(writer, jobs, by_slug, common, workers, progress)
    else:
        # Credentials new since the last build (none of their files there) go to the workers
        # when there are many, as on a first build; the others are kept or rendered here.
        fresh = _fresh_jobs(writer, jobs, by_slug, common, progress)
        first = list(islice(fresh, PARALLEL_FROM))
        here = chain(first, fresh)
        if len(first) == PARALLEL_FROM:
            _render_parallel(writer, here, by_slug, common, workers, progress)
    for job in here:
        _render(writer, job, by_slug, common)
        progress.add(1)
    progress.end()
    return total


def _fresh_jobs(
    writer: SiteFileWriter,
    jobs: Iterator[CredentialJob],
    by_slug: dict[str, SiteAchievement],
    common: dict[str, Any],
    progress: _Progress,
) -> Iterator[CredentialJob]:
    """Keep unchanged credentials, render changed ones; yield those with no file published yet."""
    tree = writer.tree
    for job in jobs:
        cid = job.credential.credential_id
        previous = tree.previous_unit(cid)
        paths = kept_paths(job, previous)
        if paths is not None and previous is not None and tree.keep_unit(cid, previous, paths):
            writer.kept(paths)  # with the extra files when they are in the render cache
            credential = job.credential
            if credential.extra_files is not None and credential.extra_cache is None:
                write_extra_files(writer, credential.extra_files())
        elif previous is None and not tree.published_any(credential_paths(job.credential, "jpsw")):
            yield job
            continue
        else:
            _render(writer, job, by_slug, common)
        progress.add(1)


def _render(
    writer: SiteFileWriter,
    job: CredentialJob,
    by_slug: dict[str, SiteAchievement],
    common: dict[str, Any],
) -> None:
    flags = render_credential(writer, job, by_slug[job.credential.achievement_slug], common)
    if job.digest is not None:
        writer.tree.record_unit(job.credential.credential_id, f"{job.digest}:{flags}")
    if job.credential.extra_files is not None:
        write_extra_files(writer, job.credential.extra_files())


def _portable(job: CredentialJob) -> bool:
    svg, extra = job.credential.baked_svg, job.credential.extra_files
    return (svg is None or isinstance(svg, str | partial)) and (
        extra is None or isinstance(extra, partial)
    )


def _render_parallel(
    writer: SiteFileWriter,
    jobs: Iterator[CredentialJob],
    by_slug: dict[str, SiteAchievement],
    common: dict[str, Any],
    workers: int,
    progress: _Progress,
) -> None:
    # spawn, not fork: the caller may be a Prefect worker with threads running; `spawn_pool`
    # keeps the workers from re-importing the flow's __main__ (all of Prefect).
    tree = writer.tree
    root = tree.root
    pending: set[Future[_ChunkResult]] = set()
    with spawn_pool(workers) as pool:
        try:
            while chunk := list(islice(jobs, _CHUNK)):
                local = [job for job in chunk if not _portable(job)]
                remote = [job for job in chunk if _portable(job)]
                if remote:
                    pending.add(
                        pool.submit(_render_chunk, root, remote, by_slug, common, tree.staged)
                    )
                for job in local:  # a lambda does not pickle: rendered here, rarely
                    _render(writer, job, by_slug, common)
                progress.add(len(local))
                while len(pending) >= 2 * workers:
                    pending = _collect(writer, pending, progress, FIRST_COMPLETED)
            while pending:
                pending = _collect(writer, pending, progress, FIRST_COMPLETED)
        except BaseException:
            for future in pending:
                future.cancel()
            raise


def _collect(
    writer: SiteFileWriter,
    pending: set[Future[_ChunkResult]],
    progress: _Progress,
    when: str,
) -> set[Future[_ChunkResult]]:
    done, rest = wait(pending, return_when=when)
    for future in done:
        entries, units, changed, pages, files, count = future.result()
        writer.tree.merge(entries, units, changed)
        writer.pages += pages
        writer.files += files
        progress.add(count)
    return rest


def _render_chunk(
    root: Path,
    jobs: list[CredentialJob],
    by_slug: dict[str, SiteAchievement],
    common: dict[str, Any],
    staged: bool,
) -> _ChunkResult:
    """Render credentials (in a worker process): into the staging folder, or new ones in place."""
    writer = SiteFileWriter(TreeWriter(root, atomic=not staged))
    for job in jobs:
        _render(writer, job, by_slug, common)
    entries, units, changed = writer.tree.collected()
    return entries, units, changed, writer.pages, writer.files, len(jobs)


class _Progress:
    def __init__(self, callback: Callable[[int, int], None] | None, every: int, total: int):
        self.callback, self.every, self.total = callback, every, total
        self.done = 0

    def add(self, count: int) -> None:
        if self.callback is None or count == 0:
            self.done += count
            return
        before, self.done = self.done, self.done + count
        if before // self.every != self.done // self.every or self.done == self.total:
            self.callback(self.done, self.total)

    def end(self) -> None:
        if self.callback is not None and self.total == 0:
            self.callback(0, 0)
