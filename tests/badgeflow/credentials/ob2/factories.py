"""A small OB 2.0 issuer, badge, key and assertions on https://badges.example.org, as files."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from cryptography.hazmat.primitives.asymmetric import rsa

from badgeflow.credentials import identity_hash, ob2

BASE = "https://badges.example.org/ob2"
ISSUER = f"{BASE}/issuer.json"
BADGE = f"{BASE}/badges/sql.json"
KEY = f"{BASE}/keys/rsa-1.json"
REVOCATIONS = f"{BASE}/revocations.json"
ISSUED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
EMAIL = "Ada@Example.org"
SALT = "c0ffee"


@cache
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def issuer(*, signed: bool = False) -> dict:
    return ob2.issuer_profile(
        issuer_id=ISSUER,
        name="Badgeflow Academy",
        url="https://academy.example.org",
        email="badges@academy.example.org",
        public_keys=[KEY] if signed else [],
        revocation_list=REVOCATIONS if signed else None,
    )


def badge() -> dict:
    return ob2.badge_class(
        badge_id=BADGE,
        name="SQL Essentials",
        description="Writes correct SQL queries.",
        image="https://badges.example.org/achievements/sql.png",
        issuer_id=ISSUER,
        criteria_url="https://badges.example.org/achievements/sql/",
        criteria_narrative="Pass the final exam.",
        tags=["sql"],
        alignments=[ob2.Alignment("SQL", "https://example.org/fw/sql", target_code="S1")],
    )


def assertion(name: str = "a1", *, signed: bool = False, expires: datetime | None = None) -> dict:
    return ob2.assertion(
        assertion_id=f"{BASE}/assertions/{name}.json",
        badge_id=BADGE,
        recipient=ob2.recipient_identity(identity_hash(EMAIL, SALT), SALT),
        issued_on=ISSUED,
        creator=KEY if signed else None,
        expires=expires,
        narrative="Scored 92%.",
    )


def key_document() -> dict:
    return ob2.cryptographic_key(key_id=KEY, owner=ISSUER, public_key=rsa_key().public_key())


def documents(*extra: dict, signed: bool = False, revoked: tuple[str, ...] = ()) -> dict:
    docs = [issuer(signed=signed), badge(), *extra]
    if signed:
        docs.append(key_document())
        docs.append(
            ob2.revocation_list(
                list_id=REVOCATIONS, issuer_id=ISSUER, revoked=[(r, "cheating") for r in revoked]
            )
        )
    return {d["id"]: d for d in docs}
