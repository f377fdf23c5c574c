"""Site publishing: a full build of N credentials vs an incremental re-publish after one revocation.

``python -m bench.site_bench [--n N] [--processes P] [--no-rebuild]`` runs it alone (100,000
credentials by default); ``bench/run.py`` calls `run`. The credentials are synthetic (fake
signatures: `build_site` does not verify), each with its page, JSON, baked PNG and baked SVG,
share page, five share redirects, accept and accepted pages (12 files), plus a revocation
status list. They are made on the fly as the builder iterates, as the publish stage streams
them from the store, so the peak memory is the builder's. Figures: wall and CPU seconds (this
process and its worker processes) and files written for the first (full) build, a re-publish
with nothing changed, a re-publish after one revocation, and a forced full rebuild; the
peak RSS of the publishing process and of the largest worker. CPU is split into user
(Python: rendering, digests) and system (the kernel: mkdir/open/write, which on a shared
disk varies several-fold with the other processes' I/O), and ``render_ms`` is the CPU per
credential of rendering alone, into memory (steady whatever the disk). ``--nightly`` adds
the nightly case: an incremental publish of N credentials of which 3/4 are new.
"""

from __future__ import annotations

import argparse
import json
import resource
import struct
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from badgeflow.models import AchievementInfo, IssuerInfo
from badgeflow.site.build import SiteAchievement, SiteCredential, SiteReport, build_site
from badgeflow.status import encode_bitstring

BASE = "https://badges.example.org"
DID = "did:web:badges.example.org"
AS_OF = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SLUGS = ("data-foundations", "sql-essentials", "data-privacy-basics")
T = TypeVar("T")


def _png(seed: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + bytes((seed % 256, 80, 160)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _achievements(folder: Path) -> list[SiteAchievement]:
    items = []
    for n, slug in enumerate(SLUGS):
        image = folder / f"{slug}.png"
        image.write_bytes(_png(n))
        info = AchievementInfo(
            id=f"{BASE}/achievements/{slug}/",
            slug=slug,
            name=slug.replace("-", " ").title(),
            description="A synthetic achievement for the site benchmark.",
            criteria_narrative="Complete the course.\n\n- Pass the **final** quiz",
            criteria_url=f"{BASE}/achievements/{slug}/#criteria",
            image_url=f"{BASE}/achievements/{slug}.png",
        )
        items.append(SiteAchievement(info, image))
    return items


def _document(cid: str, n: int, slug: str) -> str:
    return json.dumps(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": f"urn:uuid:{cid}",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {"id": DID, "type": ["Profile"], "name": "Example Academy"},
            "validFrom": "2026-01-15T09:00:00Z",
            "credentialSubject": {
                "type": ["AchievementSubject"],
                "identifier": [
                    {
                        "type": "IdentityObject",
                        "identityType": "emailAddress",
                        "hashed": True,
                        "identityHash": f"sha256${n:064x}",
                        "salt": f"{n:032x}",
                    }
                ],
                "achievement": {"id": f"{BASE}/achievements/{slug}/", "type": ["Achievement"]},
            },
            "credentialStatus": {
                "id": f"{BASE}/status/revocation/1#{n}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": str(n),
                "statusListCredential": f"{BASE}/status/revocation/1",
            },
            "proof": {
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-rdfc-2022",
                "created": "2026-01-15T09:00:00Z",
                "verificationMethod": f"{DID}#key-1",
                "proofPurpose": "assertionMethod",
                "proofValue": "z" + "3" * 86,
            },
        }
    )


def credential(i: int, revoked: frozenset[int] = frozenset()) -> SiteCredential:
    """The i-th synthetic credential: document, baked PNG and SVG, learner name, accept link."""
    cid = f"00000000-0000-4000-8000-{i:012d}"
    slug = SLUGS[i % len(SLUGS)]
    document = _document(cid, i, slug)
    return SiteCredential(
        credential_id=cid,
        document=document,
        achievement_slug=slug,
        awarded_at=AS_OF - timedelta(days=i % 300),
        valid_until=AS_OF + timedelta(days=365) if i % 2 else None,
        learner_name=f"Learner {i}",
        baked_png=_png(i) + document.encode(),
        baked_svg=f"<svg xmlns='http://www.w3.org/2000/svg'><!-- {document} --></svg>",
        accept_token=f"{i:032x}",
        status="revoked" if i in revoked else "active",
    )


class Credentials:
    """N synthetic credentials, made as they are iterated (never all in memory)."""

    def __init__(self, n: int, revoked: frozenset[int] = frozenset()) -> None:
        """N credentials, those in ``revoked`` revoked."""
        self.n, self.revoked = n, revoked

    def __len__(self) -> int:
        """How many."""
        return self.n

    def __iter__(self) -> Iterator[SiteCredential]:
        """Each credential in turn."""
        return (credential(i, self.revoked) for i in range(self.n))


def credentials(n: int) -> list[SiteCredential]:
    """N synthetic credentials, as a list."""
    return list(Credentials(n))


def _status(revoked: list[int]) -> dict[str, Any]:
    return {
        "id": f"{BASE}/status/revocation/1",
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "credentialSubject": {
            "statusPurpose": "revocation",
            "encodedList": encode_bitstring(revoked),
        },
    }


def _cpu_split() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)  # counted once they have exited
    return own.ru_utime + workers.ru_utime, own.ru_stime + workers.ru_stime


