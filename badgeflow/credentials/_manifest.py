"""The keyring's public manifest (``keyring.json``): read, validate, write atomically, lock."""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from badgeflow.credentials.signer import did_key_verification_method, public_key_from_multibase
from badgeflow.errors import BadgeflowError, ConfigurationError
from badgeflow.models import JSONDict

__all__ = [
    "MANIFEST",
    "KeyRecord",
    "keyring_lock",
    "read_manifest",
    "write_json_atomic",
    "write_manifest",
]

MANIFEST = "keyring.json"
_VERSION = 1
_LOCK = ".keyring.lock"


@dataclass(frozen=True)
class KeyRecord:
    """One key as the manifest lists it: public information only.

    Attributes:
        key_id: the fragment of its did:web verification method (``key-2``).
        public_key_multibase: the Multikey public key (``z6Mk...``).
        created: when it was made.
        retired_at: when a newer key replaced it; None for the current key.
        file: its PEM file, relative to the keyring folder (absolute for an adopted
            legacy key file kept elsewhere).
    """

    key_id: str
    public_key_multibase: str
    created: datetime
    retired_at: datetime | None
    file: str

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The public key."""
        return public_key_from_multibase(self.public_key_multibase)

    def verification_method(self, did: str | None) -> str:
        """Return the absolute method id: ``{did}#{key_id}``, or did:key's when ``did`` is None."""
        if did is None:
            return did_key_verification_method(self.public_key)
        return f"{did}#{self.key_id}"

    def to_json(self) -> JSONDict:
        """The manifest entry."""
        return {
            "id": self.key_id,
            "public_key_multibase": self.public_key_multibase,
            "created": self.created.isoformat(),
            "retired_at": self.retired_at.isoformat() if self.retired_at else None,
            "file": self.file,
        }


def read_manifest(keys_dir: Path) -> tuple[KeyRecord, ...] | None:
    """Read and validate ``keyring.json`` (no passphrase needed: it is public).

    Args:
        keys_dir: the keyring folder.

    Returns:
        Every key, oldest first; None when the folder has no manifest.

    Raises:
        ConfigurationError: the manifest cannot be read or is inconsistent.
    """
    path = keys_dir / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read the keyring manifest {path}: {exc}") from exc
    try:
        return _parse(data)
    except (AttributeError, KeyError, TypeError, ValueError, BadgeflowError) as exc:
        raise ConfigurationError(f"keyring manifest {path} is invalid: {exc}") from exc


def _parse(data: Any) -> tuple[KeyRecord, ...]:
    if data.get("version") != _VERSION:
        raise ValueError(f"unsupported version {data.get('version')!r}")
    records = tuple(
        KeyRecord(
            key_id=str(entry["id"]),
            public_key_multibase=str(entry["public_key_multibase"]),
            created=_aware(entry["created"]),
            retired_at=_aware(entry["retired_at"]) if entry["retired_at"] is not None else None,
            file=str(entry["file"]),
        )
        for entry in data["keys"]
    )
    ids = [r.key_id for r in records]
    if len(set(ids)) != len(ids):
        raise ValueError("a key id is listed twice")
    active = [r.key_id for r in records if r.retired_at is None]
    if active != [data["current"]]:
        raise ValueError(f"current is {data['current']!r} but the unretired keys are {active}")
    for record in records:
        record.public_key  # noqa: B018 - decodes, so a bad key fails here and not mid-batch
    return records


def _aware(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return parsed


def write_manifest(keys_dir: Path, records: tuple[KeyRecord, ...]) -> None:
    """Replace ``keyring.json`` atomically (temporary file, fsync, rename, fsync the folder).

    Args:
        keys_dir: the keyring folder (must exist).
        records: every key, oldest first; exactly one without ``retired_at``.
    """
    current = next(r.key_id for r in records if r.retired_at is None)
    document = {
        "version": _VERSION,
        "current": current,
        "keys": [r.to_json() for r in records],
    }
    write_json_atomic(keys_dir / MANIFEST, document)


def write_json_atomic(path: Path, document: JSONDict) -> None:
    """Replace a JSON file atomically (temporary file, fsync, rename, fsync the folder).

    Args:
        path: the file; its folder must exist.
        document: the JSON object to write.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(document, indent=2) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def keyring_lock(keys_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the keyring folder, so two rotations never interleave."""
    fd = os.open(keys_dir / _LOCK, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
