"""The issuer's keyring: every Ed25519 key it has signed with, the current one and the retired.

Layout of ``keys_dir`` (mode 0700): ``keyring.json``, the public manifest (ids, Multikey
public keys, created, retired_at, current), and one encrypted PKCS#8 PEM per key,
``key-<n>.pem`` (mode 0600). The manifest is the commit point of every change: it is replaced
atomically, and a key file it does not list (a rotation that died half-way) is ignored, though
its id is never reused. Retired keys stay listed so the DID document keeps publishing them;
only the current key's file is ever decrypted.

A folder without a manifest but with the pre-keyring single key file (`LegacyKey`) loads as a
one-key keyring, unchanged on disk; `Keyring.save` (``badgeflow init``) or the first
`Keyring.rotate` writes the manifest, pointing at that file where it is.
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from badgeflow.credentials._manifest import (
    MANIFEST,
    KeyRecord,
    keyring_lock,
    read_manifest,
    write_manifest,
)
from badgeflow.credentials.keys import load_private_key, write_key_file
from badgeflow.credentials.signer import Ed25519Signer, public_key_multibase
from badgeflow.errors import ConfigurationError

__all__ = ["MANIFEST", "KeyRecord", "Keyring", "LegacyKey", "ensure_keyring", "read_manifest"]

_NUMBERED = re.compile(r"^key-(\d+)(?:\.pem)?$")


@dataclass(frozen=True)
class LegacyKey:
    """The single key file badgeflow used before the keyring (``signing.key_path``).

    Attributes:
        path: the PEM file.
        key_id: the fragment credentials signed with it name (``signing.key_id``).
    """

    path: Path
    key_id: str


class Keyring:
    """The issuer's keys: the current one (decrypted, signs) and every retired one (public).

    Example:
        >>> ring = Keyring.load(Path("var/keys"), passphrase)  # doctest: +SKIP
        >>> ring.signer("did:web:badges.example.org")  # signs as ...#key-2  # doctest: +SKIP
        >>> did_document(did, ring.public_keys())  # current and retired  # doctest: +SKIP
    """

    def __init__(
        self,
        keys_dir: Path,
        records: tuple[KeyRecord, ...],
        current_key: Ed25519PrivateKey,
        passphrase: str | None,
        *,
        saved: bool,
    ) -> None:
        self._dir = keys_dir
        self._records = records
        self._key = current_key
        self._passphrase = passphrase
        self._saved = saved

    @classmethod
    def load(
        cls, keys_dir: Path, passphrase: str | None, *, legacy: LegacyKey | None = None
    ) -> Keyring:
        """Read the manifest and decrypt the current key.

        Args:
            keys_dir: the keyring folder.
            passphrase: the passphrase the key files are encrypted with, or None.
            legacy: the pre-keyring key file, used only when ``keys_dir`` has no manifest.

        Returns:
            The keyring.

        Raises:
            ConfigurationError: no keyring (and no legacy key file), a malformed manifest, a
                key file readable by others, a wrong or missing passphrase, or a key file
                that does not match the public key the manifest lists.
        """
        manifest = read_manifest(keys_dir)
        if manifest is None:
            if legacy is None or not legacy.path.is_file():
                raise ConfigurationError(
                    f"no issuer keys in {keys_dir} (no {MANIFEST}): run `badgeflow init`"
                )
            key = _load_key(legacy.path, passphrase)
            created = datetime.fromtimestamp(int(legacy.path.stat().st_mtime), UTC)
            record = KeyRecord(
                key_id=legacy.key_id,
                public_key_multibase=public_key_multibase(key.public_key()),
                created=created,
                retired_at=None,
                file=_file_name(legacy.path, keys_dir),
            )
            return cls(keys_dir, (record,), key, passphrase, saved=False)
        current = next(r for r in manifest if r.retired_at is None)
        key = _load_key(keys_dir / current.file, passphrase)
        if public_key_multibase(key.public_key()) != current.public_key_multibase:
            raise ConfigurationError(
                f"key file {keys_dir / current.file} does not hold the public key {MANIFEST} "
                f"lists for {current.key_id}"
            )
        return cls(keys_dir, manifest, key, passphrase, saved=True)

    @classmethod
    def create(cls, keys_dir: Path, passphrase: str | None, *, now: datetime) -> Keyring:
        """Create a new keyring holding one key, ``key-1``.

        Args:
            keys_dir: the folder; created with mode 0700 if missing.
            passphrase: encrypts the key file; None stores it unencrypted (demos only).
            now: the creation time (timezone-aware).

        Returns:
            The new keyring, already on disk.

        Raises:
            ConfigurationError: a keyring already exists there, or the passphrase is empty.
        """
        _check_aware(now)
        _make_dir(keys_dir)
        with keyring_lock(keys_dir):
            if read_manifest(keys_dir) is not None:
                raise ConfigurationError(f"{keys_dir} already holds a keyring")
            key_id = f"key-{_next_number(keys_dir, ())}"
            key = Ed25519PrivateKey.generate()
            write_key_file(keys_dir / f"{key_id}.pem", key, passphrase)
            record = KeyRecord(
                key_id, public_key_multibase(key.public_key()), now, None, f"{key_id}.pem"
            )
            write_manifest(keys_dir, (record,))
        return cls(keys_dir, (record,), key, passphrase, saved=True)

    @property
    def keys_dir(self) -> Path:
        """The keyring folder."""
        return self._dir

    @property
    def records(self) -> tuple[KeyRecord, ...]:
        """Every key, oldest first (public information only)."""
        return self._records

    @property
    def current(self) -> KeyRecord:
        """The key new credentials are signed with."""
        return next(r for r in self._records if r.retired_at is None)

    @property
    def saved(self) -> bool:
        """False for a legacy key file whose manifest has not been written yet."""
        return self._saved

    def signer(self, did: str | None = None) -> Ed25519Signer:
        """Return a signer holding the current key.

        Args:
            did: the issuer's DID for a ``{did}#{key id}`` verification method (did:web);
                None gives the key's own did:key method id.

        Returns:
            The signer.
        """
        return Ed25519Signer(self._key, self.current.verification_method(did))

    def public_keys(self) -> list[tuple[str, Ed25519PublicKey]]:
        """Return ``(key_id, public_key)`` of every key, current and retired, for `did_document`."""
        return [(r.key_id, r.public_key) for r in self._records]

    def save(self) -> None:
        """Write the manifest of a legacy key file (no-op when it exists); see module docs."""
        if self._saved:
            return
        with keyring_lock(self._dir):
            if read_manifest(self._dir) is not None:
                raise ConfigurationError(f"{self._dir} gained a keyring meanwhile; load it again")
            write_manifest(self._dir, self._records)
        self._saved = True

    def rotate(self, now: datetime) -> str:
        """Make a new current key and retire the previous one (which stays published).

        The new key file is written (mode 0600) and flushed first; the manifest that makes
        it current replaces the old one atomically afterwards. Ids are ``key-<n>``, one
        above any id the manifest or the folder has ever held.

        Args:
            now: the rotation time, recorded as the new key's ``created`` and the old
                key's ``retired_at`` (timezone-aware).

        Returns:
            The new key's id.

        Raises:
            ConfigurationError: the keyring changed on disk since it was loaded.
        """
        _check_aware(now)
        previous = self.current
        _make_dir(self._dir)
        with keyring_lock(self._dir):
            on_disk = read_manifest(self._dir)
            if on_disk != (self._records if self._saved else None):
                raise ConfigurationError(
                    f"the keyring in {self._dir} changed since it was loaded; run again"
                )
            key_id = f"key-{_next_number(self._dir, self._records)}"
            key = Ed25519PrivateKey.generate()
            write_key_file(self._dir / f"{key_id}.pem", key, self._passphrase)
            new = KeyRecord(
                key_id, public_key_multibase(key.public_key()), now, None, f"{key_id}.pem"
            )
            records = tuple(
                replace(r, retired_at=now) if r is previous else r for r in self._records
            )
            records += (new,)
            write_manifest(self._dir, records)
        self._records, self._key, self._saved = records, key, True
        return key_id

    def __repr__(self) -> str:
        return f"Keyring({str(self._dir)!r}, current={self.current.key_id!r})"


def ensure_keyring(
    keys_dir: Path, passphrase: str | None, *, legacy: LegacyKey | None, now: datetime
) -> tuple[Keyring, Literal["kept", "adopted", "new"]]:
    """Load the keyring, adopting a legacy key file or creating a new keyring if needed.

    Args:
        keys_dir: the keyring folder.
        passphrase: the key files' passphrase, or None.
        legacy: the pre-keyring key file, adopted (manifest written, file left in place)
            when ``keys_dir`` has no manifest.
        now: creation time of a new keyring.

    Returns:
        The keyring and what happened: ``kept``, ``adopted`` or ``new``.

    Raises:
        ConfigurationError: as `Keyring.load` and `Keyring.create`.
    """
    if read_manifest(keys_dir) is None and (legacy is None or not legacy.path.is_file()):
        return Keyring.create(keys_dir, passphrase, now=now), "new"
    keyring = Keyring.load(keys_dir, passphrase, legacy=legacy)
    if keyring.saved:
        return keyring, "kept"
    keyring.save()
    return keyring, "adopted"


def _load_key(path: Path, passphrase: str | None) -> Ed25519PrivateKey:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError as exc:
        raise ConfigurationError(f"cannot read signing key file {path}: {exc.strerror}") from exc
    if mode & 0o077:
        raise ConfigurationError(
            f"signing key file {path} is accessible to other users (mode {mode:04o}); "
            f"run `chmod 600 {path}`"
        )
    return load_private_key(path, passphrase)


def _file_name(path: Path, keys_dir: Path) -> str:
    resolved = path.resolve()
    return resolved.name if resolved.parent == keys_dir.resolve() else str(resolved)


def _next_number(keys_dir: Path, records: tuple[KeyRecord, ...]) -> int:
    names = [r.key_id for r in records] + [p.name for p in keys_dir.glob("key-*.pem")]
    numbers = [int(m.group(1)) for m in map(_NUMBERED.match, names) if m]
    return max(numbers, default=0) + 1


def _make_dir(keys_dir: Path) -> None:
    if not keys_dir.exists():
        keys_dir.mkdir(mode=0o700, parents=True)


def _check_aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
