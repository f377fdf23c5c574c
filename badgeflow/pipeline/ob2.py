"""Open Badges 2.0 copies of the stored credentials, for the publish stage (``issuance.ob2``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa

from badgeflow import store
from badgeflow.credentials.jose_keys import JoseKeyring
from badgeflow.credentials.jws import public_key_from_jwk
from badgeflow.errors import ConfigurationError
from badgeflow.pipeline.runtime import Runtime
from badgeflow.site.build import SiteAchievement
from badgeflow.site.ob2 import Ob2Credential, Ob2Output, Ob2Signing, Ob2Urls, ob2_site_files
from badgeflow.store import CredentialRecord

__all__ = ["ob2_output", "ob2_signing"]

_STATUS_ACTION = {"revoked": "revoke", "suspended": "suspend"}


def ob2_signing(keys_dir: Path, passphrase: str | None, *, now: datetime) -> Ob2Signing:
    """Return the current RS256 key (created on first use) and every RSA key to publish.

    Args:
        keys_dir: the issuer's keys folder (`signing.keys_dir`); the JOSE keyring lives there.
        passphrase: the keys' passphrase.
        now: creation time of a new key.

    Raises:
        ConfigurationError: unreadable keys, a wrong passphrase, or a current key that is
            not RSA.
    """
    keyring = JoseKeyring.ensure(keys_dir, passphrase, now=now, algs=("RS256",))
    current = keyring.current("RS256")
    if not isinstance(current.private_key, rsa.RSAPrivateKey):
        raise ConfigurationError(f"JOSE key {current.key_id} is not an RSA key")
    public: dict[str, rsa.RSAPublicKey] = {}
    for record in keyring.records:
        key = public_key_from_jwk(record.public_jwk)
        if record.alg == "RS256" and isinstance(key, rsa.RSAPublicKey):
            public[record.key_id] = key
    return Ob2Signing(current.key_id, current.private_key, public)


def ob2_output(
    runtime: Runtime,
    records: Sequence[CredentialRecord],
    achievements: Sequence[SiteAchievement],
    *,
    generated_at: datetime,
) -> Ob2Output:
    """Build the OB 2.0 part of the site, as `issuance.ob2` asks (empty when ``off``).

    Revoked and suspended credentials are published as revoked (OB 2.0 has no suspension),
    with the reason of their latest revoke/suspend event; a reinstated one is active again.

    Args:
        runtime: resources built from settings.
        records: the stored credentials.
        achievements: the site's achievements and their images.
        generated_at: the publish time (creates the RS256 key on first use).

    Returns:
        Documents and files to add to the site.
    """
    mode = runtime.settings.issuance.ob2
    if mode == "off":
        return Ob2Output()
    reasons: dict[tuple[str, str], str] = {}
    with runtime.sessions() as session:
        for event in store.status_events(session):
            reasons[(event.credential_id, event.action)] = event.reason
    credentials = [
        Ob2Credential(
            credential_id=r.credential_id,
            achievement_slug=r.achievement_id,
            document=r.document,
            awarded_at=r.awarded_at,
            valid_until=r.valid_until,
            revoked=r.status != "active",
            reason=_reason(
                r.status, reasons.get((r.credential_id, _STATUS_ACTION.get(r.status, "")))
            ),
        )
        for r in records
    ]
    signing = None
    if mode == "signed":
        secret = runtime.settings.signing.passphrase
        signing = ob2_signing(
            runtime.settings.signing.keys_dir,
            secret.get_secret_value() if secret else None,
            now=generated_at,
        )
    return ob2_site_files(
        urls=Ob2Urls(runtime.settings.site.base_url),
        issuer=runtime.issuer,
        achievements=[(a.info, a.image_png, a.image_svg) for a in achievements],
        credentials=credentials,
        signing=signing,
    )


def _reason(status: str, reason: str | None) -> str | None:
    if status == "suspended":
        return f"suspended: {reason}" if reason else "suspended"
    return reason
