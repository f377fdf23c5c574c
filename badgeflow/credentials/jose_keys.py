"""JOSE keys (RS256, ES256) for VC-JWT and OB 2.0 signed assertions, beside the Ed25519 keyring.

Layout of ``keys_dir / "jose"`` (mode 0700), the same rules as the Ed25519 keyring:
``jose.json``, the public manifest (id, alg, public JWK, created, retired_at, file; the
current key per algorithm), and one encrypted PKCS#8 PEM per key, ``rsa-<n>.pem`` (RSA 3072,
RS256) or ``p256-<n>.pem`` (EC P-256, ES256), mode 0600. The manifest is replaced atomically
and is the commit point of every change; ids are never reused (a key file the manifest does
not list still blocks its id). Retired keys stay listed, so the DID document keeps publishing
them; only the current keys' files are ever decrypted.

RSA keys are 3072 bits: about 128-bit security, like P-256 and Ed25519 (2048 bits is about
112), for a few milliseconds per signature, which a nightly batch does not notice.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from badgeflow.credentials._jose_manifest import (
    JOSE_DIR,
    JOSE_MANIFEST,
    JoseKeyRecord,
    jose_verification_methods,
    read_jose_manifest,
    write_jose_manifest,
)
from badgeflow.credentials._manifest import keyring_lock
from badgeflow.credentials.jws import ALGORITHMS, Algorithm, JwsPrivateKey, public_jwk
from badgeflow.credentials.keys import load_pem_key, write_key_file
from badgeflow.errors import ConfigurationError
from badgeflow.models import JSONDict

__all__ = [
    "JOSE_DIR",
    "JOSE_MANIFEST",
    "RSA_BITS",
    "JoseKey",
    "JoseKeyRecord",
    "JoseKeyring",
    "jose_verification_methods",
    "read_jose_manifest",
]

RSA_BITS: Final = 3072
_PREFIX: Final[dict[str, str]] = {"RS256": "rsa", "ES256": "p256"}
_NUMBERED: Final = re.compile(r"^(rsa|p256)-(\d+)(?:\.pem)?$")


@dataclass(frozen=True)
class JoseKey:
    """A current JOSE key, decrypted, ready to sign.

    Attributes:
        key_id: the fragment of its verification method (``rsa-1``, ``p256-1``).
        alg: ``RS256`` or ``ES256``.
        private_key: the private key (never logged; `repr` leaves it out).
        created: when it was made.
    """

    key_id: str
    alg: Algorithm
    private_key: JwsPrivateKey
    created: datetime

    def __repr__(self) -> str:
        return f"JoseKey({self.key_id!r}, {self.alg})"


class JoseKeyring:
    """The issuer's JOSE keys: the current one per algorithm (decrypted) and the retired ones.

    Example:
        >>> ring = JoseKeyring.ensure(Path("var/keys"), passphrase, now=now)  # doctest: +SKIP
        >>> ring.current("ES256").key_id  # doctest: +SKIP
        'p256-1'
    """

    def __init__(
        self,
        keys_dir: Path,
        records: tuple[JoseKeyRecord, ...],
        current: dict[Algorithm, JoseKey],
        passphrase: str | None,
    ) -> None:
        self._dir = keys_dir
        self._records = records
        self._current = current
        self._passphrase = passphrase

    @classmethod
    def ensure(
        cls,
        keys_dir: Path,
        passphrase: str | None,
        *,
        now: datetime,
        algs: Sequence[Algorithm] = ALGORITHMS,
    ) -> JoseKeyring:
        """Load the JOSE keys, first creating a current key for every missing algorithm.

        Args:
            keys_dir: the keyring folder; keys go in ``keys_dir / "jose"`` (mode 0700).
            passphrase: encrypts new key files; None stores them unencrypted (demos only).
            now: creation time of new keys (timezone-aware).
            algs: the algorithms that must have a current key.

        Returns:
            The keyring.

        Raises:
            ConfigurationError: as `load`, or an empty passphrase.
        """
        _check_aware(now)
        folder = _make_dir(keys_dir)
        with keyring_lock(folder):
            records = read_jose_manifest(keys_dir) or ()
            have = {r.alg for r in records if r.retired_at is None}
            missing = [alg for alg in dict.fromkeys(algs) if alg not in have]
            for alg in missing:
                records += (_new_key(folder, alg, records, passphrase, now),)
            if missing:
                write_jose_manifest(folder, records)
        return cls.load(keys_dir, passphrase)

    @classmethod
    def load(cls, keys_dir: Path, passphrase: str | None) -> JoseKeyring:
        """Read the manifest and decrypt the current key of each algorithm.

        Raises:
            ConfigurationError: no JOSE keys (run `badgeflow init`), a malformed manifest,
                a key file readable by others, a wrong passphrase, or a key file that does
                not hold the public key the manifest lists.
        """
        records = read_jose_manifest(keys_dir)
        if records is None:
            raise ConfigurationError(
                f"no JOSE keys in {keys_dir / JOSE_DIR}: run `badgeflow init` or "
                "`badgeflow keys rotate --alg RS256|ES256`"
            )
        current = {
            r.alg: JoseKey(r.key_id, r.alg, _load(keys_dir / JOSE_DIR, r, passphrase), r.created)
            for r in records
            if r.retired_at is None
        }
        return cls(keys_dir, records, current, passphrase)

    @property
    def records(self) -> tuple[JoseKeyRecord, ...]:
        """Every JOSE key, oldest first (public information only)."""
        return self._records

    def current(self, alg: Algorithm) -> JoseKey:
        """Return the current key for `alg`.

        Raises:
            ConfigurationError: there is no key for `alg` yet.
        """
        key = self._current.get(alg)
        if key is None:
            raise ConfigurationError(
                f"no {alg} key in {self._dir / JOSE_DIR}: run `badgeflow keys rotate --alg {alg}`"
            )
        return key

    def verification_methods(self, controller: str) -> list[JSONDict]:
        """Return every key, current and retired, as `JsonWebKey` verification methods."""
        return jose_verification_methods(self._records, controller)

    def rotate(self, alg: Algorithm, now: datetime) -> str:
        """Make a new current key for `alg`; the previous one (if any) is retired, kept listed.

        Args:
            alg: ``RS256`` or ``ES256``.
            now: the new key's ``created`` and the old key's ``retired_at`` (aware).

        Returns:
            The new key's id.

        Raises:
            ConfigurationError: the keys changed on disk since they were loaded.
        """
        _check_aware(now)
        folder = _make_dir(self._dir)
        with keyring_lock(folder):
            if read_jose_manifest(self._dir) != self._records:
                raise ConfigurationError(f"the JOSE keys in {folder} changed since loading")
            new = _new_key(folder, alg, self._records, self._passphrase, now)
            records = tuple(
                replace(r, retired_at=now) if r.alg == alg and r.retired_at is None else r
                for r in self._records
            ) + (new,)
            key = _load(folder, new, self._passphrase)
            write_jose_manifest(folder, records)
        self._records = records
        self._current = {**self._current, alg: JoseKey(new.key_id, alg, key, now)}
        return new.key_id

    def __repr__(self) -> str:
        current = {alg: key.key_id for alg, key in self._current.items()}
        return f"JoseKeyring({str(self._dir)!r}, current={current!r})"


def _new_key(
    folder: Path,
    alg: Algorithm,
    records: tuple[JoseKeyRecord, ...],
    passphrase: str | None,
    now: datetime,
) -> JoseKeyRecord:
    prefix = _PREFIX[alg]
    names = [r.key_id for r in records] + [p.name for p in folder.glob(f"{prefix}-*.pem")]
    numbers = [int(m.group(2)) for m in map(_NUMBERED.match, names) if m and m[1] == prefix]
    key_id = f"{prefix}-{max(numbers, default=0) + 1}"
    key: JwsPrivateKey = (
        rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
        if alg == "RS256"
        else ec.generate_private_key(ec.SECP256R1())
    )
    write_key_file(folder / f"{key_id}.pem", key, passphrase)
    return JoseKeyRecord(key_id, alg, public_jwk(key.public_key()), now, None, f"{key_id}.pem")


def _load(folder: Path, record: JoseKeyRecord, passphrase: str | None) -> JwsPrivateKey:
    path = folder / record.file
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError as exc:
        raise ConfigurationError(f"cannot read JOSE key file {path}: {exc.strerror}") from exc
    if mode & 0o077:
        raise ConfigurationError(
            f"JOSE key file {path} is accessible to other users (mode {mode:04o}); "
            f"run `chmod 600 {path}`"
        )
    key = load_pem_key(path, passphrase)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ConfigurationError(f"JOSE key file {path} holds neither an RSA nor an EC key")
    if public_jwk(key.public_key()) != record.public_jwk:
        raise ConfigurationError(
            f"key file {path} does not hold the public key {JOSE_MANIFEST} lists for "
            f"{record.key_id}"
        )
    return key


def _make_dir(keys_dir: Path) -> Path:
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = keys_dir / JOSE_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _check_aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
