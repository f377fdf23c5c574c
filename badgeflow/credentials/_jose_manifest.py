"""The JOSE keys' public manifest (``jose/jose.json``): records, read, validate, write."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from badgeflow.credentials._manifest import write_json_atomic
from badgeflow.credentials.jws import ALGORITHMS, Algorithm, algorithm_for, public_key_from_jwk
from badgeflow.errors import BadgeflowError, ConfigurationError
from badgeflow.models import JSONDict

__all__ = [
    "JOSE_DIR",
    "JOSE_MANIFEST",
    "JoseKeyRecord",
    "jose_verification_methods",
    "read_jose_manifest",
    "write_jose_manifest",
]

JOSE_DIR: Final = "jose"
JOSE_MANIFEST: Final = "jose.json"
_VERSION: Final = 1


@dataclass(frozen=True)
class JoseKeyRecord:
    """One JOSE key as the manifest lists it: public information only."""

    key_id: str
    alg: Algorithm
    public_jwk: JSONDict
    created: datetime
    retired_at: datetime | None
    file: str

    def to_json(self) -> JSONDict:
        """The manifest entry."""
        return {
            "id": self.key_id,
            "alg": self.alg,
            "public_jwk": self.public_jwk,
            "created": self.created.isoformat(),
            "retired_at": self.retired_at.isoformat() if self.retired_at else None,
            "file": self.file,
        }


def read_jose_manifest(keys_dir: Path) -> tuple[JoseKeyRecord, ...] | None:
    """Read and validate ``jose/jose.json`` (public: no passphrase needed).

    Args:
        keys_dir: the keyring folder (``signing.keys_dir``).

    Returns:
        Every JOSE key, oldest first; None when there is no JOSE manifest.

    Raises:
        ConfigurationError: the manifest cannot be read or is inconsistent.
    """
    path = keys_dir / JOSE_DIR / JOSE_MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read the JOSE key manifest {path}: {exc}") from exc
    try:
        return _parse(data)
    except (AttributeError, KeyError, TypeError, ValueError, BadgeflowError) as exc:
        raise ConfigurationError(f"JOSE key manifest {path} is invalid: {exc}") from exc


def _parse(data: Any) -> tuple[JoseKeyRecord, ...]:
    if data.get("version") != _VERSION:
        raise ValueError(f"unsupported version {data.get('version')!r}")
    records = []
    for entry in data["keys"]:
        alg = entry["alg"]
        if alg not in ALGORITHMS:
            raise ValueError(f"unsupported alg {alg!r}")
        jwk = dict(entry["public_jwk"])
        if algorithm_for(public_key_from_jwk(jwk)) != alg:
            raise ValueError(f"key {entry['id']} is not an {alg} key")
        retired = entry["retired_at"]
        records.append(
            JoseKeyRecord(
                str(entry["id"]),
                alg,
                jwk,
                _aware(entry["created"]),
                _aware(retired) if retired is not None else None,
                str(entry["file"]),
            )
        )
    ids = [r.key_id for r in records]
    if len(set(ids)) != len(ids):
        raise ValueError("a key id is listed twice")
    for alg in ALGORITHMS:
        current = [r.key_id for r in records if r.alg == alg and r.retired_at is None]
        if current != ([data["current"][alg]] if alg in data["current"] else []):
            raise ValueError(f"current {alg} is {data['current'].get(alg)!r}, unretired {current}")
    return tuple(records)


def _aware(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return parsed


def jose_verification_methods(records: Sequence[JoseKeyRecord], controller: str) -> list[JSONDict]:
    """Return each key as a ``JsonWebKey`` verification method with an absolute id.

    Args:
        records: the keys (current and retired), e.g. from `read_jose_manifest`.
        controller: the DID (or URL) controlling them; ids are ``f"{controller}#{key_id}"``.

    Returns:
        ``{"id", "type": "JsonWebKey", "controller", "publicKeyJwk"}`` per key.
    """
    return [
        {
            "id": f"{controller}#{r.key_id}",
            "type": "JsonWebKey",
            "controller": controller,
            "publicKeyJwk": dict(r.public_jwk),
        }
        for r in records
    ]


def write_jose_manifest(folder: Path, records: tuple[JoseKeyRecord, ...]) -> None:
    """Replace ``jose.json`` in `folder` atomically; see `write_json_atomic`."""
    current = {r.alg: r.key_id for r in records if r.retired_at is None}
    document = {"version": _VERSION, "current": current, "keys": [r.to_json() for r in records]}
    write_json_atomic(folder / JOSE_MANIFEST, document)
