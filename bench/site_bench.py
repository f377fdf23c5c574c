"""Site publishing: a full build of N credentials vs an incremental re-publish after one revocation.

``python -m bench.site_bench [--n N]`` runs it alone; ``bench/run.py`` calls `run`. The
credentials are synthetic (fake signatures: `build_site` does not verify), each with its page,
JSON, baked PNG and baked SVG, plus a revocation status list, so a credential is four files as
in production. Figures: seconds and files written for the first (full) build, a re-publish
with nothing changed, a re-publish after one revocation, and a forced full rebuild.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import struct
import tempfile
import time
import zlib
from collections.abc import Callable
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


def credentials(n: int) -> list[SiteCredential]:
    """N synthetic credentials: document, baked PNG and SVG, a learner name, an accept link."""
    out = []
    for i in range(n):
        cid = f"00000000-0000-4000-8000-{i:012d}"
        slug = SLUGS[i % len(SLUGS)]
        document = _document(cid, i, slug)
        out.append(
            SiteCredential(
                credential_id=cid,
                document=document,
                achievement_slug=slug,
                awarded_at=AS_OF - timedelta(days=i % 300),
                valid_until=AS_OF + timedelta(days=365) if i % 2 else None,
                learner_name=f"Learner {i}",
                baked_png=_png(i) + document.encode(),
                baked_svg=f"<svg xmlns='http://www.w3.org/2000/svg'><!-- {document} --></svg>",
                accept_token=f"{i:032x}",
            )
        )
    return out


def _status(revoked: list[int]) -> dict[str, Any]:
    return {
        "id": f"{BASE}/status/revocation/1",
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "credentialSubject": {
            "statusPurpose": "revocation",
            "encodedList": encode_bitstring(revoked),
        },
    }


def _timed(fn: Callable[[], T]) -> tuple[T, float, float]:
    """Run fn; return its result, wall seconds and CPU seconds (steadier on a busy machine)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - start, time.process_time() - cpu


def run(n: int, workdir: Path | None = None) -> dict[str, float]:
    """Publish N credentials four ways and return seconds and file counts.

    Args:
        n: number of credentials.
        workdir: where to build (default: a temporary folder, removed afterwards).

    Returns:
        ``full_*`` (first build), ``noop_*`` (nothing changed), ``revoke_*`` (one
        revocation), ``rebuild_*`` (``full=True`` on the existing site) seconds and files
        written, and the ratios of the full build to the one-revocation publish.
    """
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        root = Path(tmp)
        issuer = IssuerInfo(id=DID, name="Example Academy", url="https://academy.example.org")
        achievements = _achievements(root)
        items = credentials(n)

        def publish(batch: list[SiteCredential], revoked: list[int], full: bool) -> SiteReport:
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
            )

        first, full_s, full_cpu = _timed(lambda: publish(items, [], False))
        noop, noop_s, noop_cpu = _timed(lambda: publish(items, [], False))
        items[n // 2] = dataclasses.replace(items[n // 2], status="revoked")
        revoke, revoke_s, revoke_cpu = _timed(lambda: publish(items, [n // 2], False))
        rebuild, rebuild_s, rebuild_cpu = _timed(lambda: publish(items, [n // 2], True))
    return {
        "n": n,
        "files": first.files_written,
        "full_seconds": full_s,
        "full_cpu_seconds": full_cpu,
        "full_files_written": first.files_changed,
        "noop_seconds": noop_s,
        "noop_cpu_seconds": noop_cpu,
        "noop_files_written": noop.files_changed,
        "revoke_seconds": revoke_s,
        "revoke_cpu_seconds": revoke_cpu,
        "revoke_files_written": revoke.files_changed,
        "rebuild_seconds": rebuild_s,
        "rebuild_cpu_seconds": rebuild_cpu,
        "rebuild_files_written": rebuild.files_changed,
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

    return (
        f"site      {f['n']:.0f} credentials, {f['files']:.0f} files: full build {phase('full')}; "
        f"re-publish after 1 revocation {phase('revoke')}\n"
        f"          nothing changed {phase('noop')}; forced full rebuild {phase('rebuild')}; "
        f"{f['files_ratio']:.0f}x fewer files, {f['seconds_ratio']:.1f}x faster "
        f"({f['cpu_ratio']:.1f}x less CPU)"
    )


def main() -> None:
    """Run the site benchmark alone and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.site_bench")
    parser.add_argument("--n", type=int, default=10_000, help="number of credentials")
    args = parser.parse_args()
    print(describe(run(args.n)))


if __name__ == "__main__":
    main()
