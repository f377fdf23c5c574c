"""Small fake site inputs: an issuer, two achievements, credentials with hashed emails."""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

from badgeflow.models import AchievementInfo, IssuerInfo
from badgeflow.site.build import SiteAchievement, SiteCredential

BASE_URL = "https://badges.example.org"
GENERATED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEARNER_EMAILS = ("ada.lovelace@example.com", "grace.hopper@example.net", "alan@example.org")


def tiny_png(rgb: tuple[int, int, int] = (29, 78, 216)) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + bytes(rgb))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def make_issuer() -> IssuerInfo:
    return IssuerInfo(
        id="did:web:badges.example.org",
        name="Example Academy",
        url="https://academy.example.org",
        email="badges@academy.example.org",
        description="Short courses in data skills.",
        image_url=f"{BASE_URL}/issuer/logo.png",
    )


def make_did_document() -> dict:
    did = "did:web:badges.example.org"
    key = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {"id": f"{did}#key-1", "type": "Multikey", "controller": did, "publicKeyMultibase": key}
        ],
        "assertionMethod": [f"{did}#key-1"],
    }


def make_achievements(tmp_path: Path) -> list[SiteAchievement]:
    images = tmp_path / "images"
    images.mkdir(exist_ok=True)
    (images / "data-foundations.png").write_bytes(tiny_png())
    (images / "data-foundations.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (images / "sql-basics.png").write_bytes(tiny_png((200, 0, 0)))
    data = AchievementInfo(
        id=f"{BASE_URL}/achievements/data-foundations/",
        slug="data-foundations",
        name="Data Foundations",
        description="Can clean, join and summarise tabular data.",
        criteria_narrative=(
            "Complete all modules.\n\n- Pass the **final** quiz\n- Score 80% <b>or more</b>"
        ),
        criteria_url=f"{BASE_URL}/achievements/data-foundations/#criteria",
        image_url=f"{BASE_URL}/achievements/data-foundations.png",
        tags=("data", "python"),
        valid_for_days=730,
    )
    sql = AchievementInfo(
        id=f"{BASE_URL}/achievements/sql-basics/",
        slug="sql-basics",
        name="SQL Basics",
        description="Writes correct SELECT queries.",
        criteria_narrative="Pass the SQL course.",
        criteria_url=f"{BASE_URL}/achievements/sql-basics/#criteria",
        image_url=f"{BASE_URL}/achievements/sql-basics.png",
    )
    return [
        SiteAchievement(data, images / "data-foundations.png", images / "data-foundations.svg"),
        SiteAchievement(sql, images / "sql-basics.png"),
    ]


def identity_hash(email: str, salt: str) -> str:
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()


def credential_document(credential_id: str, email: str, salt: str, slug: str) -> str:
    document = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": f"urn:uuid:{credential_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "did:web:badges.example.org", "type": ["Profile"], "name": "Exämple"},
        "validFrom": "2026-01-15T09:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": identity_hash(email, salt),
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": salt,
                }
            ],
            "achievement": {"id": f"{BASE_URL}/achievements/{slug}/", "type": ["Achievement"]},
        },
        "proof": [
            {
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-rdfc-2022",
                "created": "2026-01-15T09:00:00Z",
                "verificationMethod": "did:web:badges.example.org#key-1",
                "proofPurpose": "assertionMethod",
                "proofValue": "z3FXQjecWufY46yg5abdVZsXqLhxhueuSoZgNSARiKBk9czhSePTFehP8c3PGfb6",
            }
        ],
    }
    # Odd but valid formatting: publishing must keep these exact bytes.
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def make_credentials(count: int = 3) -> list[SiteCredential]:
    statuses = ("active", "revoked", "suspended")
    credentials = []
    for n in range(count):
        cid = f"00000000-0000-4000-8000-{n:012d}"
        slug = "data-foundations" if n % 2 == 0 else "sql-basics"
        email = LEARNER_EMAILS[n % len(LEARNER_EMAILS)]
        credentials.append(
            SiteCredential(
                credential_id=cid,
                document=credential_document(cid, email, f"salt{n}", slug),
                achievement_slug=slug,
                awarded_at=datetime(2026, 1, 15, 9, 0, tzinfo=UTC),
                valid_until=datetime(2028, 1, 15, 9, 0, tzinfo=UTC) if n % 2 == 0 else None,
                learner_name="Ada <script>alert(1)</script>" if n == 0 else None,
                baked_png=tiny_png((n, n, n)) if n != 2 else None,
                status=statuses[n % 3],
                # A ready string, a function called while the page is written, or none.
                baked_svg=[f"<svg>{n}</svg>", lambda: "<svg>1</svg>", None][n % 3],
            )
        )
    return credentials


