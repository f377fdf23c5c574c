"""Signing and baking a chunk: in this process and over worker processes, the same bytes."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from badgeflow.credentials import build_credential
from badgeflow.credentials.bake import unbake_png
from badgeflow.credentials.builder import CredentialSpec
from badgeflow.credentials.pool import (
    BakeTarget,
    build_sign_and_bake,
    build_sign_and_bake_parts,
    shutdown_pools,
    sign_and_bake,
)
from badgeflow.credentials.proof import issue
from tests.badgeflow.credentials.conftest import ISSUED_AT

BADGE = Path(__file__).resolve().parents[3] / "badge_catalog" / "images" / "sql-essentials.png"


def _unsigned(issuer, achievement, n):
    return [
        build_credential(
            credential_id=f"urn:uuid:00000000-0000-4000-8000-{i:012d}",
            issuer=issuer,
            achievement=achievement,
            recipient_email=f"learner{i}@example.com",
            salt=f"{i:032x}",
            valid_from=ISSUED_AT,
            valid_until=ISSUED_AT + timedelta(days=365) if i % 2 else None,
            awarded_at=ISSUED_AT - timedelta(days=i),
            score=float(70 + i) if i % 3 else None,
        )
        for i in range(n)
    ]


def _run(signer, docs, folder: Path, processes: int) -> tuple[list[str], list[bytes]]:
    folder.mkdir()
    targets = [BakeTarget("badge", folder / f"{i}.png") for i in range(len(docs))]
    documents = sign_and_bake(
        signer,
        docs,
        created=ISSUED_AT,
        images={"badge": BADGE.read_bytes()},
        targets=targets,
        processes=processes,
    )
    return documents, [t.path.read_bytes() for t in targets]


def test_one_process_signs_as_the_reference_path_and_bakes_each_png(
    signer, issuer, achievement, tmp_path
):
    docs = _unsigned(issuer, achievement, 3)
    documents, pngs = _run(signer, docs, tmp_path / "one", processes=1)
    reference = [issue(d, signer, created=ISSUED_AT, proof_as_array=True) for d in docs]
    assert [json.loads(d) for d in documents] == reference
    assert [unbake_png(png) for png in pngs] == documents
    assert not list((tmp_path / "one").glob("*.tmp"))


@pytest.mark.slow  # spawning the workers takes seconds
def test_worker_processes_give_the_same_bytes_in_the_same_order(
    signer, issuer, achievement, tmp_path
):
    docs = _unsigned(issuer, achievement, 7)  # not a multiple of the processes
    try:
        pooled = _run(signer, docs, tmp_path / "pool", processes=2)
        again = _run(signer, docs[:1], tmp_path / "again", processes=2)  # the pool is reused
    finally:
        shutdown_pools()
    assert pooled == _run(signer, docs, tmp_path / "here", processes=1)
    assert again[0] == pooled[0][:1]


def test_a_target_per_credential_is_required(signer, issuer, achievement):
    with pytest.raises(ValueError, match="one bake target per credential"):
        sign_and_bake(
            signer, _unsigned(issuer, achievement, 2), created=ISSUED_AT, images={}, targets=[]
        )


def _imported_main() -> bool:
    """Run in a worker: did it re-import the parent's main module (as ``__mp_main__``)?"""
    import sys

    return str(sys.modules["__main__"].__name__) == "__mp_main__"


@pytest.mark.slow  # spawning the workers takes seconds
def test_workers_start_together_without_re_importing_the_main_module(signer):
    from badgeflow.credentials.pool import _pool

    try:
        pool = _pool(signer, 2)
        pids = {p.pid for p in pool._processes.values()}  # both started with the pool
        assert _pool(signer, 2) is pool
        answers = [pool.submit(_imported_main).result() for _ in range(4)]
        assert len(pids) == 2 and {p.pid for p in pool._processes.values()} == pids
    finally:
        shutdown_pools()
    assert answers == [False] * 4


def _specs(n):
    return [
        CredentialSpec(
            credential_id=f"urn:uuid:00000000-0000-4000-8000-{i:012d}",
            achievement="data-foundations",
            recipient_email=f"learner{i}@example.com",
            salt=f"{i:032x}",
            valid_from=ISSUED_AT,
            valid_until=ISSUED_AT + timedelta(days=365) if i % 2 else None,
            awarded_at=ISSUED_AT - timedelta(days=i),
            score=float(70 + i) if i % 3 else None,
        )
        for i in range(n)
    ]


def _run_specs(signer, issuer, achievement, specs, folder: Path, processes: int):
    folder.mkdir()
    targets = [BakeTarget("badge", folder / f"{i}.png") for i in range(len(specs))]
    documents = build_sign_and_bake(
        signer,
        issuer,
        {"data-foundations": achievement},
        specs,
        created=ISSUED_AT,
        images={"badge": BADGE.read_bytes()},
        targets=targets,
        processes=processes,
    )
    return documents, [t.path.read_bytes() for t in targets]


def test_building_from_specs_gives_the_bytes_of_building_then_signing(
    signer, issuer, achievement, tmp_path
):
    built = _run_specs(signer, issuer, achievement, _specs(3), tmp_path / "specs", processes=1)
    assert built == _run(signer, _unsigned(issuer, achievement, 3), tmp_path / "docs", 1)


@pytest.mark.slow  # spawning the workers takes seconds
def test_workers_building_from_specs_give_the_same_bytes_in_the_same_order(
    signer, issuer, achievement, tmp_path
):
    specs = _specs(7)  # not a multiple of the processes
    try:
        pooled = _run_specs(signer, issuer, achievement, specs, tmp_path / "pool", processes=2)
    finally:
        shutdown_pools()
    assert pooled == _run(signer, _unsigned(issuer, achievement, 7), tmp_path / "here", 1)


def test_a_target_per_spec_is_required(signer, issuer, achievement):
    with pytest.raises(ValueError, match="one bake target per credential"):
        build_sign_and_bake(signer, issuer, {}, _specs(2), created=ISSUED_AT, images={}, targets=[])


@pytest.mark.slow  # spawning the workers takes seconds
def test_parts_come_in_order_one_per_process_and_hold_every_document_once(
    signer, issuer, achievement, tmp_path
):
    specs = _specs(7)
    targets = [BakeTarget("badge", tmp_path / f"{i}.png") for i in range(len(specs))]
    try:
        parts = list(
            build_sign_and_bake_parts(
                signer,
                issuer,
                {"data-foundations": achievement},
                specs,
                created=ISSUED_AT,
                images={"badge": BADGE.read_bytes()},
                targets=targets,
                processes=2,
            )
        )
    finally:
        shutdown_pools()
    assert [(start, len(docs)) for start, docs in parts] == [(0, 4), (4, 3)]
    here = _run_specs(signer, issuer, achievement, specs, tmp_path / "here", processes=1)
    assert [d for _, docs in parts for d in docs] == here[0]
