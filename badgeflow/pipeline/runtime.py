"""Long-lived resources built from `Settings`, once per process."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from threading import Lock

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from badgeflow import store
from badgeflow.catalog import Catalog, load_catalog
from badgeflow.credentials import Ed25519Signer, did_document, did_key_from_public_key
from badgeflow.credentials.jose_keys import (
    JoseKeyring,
    jose_verification_methods,
    read_jose_manifest,
)
from badgeflow.credentials.keyring import Keyring, LegacyKey, read_manifest
from badgeflow.errors import ConfigurationError
from badgeflow.models import IssuerInfo, JSONDict
from badgeflow.notify.mailer import FileMailer, Mailer, SmtpMailer
from badgeflow.notify.ratelimit import RateLimiter
from badgeflow.secrets import require_resolved, secrets_fingerprint
from badgeflow.settings import Settings, SourceSettings

__all__ = ["Runtime", "runtime_for"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runtime:
    """Everything a stage needs, derived from one `Settings`."""

    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        """The database engine; the schema must be at the current revision."""
        database = self.settings.database
        engine = store.make_engine(
            database.url,
            pool_size=database.pool_size,
            max_overflow=database.max_overflow,
            pool_timeout=database.pool_timeout_seconds,
            pool_recycle=database.pool_recycle_seconds,
        )
        store.check_schema(engine)
        return engine

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        """Session factory bound to `engine`."""
        return store.session_factory(self.engine)

    @cached_property
    def catalog(self) -> Catalog:
        """The badge catalog."""
        return load_catalog(self.settings.catalog_dir)

    @cached_property
    def keyring(self) -> Keyring:
        """The issuer's keyring, read once per process (a rotation applies to the next run)."""
        signing = self.settings.signing
        passphrase = signing.passphrase.get_secret_value() if signing.passphrase else None
        legacy = LegacyKey(signing.key_path, signing.key_id)
        return Keyring.load(signing.keys_dir, passphrase, legacy=legacy)

    @property
    def issuer_did(self) -> str:
        """The issuer DID: did:web from the site URL, or did:key of the current key."""
        if self.settings.signing.method == "did:key":
            return did_key_from_public_key(self.keyring.current.public_key)
        return self.settings.site.issuer_did

    @cached_property
    def issuer(self) -> IssuerInfo:
        """The issuer profile as it appears in credentials."""
        return self.catalog.issuer_info(
            issuer_did=self.issuer_did, site_base_url=self.settings.site.base_url
        )

    @cached_property
    def signer(self) -> Ed25519Signer:
        """The current key's signer; its key never leaves this process.

        Its verification method is ``did:web:<site>#key-<n>``, or ``did:key:<mk>#<mk>``
        when ``signing.method`` is did:key.
        """
        did_web = None if self.settings.signing.method == "did:key" else self.issuer_did
        return self.keyring.signer(did_web)

    @cached_property
    def jose_keyring(self) -> JoseKeyring:
        """The issuer's JOSE keys (VC-JWT), created by `badgeflow init`."""
        signing = self.settings.signing
        passphrase = signing.passphrase.get_secret_value() if signing.passphrase else None
        return JoseKeyring.load(signing.keys_dir, passphrase)

    @property
    def did_document(self) -> JSONDict:
        """The site's did:web DID document, published at /.well-known/did.json.

        It lists every key of the keyring, current and retired, with absolute ids, so every
        credential ever signed still verifies. The manifest is read again on each call: a
        site published by a run that started before a rotation still lists the new key.
        With did:key the credentials do not need it (did:key resolves itself); it is
        published all the same, tying the keys to the site's domain. The JOSE keys (VC-JWT,
        `JoseKeyring`), when there are any, are listed too, as ``JsonWebKey`` methods.
        """
        site_did = self.settings.site.issuer_did
        records = {r.key_id: r for r in self.keyring.records}
        for record in read_manifest(self.settings.signing.keys_dir) or ():
            known = records.setdefault(record.key_id, record)
            if known.public_key_multibase != record.public_key_multibase:
                raise ConfigurationError(f"key {record.key_id} changed on disk during this run")
        jose = read_jose_manifest(self.settings.signing.keys_dir) or ()
        return did_document(
            site_did,
            [(r.key_id, r.public_key) for r in records.values()],
            jose_methods=jose_verification_methods(jose, site_did),
        )

    @cached_property
    def mailer(self) -> Mailer:
        """The configured mail transport."""
        mail = self.settings.mail
        if mail.transport == "file":
            return FileMailer(mail.outbox_dir)
        password = mail.smtp_password.get_secret_value() if mail.smtp_password else None
        limiter = RateLimiter(mail.smtp_max_per_minute) if mail.smtp_max_per_minute else None
        return SmtpMailer(
            mail.smtp_host,
            mail.smtp_port,
            username=mail.smtp_username,
            password=password,
            security=mail.smtp_security,
            ca_file=mail.smtp_ca_file,
            timeout=mail.smtp_timeout_seconds,
            rate_limiter=limiter,
        )

    @property
    def baked_dir(self) -> Path:
        """Where baked badge images are kept until the site is published."""
        return self.settings.var_dir / "baked"

    def source(self, name: str) -> SourceSettings:
        """Return the settings of the source called `name`."""
        for source in self.settings.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.settings.sources) or "none configured"
        raise ConfigurationError(f"no source named {name!r} (known: {known})")


_cache: dict[str, Runtime] = {}
_lock = Lock()


def runtime_for(settings: Settings) -> Runtime:
    """Return the process-wide `Runtime` for these settings (built on first use).

    Raises:
        ConfigurationError: a secret setting still names a Prefect Secret block.
    """
    require_resolved(settings)
    key = settings.model_dump_json() + secrets_fingerprint(settings)
    with _lock:
        runtime = _cache.get(key)
        if runtime is None:
            runtime = _cache[key] = Runtime(settings)
        return runtime
