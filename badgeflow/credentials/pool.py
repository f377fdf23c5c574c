"""Signing and baking chunks of credentials, in this process or spread over worker processes.

`sign_and_bake` signs unsigned credentials with the fast `BatchSigner` and bakes each one
into its badge PNG (written atomically next to its final name, then renamed). With
``processes > 1`` a chunk is cut into one contiguous part per process and handed to a
process pool kept until `shutdown_pools` (one per signer and size): its workers
are started with the spawn method (safe beside the threads of an orchestrator) and receive
the signer once, through the pool's initializer, never per chunk. The output is the same
bytes in the same order either way.

The workers are started by `badgeflow.procs.spawn_pool`, all at once and without
re-importing the parent's ``__main__`` (all of Prefect, in the nightly flow). The flow shuts
the pool down when its issue stage ends (`shutdown_pools`), before other stages start theirs.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from badgeflow.credentials.bake import bake_png
from badgeflow.credentials.builder import CredentialBuilder, CredentialSpec
from badgeflow.credentials.fast import BatchSigner
from badgeflow.credentials.signer import Signer
from badgeflow.models import AchievementInfo, IssuerInfo, JSONDict
from badgeflow.procs import spawn_pool

__all__ = [
    "BakeTarget",
    "build_sign_and_bake",
    "build_sign_and_bake_parts",
    "shutdown_pools",
    "sign_and_bake",
]


@dataclass(frozen=True)
class BakeTarget:
    """Where one signed credential is baked: the image to bake it into and the PNG to write.

    Attributes:
        image: key of the badge image in the ``images`` mapping (the achievement slug).
        path: the baked PNG's path.
    """

    image: str
    path: Path


_pools: dict[tuple[str, int], ProcessPoolExecutor] = {}
_lock = threading.Lock()
_worker_signer: Signer | None = None


def _init_worker(signer: Signer) -> None:
    global _worker_signer
    _worker_signer = signer


def _pool(signer: Signer, processes: int) -> ProcessPoolExecutor:
    key = (signer.verification_method, processes)
    with _lock:
        pool = _pools.get(key)
        if pool is None:
            pool = _pools[key] = spawn_pool(processes, initializer=_init_worker, initargs=(signer,))
        return pool


def shutdown_pools() -> None:
    """Stop every worker process this module started (also run at interpreter exit)."""
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=True)


atexit.register(shutdown_pools)


def _sign_and_bake_here(
    signer: Signer,
    created: datetime,
    docs: Sequence[JSONDict],
    images: Mapping[str, bytes],
    targets: Sequence[BakeTarget],
    proof_as_array: bool,
) -> list[str]:
    documents = BatchSigner(signer, created=created, proof_as_array=proof_as_array).sign_json(docs)
    for document, target in zip(documents, targets, strict=True):
        tmp = target.path.with_suffix(".png.tmp")
        tmp.write_bytes(bake_png(images[target.image], document))
        tmp.replace(target.path)
    return documents


def _worker_part(
    created: datetime,
    docs: Sequence[JSONDict],
    images: Mapping[str, bytes],
    targets: Sequence[BakeTarget],
    proof_as_array: bool,
) -> list[str]:
    if _worker_signer is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("signing worker started without its signer")
    return _sign_and_bake_here(_worker_signer, created, docs, images, targets, proof_as_array)


def _build_part(
    issuer: IssuerInfo,
    achievements: Mapping[str, AchievementInfo],
    specs: Sequence[CredentialSpec],
) -> list[JSONDict]:
    builder = CredentialBuilder(issuer)
    return [builder.build_spec(spec, achievements) for spec in specs]


def _worker_build_part(
    issuer: IssuerInfo,
    achievements: Mapping[str, AchievementInfo],
    specs: Sequence[CredentialSpec],
    created: datetime,
    images: Mapping[str, bytes],
    targets: Sequence[BakeTarget],
    proof_as_array: bool,
) -> list[str]:
    docs = _build_part(issuer, achievements, specs)
    return _worker_part(created, docs, images, targets, proof_as_array)


def build_sign_and_bake(
    signer: Signer,
    issuer: IssuerInfo,
    achievements: Mapping[str, AchievementInfo],
    specs: Sequence[CredentialSpec],
    *,
    created: datetime,
    images: Mapping[str, bytes],
    targets: Sequence[BakeTarget],
    processes: int = 1,
    proof_as_array: bool = True,
) -> list[str]:
    """Build each credential from its spec, sign it and bake it; return the signed JSON texts.

    The same documents as `CredentialBuilder.build_spec` followed by `sign_and_bake`, but
    with ``processes > 1`` each worker builds its own part too: the parent sends a few
    fields per credential (not the unsigned document) and the building runs in parallel.

    Args:
        signer: the issuer's key (it must pickle when ``processes > 1``).
        issuer: the issuing organisation.
        achievements: achievement by slug, for every spec's ``achievement``.
        specs: one per credential.
        created: the proofs' ``created`` time.
        images: badge PNG bytes by key.
        targets: per credential, its image key and the baked PNG to write.
        processes: 1 does everything here; more spreads the chunk over worker processes.
        proof_as_array: write ``proof`` as a one-element array.

    Returns:
        The signed credentials as JSON text, in input order.

    Raises:
        CredentialError: a credential cannot be built or signed, or an image is not a PNG.
    """
    parts = build_sign_and_bake_parts(
        signer,
        issuer,
        achievements,
        specs,
        created=created,
        images=images,
        targets=targets,
        processes=processes,
        proof_as_array=proof_as_array,
    )
    return [document for _, part in parts for document in part]


def build_sign_and_bake_parts(
    signer: Signer,
    issuer: IssuerInfo,
    achievements: Mapping[str, AchievementInfo],
    specs: Sequence[CredentialSpec],
    *,
    created: datetime,
    images: Mapping[str, bytes],
    targets: Sequence[BakeTarget],
    processes: int = 1,
    proof_as_array: bool = True,
) -> Iterator[tuple[int, list[str]]]:
    """`build_sign_and_bake`, part by part: (index of the part's first spec, its documents).

    With ``processes > 1`` the specs are cut into one part per process, all submitted at
    once, and each part is yielded as soon as it (and every part before it) is done, so the
    caller stores the first part while the workers finish the others. (Two parts per
    process would overlap more; on a loaded 2-core machine it measured no better, within
    the noise of the workers' PNG writes, so the workers' parts stay as they were.) The
    parts come in input order and together hold every document once.

    Args:
        signer: as `build_sign_and_bake`.
        issuer: as `build_sign_and_bake`.
        achievements: as `build_sign_and_bake`.
        specs: as `build_sign_and_bake`.
        created: as `build_sign_and_bake`.
        images: as `build_sign_and_bake`.
        targets: as `build_sign_and_bake`.
        processes: as `build_sign_and_bake`.
        proof_as_array: as `build_sign_and_bake`.

    Yields:
        (start, documents) per part, in order.

    Raises:
        CredentialError: as `build_sign_and_bake`.
    """
    if len(specs) != len(targets):
        raise ValueError("build_sign_and_bake needs one bake target per credential")
    if processes <= 1 or len(specs) < 2:
        docs = _build_part(issuer, achievements, specs)
        if docs:
            yield 0, _sign_and_bake_here(signer, created, docs, images, targets, proof_as_array)
        return
    pool = _pool(signer, processes)
    size = -(-len(specs) // processes)
    futures = []
    for start in range(0, len(specs), size):
        part = specs[start : start + size]
        part_targets = targets[start : start + size]
        future = pool.submit(
            _worker_build_part,
            issuer,
            {slug: achievements[slug] for slug in {s.achievement for s in part}},
            part,
            created,
            {key: images[key] for key in {t.image for t in part_targets}},
            part_targets,
            proof_as_array,
        )
        futures.append((start, future))
    try:
        for start, future in futures:
            yield start, future.result()
    finally:
        for _, future in futures:  # a failed part: the rest are not waited for
            future.cancel()


def sign_and_bake(
    signer: Signer,
    docs: Sequence[JSONDict],
    *,
    created: datetime,
    images: Mapping[str, bytes],
    targets: Sequence[BakeTarget],
    processes: int = 1,
    proof_as_array: bool = True,
) -> list[str]:
    """Sign each unsigned credential and bake it into its PNG; return the signed JSON texts.

    Args:
        signer: the issuer's key (it must pickle when ``processes > 1``: `Ed25519Signer` does).
        docs: the unsigned credentials.
        created: the proofs' ``created`` time.
        images: badge PNG bytes by key (each is sent to a worker once per chunk).
        targets: per credential, its image key and the baked PNG to write.
        processes: 1 signs here; more spreads the chunk over that many worker processes.
        proof_as_array: write ``proof`` as a one-element array (what OB 3.0's schema expects).

    Returns:
        The signed credentials as JSON text, in input order (`credential_json`).

    Raises:
        CredentialError: a credential cannot be signed, or an image is not a PNG.
    """
    if len(docs) != len(targets):
        raise ValueError("sign_and_bake needs one bake target per credential")
    if processes <= 1 or len(docs) < 2:
        return _sign_and_bake_here(signer, created, docs, images, targets, proof_as_array)
    pool = _pool(signer, processes)
    size = -(-len(docs) // processes)
    futures = []
    for start in range(0, len(docs), size):
        part_targets = targets[start : start + size]
        part_images = {key: images[key] for key in {t.image for t in part_targets}}
        futures.append(
            pool.submit(
                _worker_part,
                created,
                docs[start : start + size],
                part_images,
                part_targets,
                proof_as_array,
            )
        )
    return [document for future in futures for document in future.result()]
