"""Signing and baking chunks of credentials, in this process or spread over worker processes.

`sign_and_bake` signs unsigned credentials with the fast `BatchSigner` and bakes each one
into its badge PNG (written atomically next to its final name, then renamed). With
``processes > 1`` a chunk is cut into one contiguous part per process and handed to a
process pool that lives as long as this process (one per signer and size): its workers
are started with the spawn method (safe beside the threads of an orchestrator) and receive
the signer once, through the pool's initializer, never per chunk. The output is the same
bytes in the same order either way.

A spawned child normally re-imports the parent's ``__main__`` module (for ``python -m
flows.nightly_issuance`` that is all of Prefect: ~6 s of CPU and ~170 MB per worker, for
nothing). The workers are therefore all started when the pool is made, with ``__main__``
hidden for that moment, so each imports only this module's dependencies. The flow shuts
the pool down when its issue stage ends (`shutdown_pools`), before other stages start theirs.
"""

from __future__ import annotations

import atexit
import multiprocessing
import sys
import threading
import types
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from badgeflow.credentials.bake import bake_png
from badgeflow.credentials.fast import BatchSigner
from badgeflow.credentials.signer import Signer
from badgeflow.models import JSONDict

__all__ = ["BakeTarget", "shutdown_pools", "sign_and_bake"]


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


def _init_worker(signer: Signer, started: Any) -> None:
    global _worker_signer
    _worker_signer = signer
    # No worker takes a task before all have started: every start-up task below is still
    # pending when the next is submitted, so the executor starts a process for each.
    started.wait()


def _started() -> None:
    """A start-up task: returns once its worker has run the initializer."""


@contextmanager
def _main_hidden() -> Iterator[None]:
    """Hide ``__main__`` while processes start, so spawned children do not re-import it."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _pool(signer: Signer, processes: int) -> ProcessPoolExecutor:
    key = (signer.verification_method, processes)
    with _lock:
        pool = _pools.get(key)
        if pool is None:
            context = multiprocessing.get_context("spawn")
            pool = _pools[key] = ProcessPoolExecutor(
                max_workers=processes,
                mp_context=context,
                initializer=_init_worker,
                initargs=(signer, context.Barrier(processes)),
            )
            with _main_hidden():
                ready = [pool.submit(_started) for _ in range(processes)]
            for future in ready:
                future.result()
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