def _cpu() -> float:
    return sum(_cpu_split())


def _timed(fn: Callable[[], T]) -> tuple[T, float, float]:
    """Run fn; return its result, wall seconds and CPU seconds (steadier on a busy machine)."""
    start, cpu = time.perf_counter(), _cpu()
    result = fn()
    return result, time.perf_counter() - start, _cpu() - cpu


class _MemoryTree:
    """A tree writer that keeps nothing: rendering cost alone."""

    root = Path("/nonexistent")
    staged = True

    def put(self, relative: str, data: bytes) -> None:
        """Drop the file."""

    def record_unit(self, key: str, value: str) -> None:
        """Drop the record."""


def render_ms(n: int, folder: Path) -> float:
    """CPU milliseconds per credential to plan and render N credentials into memory."""
    from badgeflow.site._credential_pages import plan_credentials, render_credential
    from badgeflow.site._writer import SiteFileWriter

    by_slug = {a.info.slug: a for a in _achievements(folder)}
    issuer = IssuerInfo(id=DID, name="Example Academy", url="https://academy.example.org")
    common = {
        "issuer": issuer,
        "did_document_url": f"{BASE}/.well-known/did.json",
        "base_url": BASE,
        "index_credentials": False,
    }
    items = list(Credentials(n))
    writer = SiteFileWriter(_MemoryTree())  # type: ignore[arg-type]
    start = time.process_time()
    for job in plan_credentials(items, by_slug, AS_OF, "bench"):
        render_credential(writer, job, by_slug[job.credential.achievement_slug], common)
    return (time.process_time() - start) * 1000 / n


