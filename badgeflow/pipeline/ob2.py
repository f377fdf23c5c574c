"""Open Badges 2.0 copies of the stored credentials, for the publish stage (``issuance.ob2``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa

from badgeflow import store
from badgeflow.credentials import ob2 as docs
from badgeflow.credentials.jose_keys import JoseKeyring
from badgeflow.credentials.jws import public_key_from_jwk
from badgeflow.errors import ConfigurationError
from badgeflow.models import JSONDict
from badgeflow.pipeline.runtime import Runtime
from badgeflow.site.build import SiteAchievement
from badgeflow.site.ob2 import (
    Ob2Credential,
    Ob2Signing,
    Ob2Urls,
    ob2_assertions,
    ob2_fixed_documents,
)
from badgeflow.store import CredentialRecord

__all__ = ["Ob2Publish", "ob2_signing"]

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


class Ob2Publish:
    """The OB 2.0 part of one publish, as `issuance.ob2` asks, made a credential at a time.

    Revoked and suspended credentials are published as revoked (OB 2.0 has no suspension),
    with the reason of their latest revoke/suspend event; a reinstated one is active again.
    Each credential's assertion files come from `extras` (rendered with its pages, in
    a worker process when there are many); the other documents from `documents`.
    """

    def __init__(
        self,
        runtime: Runtime,
        achievements: Sequence[SiteAchievement],
        *,
        generated_at: datetime,
    ) -> None:
        """Read the status reasons and (signed) the RS256 key; nothing when ``off``.

        Args:
            runtime: resources built from settings.
            achievements: the site's achievements and their images.
            generated_at: the publish time (creates the RS256 key on first use).
        """
        self.mode = runtime.settings.issuance.ob2
        self._runtime = runtime
        self._images = [(a.info, a.image_png, a.image_svg) for a in achievements]
        self._urls = Ob2Urls(runtime.settings.site.base_url)
        self._reasons: dict[tuple[str, str], str] = {}
        self._signing: Ob2Signing | None = None
        if self.mode == "off":
            return
        with runtime.sessions() as session:
            for event in store.status_events(session):
                self._reasons[(event.credential_id, event.action)] = event.reason
        if self.mode == "signed":
            secret = runtime.settings.signing.passphrase
            self._signing = ob2_signing(
                runtime.settings.signing.keys_dir,
                secret.get_secret_value() if secret else None,
                now=generated_at,
            )
        self._assertions = ob2_assertions(self._urls, self._images, self._signing)

    def credential(self, r: CredentialRecord) -> Ob2Credential:
        """One stored credential as its OB 2.0 assertion is made from."""
        return Ob2Credential(
            credential_id=r.credential_id,
            achievement_slug=r.achievement_id,
            document=r.document,
            awarded_at=r.awarded_at,
            valid_until=r.valid_until,
            revoked=r.status != "active",
            reason=_reason(
                r.status, self._reasons.get((r.credential_id, _STATUS_ACTION.get(r.status, "")))
            ),
        )

    def extras(
        self, r: CredentialRecord
    ) -> tuple[
        Callable[[], list[tuple[str, JSONDict | bytes]]] | None,
        tuple[str, tuple[str, ...]] | None,
    ]:
        """One credential's `SiteCredential.extra_files` and `SiteCredential.extra_cache`.

        The first is the function making its OB 2.0 files (picklable), None when off; a
        signed assertion is signed here (the private key stays in this process). The second
        is what hosted files are made from, and their paths; None when off or signed (a
        signed assertion is signed again at every publish, with the current key, so it stays
        out of the render cache).
        """
        if self.mode == "off":
            return None, None
        item = self.credential(r)
        if self._signing is None:
            cache = (self._assertions.cache_key(item), self._assertions.paths(item))
            return partial(self._assertions.files, item, None), cache
        jws = docs.sign_assertion(self._assertions.assertion(item), self._signing.private_key)
        return partial(self._assertions.files, item, jws), None

    def documents(self, records: Iterable[CredentialRecord]) -> dict[str, JSONDict]:
        """The issuer, keys, badge classes and (signed) the revocation list of ``records``.

        Raises:
            CatalogError: the issuer has no email.
        """
        if self.mode == "off":
            return {}
        revoked: list[tuple[str, str | None]] = []
        if self._signing is not None:
            for r in records:
                if r.status != "active":
                    item = self.credential(r)
                    revoked.append((self._urls.assertion(r.credential_id), item.reason))
        return ob2_fixed_documents(
            urls=self._urls,
            issuer=self._runtime.issuer,
            achievements=self._images,
            signing=self._signing,
            revoked=revoked,
        )


def _reason(status: str, reason: str | None) -> str | None:
    if status == "suspended":
        return f"suspended: {reason}" if reason else "suspended"
    return reason