def build(tmp_path: Path, output: Path | None = None, **overrides):
    from badgeflow.site.build import build_site

    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg"><title>logo</title></svg>')
    kwargs = dict(
        issuer=make_issuer(),
        achievements=make_achievements(tmp_path),
        credentials=make_credentials(),
        did_document=make_did_document(),
        base_url=BASE_URL,
        generated_at=GENERATED_AT,
        issuer_logo=logo,
    )
    kwargs.update(overrides)
    return build_site(output or tmp_path / "site", **kwargs)


# Issue 6: learner pages (accept tokens), hostile input, evidence.

HOSTILE_LEARNER = (
    'Zoë "Zed" O\'Brien <script>alert(1)</script></title><img src=x onerror=alert(2)> '
    "\u202eevil\u202c שלום مرحبا"
)
HOSTILE_TEXT = (
    "<b>Bold</b> \"double\" 'single' </title><script>alert(3)</script> "
    '<a href="javascript:alert(4)">x</a> javascript:alert(5) \u202eevil\u202c שלום'
)
RTL_MARK = "שלום"
NAME_RTL = "קורס"  # only in the hostile achievement's name
LEARNER_RTL = "مرحبا"  # only in the hostile learner's name


def accept_token(credential_id: str) -> str:
    return hashlib.sha256(credential_id.encode()).hexdigest()[:32]


def with_accept_tokens(credentials: list[SiteCredential]) -> list[SiteCredential]:
    return [
        SiteCredential(**{**c.__dict__, "accept_token": accept_token(c.credential_id)})
        for c in credentials
    ]


def make_hostile_inputs(tmp_path: Path) -> tuple[list[SiteAchievement], list[SiteCredential]]:
    """One achievement and one credential (with an accept token) whose texts try to break out."""
    from dataclasses import replace

    from badgeflow.credentials.ob3.credential import Evidence

    item = make_achievements(tmp_path)[0]
    info = replace(
        item.info,
        name=f"Data {HOSTILE_TEXT} {NAME_RTL}",
        description=f"Desc {HOSTILE_TEXT}",
        criteria_narrative=f"Narrative {HOSTILE_TEXT}\n\n- **bold** {HOSTILE_TEXT}",
        tags=(HOSTILE_TEXT,),
        evidence=(Evidence(name=f"Catalog evidence {HOSTILE_TEXT}", narrative=HOSTILE_TEXT),),
    )
    cid = "00000000-0000-4000-8000-00000000beef"
    document = json.loads(credential_document(cid, LEARNER_EMAILS[0], "salt", info.slug))
    document["evidence"] = [
        {
            "id": "javascript:alert(6)",
            "type": ["Evidence"],
            "name": f"Doc evidence {HOSTILE_TEXT}",
            "description": HOSTILE_TEXT,
        }
    ]
    credential = SiteCredential(
        credential_id=cid,
        document=json.dumps(document, ensure_ascii=False),
        achievement_slug=info.slug,
        awarded_at=datetime(2026, 1, 15, 9, 0, tzinfo=UTC),
        valid_until=datetime(2028, 1, 15, 9, 0, tzinfo=UTC),
        learner_name=HOSTILE_LEARNER,
        baked_png=tiny_png(),
        baked_svg="<svg/>",
        accept_token=accept_token(cid),
    )
    return [SiteAchievement(info, item.image_png, item.image_svg)], [credential]
