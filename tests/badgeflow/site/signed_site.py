"""A verification site holding REALLY signed credentials, for the in-browser verifier's tests.

Signed with our signer and status list code directly (no flow): one credential per state the
browser must tell apart. Each carries a revocation and a suspension entry; the lists set the
bits of the revoked and the suspended one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from badgeflow.credentials import (
    Ed25519Signer,
    bake_png,
    bake_svg,
    build_credential,
    did_document,
    issue,
)
from badgeflow.site.build import SiteCredential, build_site
from badgeflow.status import status_entry, status_list_url
from badgeflow.status.lists import build_status_list_credential, status_list_path
from tests.badgeflow.site.factories import (
    BASE_URL,
    GENERATED_AT,
    make_achievements,
    make_issuer,
    tiny_png,
)

SEED = bytes(range(32))
VALID_FROM = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
VALID_UNTIL = datetime(2099, 1, 1, 9, 0, tzinfo=UTC)
# name -> (status list index, validFrom, validUntil)
STATES = {
    "valid": (0, VALID_FROM, VALID_UNTIL),
    "tampered": (1, VALID_FROM, VALID_UNTIL),
    "revoked": (2, VALID_FROM, VALID_UNTIL),
    "suspended": (3, VALID_FROM, VALID_UNTIL),
    "expired": (4, datetime(2020, 1, 1, tzinfo=UTC), datetime(2021, 1, 1, tzinfo=UTC)),
    "future": (5, datetime(2098, 1, 1, tzinfo=UTC), VALID_UNTIL),
    "hostile": (6, VALID_FROM, VALID_UNTIL),
}
HOSTILE_NAME = "<img src=x onerror=alert(1)> \"Q\" 'q' \u202eרשת\u202c \b\f\x01 & done"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><title>badge</title></svg>'


def cid(name: str) -> str:
    return f"10000000-0000-4000-8000-{STATES[name][0]:012d}"


@dataclass(frozen=True)
class SignedSite:
    root: Path
    documents: dict[str, dict]
    pngs: dict[str, bytes]
    svgs: dict[str, str]


def build_signed_site(root: Path) -> SignedSite:
    issuer = make_issuer()
    signer = Ed25519Signer.from_seed(SEED, f"{issuer.id}#key-1")
    achievement = make_achievements(root)[0]
    lists = {p: status_list_url(BASE_URL, p, 1) for p in ("revocation", "suspension")}
    documents, pngs, svgs, credentials = {}, {}, {}, []
    for name, (index, valid_from, valid_until) in STATES.items():
        info = replace(achievement.info, name=HOSTILE_NAME) if name == "hostile" else None
        unsigned = build_credential(
            credential_id=f"urn:uuid:{cid(name)}",
            issuer=issuer,
            achievement=info or achievement.info,
            recipient_email=f"{name}@example.com",
            salt=f"salt-{name}",
            valid_from=valid_from,
            valid_until=valid_until,
            awarded_at=valid_from,
            score=None,
            credential_status=[
                status_entry(list_url=url, index=index, purpose=p) for p, url in lists.items()
            ],
        )
        documents[name] = issue(unsigned, signer, created=valid_from, proof_as_array=True)
        text = json.dumps(documents[name], indent=2, ensure_ascii=False)
        pngs[name] = bake_png(tiny_png(), text)
        svgs[name] = bake_svg(SVG, text)
        credentials.append(
            SiteCredential(
                credential_id=cid(name),
                document=text,
                achievement_slug=achievement.info.slug,
                awarded_at=valid_from,
                valid_until=valid_until,
                learner_name=f"Learner ‮{name}‬ <b>\"'",
                baked_png=pngs[name],
                baked_svg=svgs[name],
                status={"revoked": "revoked", "suspended": "suspended"}.get(name, "active"),
            )
        )
    status_lists = {
        status_list_path(purpose, 1): build_status_list_credential(
            list_url=url,
            purpose=purpose,
            issuer_id=issuer.id,
            set_indices=[STATES["revoked" if purpose == "revocation" else "suspended"][0]],
            valid_from=GENERATED_AT,
            signer=signer,
        )
        for purpose, url in lists.items()
    }
    build_site(
        root / "site",
        issuer=issuer,
        achievements=[achievement],
        credentials=credentials,
        did_document=did_document(issuer.id, [("key-1", signer.public_key)]),
        base_url=BASE_URL,
        generated_at=GENERATED_AT,
        extra_json=status_lists,
    )
    # Tamper with the published file after the build, as an attacker editing the JSON would.
    published = root / "site" / "credentials" / f"{cid('tampered')}.json"
    tampered = json.loads(published.read_text("utf-8"))
    tampered["credentialSubject"]["achievement"]["name"] = "Data Foundations (Honours)"
    published.write_text(json.dumps(tampered, indent=2), "utf-8")
    documents["tampered"] = tampered
    return SignedSite(root / "site", documents, pngs, svgs)