def run(
    n: int,
    workdir: Path | None = None,
    *,
    processes: int | None = None,
    rebuild: bool = True,
    nightly: bool = False,
) -> dict[str, float]:
    """Publish N credentials four ways and return seconds and file counts.

    Args:
        n: number of credentials.
        workdir: where to build (default: a temporary folder, removed afterwards).
        processes: worker processes for the full builds (None: the builder's default).
        rebuild: also time a forced full rebuild (the last phase).
        nightly: also time an incremental publish of N where 3/4 are new (``nightly_*``).

    Returns:
        ``full_*`` (first build), ``noop_*`` (nothing changed), ``revoke_*`` (one
        revocation), ``rebuild_*`` (``full=True`` on the existing site) seconds and files
        written, and the ratios of the full build to the one-revocation publish.
    """
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        root = Path(tmp)
        issuer = IssuerInfo(id=DID, name="Example Academy", url="https://academy.example.org")
        achievements = _achievements(root)

        def publish(batch: Credentials, revoked: list[int], full: bool) -> SiteReport:
            return build_site(
                root / "site",
                issuer=issuer,
                achievements=achievements,
                credentials=batch,
                did_document={"id": DID},
                base_url=BASE,
                generated_at=AS_OF,
                extra_json={"status/revocation/1": _status(revoked)},
                full=full,
                processes=processes,
            )

        items = Credentials(n)
        user, system = _cpu_split()
        first, full_s, full_cpu = _timed(lambda: publish(items, [], False))
        full_user = _cpu_split()[0] - user
        full_system = _cpu_split()[1] - system
        noop, noop_s, noop_cpu = _timed(lambda: publish(items, [], False))
        items = Credentials(n, frozenset({n // 2}))
        revoke, revoke_s, revoke_cpu = _timed(lambda: publish(items, [n // 2], False))
        again, rebuild_s, rebuild_cpu = (
            _timed(lambda: publish(items, [n // 2], True)) if rebuild else (first, 0.0, 0.0)
        )
        night: dict[str, float] = {}
        if nightly:
            publish_to = root / "nightly"

            def night_publish(batch: Credentials) -> SiteReport:
                return build_site(
                    publish_to,
                    issuer=issuer,
                    achievements=achievements,
                    credentials=batch,
                    did_document={"id": DID},
                    base_url=BASE,
                    generated_at=AS_OF,
                    extra_json={"status/revocation/1": _status([])},
                    processes=processes,
                )

            night_publish(Credentials(n // 4))
            done, night_s, night_cpu = _timed(lambda: night_publish(Credentials(n)))
            night = {
                "nightly_seconds": night_s,
                "nightly_cpu_seconds": night_cpu,
                "nightly_files_written": done.files_changed,
                "nightly_new": n - n // 4,
            }
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        render = render_ms(min(n, 3_000), root)
    return {
        **night,
        "render_ms": render,
        "full_cpu_ms": full_cpu * 1000 / n,
        "full_user_seconds": full_user,
        "full_system_seconds": full_system,
        "n": n,
        "files": first.files_written,
        "full_seconds": full_s,
        "full_cpu_seconds": full_cpu,
        "full_files_written": first.files_changed,
        "noop_seconds": noop_s,
        "noop_cpu_seconds": noop_cpu,
        "noop_files_written": noop.files_changed,
        "noop_rendered": noop.credentials_rendered,
        "revoke_seconds": revoke_s,
        "revoke_cpu_seconds": revoke_cpu,
        "revoke_files_written": revoke.files_changed,
        "revoke_rendered": revoke.credentials_rendered,
        "rebuild_seconds": rebuild_s,
        "rebuild_cpu_seconds": rebuild_cpu,
        "rebuild_files_written": again.files_changed if rebuild else 0,
        "peak_rss_mb": own,
        "worker_peak_rss_mb": worker,
        "files_ratio": first.files_changed / max(revoke.files_changed, 1),
        "seconds_ratio": full_s / revoke_s,
        "cpu_ratio": full_cpu / revoke_cpu,
    }


def describe(figures: dict[str, float]) -> str:
    """One block of summary lines, as `bench/run.py` prints them."""
    f = figures

    def phase(name: str) -> str:
        return (
            f"{f[f'{name}_seconds']:.2f} s ({f[f'{name}_cpu_seconds']:.2f} s CPU, "
            f"{f[f'{name}_files_written']:.0f} written)"
        )

    night = ""
    if "nightly_seconds" in f:
        night = (
            f"\n          nightly (incremental, {f['nightly_new']:.0f} new): "
            f"{phase('nightly')}, {f['nightly_cpu_seconds'] * 1000 / f['nightly_new']:.2f} ms "
            "CPU per new credential"
        )
    return (
        f"site      {f['n']:.0f} credentials, {f['files']:.0f} files: full build {phase('full')}; "
        f"re-publish after 1 revocation {phase('revoke')}\n"
        f"          nothing changed {phase('noop')}; forced full rebuild {phase('rebuild')}; "
        f"{f['files_ratio']:.0f}x fewer files, {f['seconds_ratio']:.1f}x faster "
        f"({f['cpu_ratio']:.1f}x less CPU)\n"
        f"          credentials rendered: {f.get('noop_rendered', 0):.0f} when nothing changed, "
        f"{f.get('revoke_rendered', 0):.0f} after 1 revocation; peak RSS "
        f"{f.get('peak_rss_mb', 0):.0f} MB "
        f"(largest worker {f.get('worker_peak_rss_mb', 0):.0f} MB)\n"
        f"          full build CPU {f.get('full_cpu_ms', 0):.2f} ms per credential (user "
        f"{f.get('full_user_seconds', 0):.2f} s, system {f.get('full_system_seconds', 0):.2f} s); "
        f"rendering alone {f.get('render_ms', 0):.2f} ms per credential{night}"
    )


def main() -> None:
    """Run the site benchmark alone and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.site_bench")
    parser.add_argument("--n", type=int, default=100_000, help="number of credentials")
    parser.add_argument("--processes", type=int, default=None, help="worker processes")
    parser.add_argument("--no-rebuild", action="store_true", help="skip the forced rebuild")
    parser.add_argument("--nightly", action="store_true", help="time the nightly case too")
    args = parser.parse_args()
    figures = run(
        args.n, processes=args.processes, rebuild=not args.no_rebuild, nightly=args.nightly
    )
    print(describe(figures))


if __name__ == "__main__":
    main()
