"""Secret settings that name a secret store entry instead of holding the secret.

Any secret setting (a source's token or client secret, ``signing.passphrase``,
``mail.smtp_password``, ...) may hold ``prefect-secret:<block name>`` instead of the value. The
orchestration edge (``tasks/_settings.py``) resolves such references through Prefect Secret
blocks before anything connects; the core only finds and replaces them, so it stays free of
Prefect. A reference left unresolved never reaches a connector: `unresolved_references`
lets the CLI refuse with a clear message.

Example:
    >>> settings = Settings()  # token = "prefect-secret:moodle-token"  # doctest: +SKIP
    >>> resolve_secret_references(settings, lambda name: Secret.load(name).get())  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any, Final

from pydantic import BaseModel, SecretStr

from badgeflow.errors import ConfigurationError
from badgeflow.settings import Settings

__all__ = [
    "SECRET_REFERENCE_PREFIX",
    "SecretReference",
    "resolve_secret_references",
    "require_resolved",
    "secret_references",
    "secret_values",
    "secrets_fingerprint",
    "unresolved_references",
]

SECRET_REFERENCE_PREFIX: Final = "prefect-secret:"

SecretReference = tuple[str, str]
"""``(setting path, block name)``, e.g. ``("sources[0].token", "moodle-token")``."""


def _walk(value: Any, path: str) -> Iterator[tuple[str, BaseModel, str, SecretStr]]:
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            field = getattr(value, name)
            where = f"{path}.{name}" if path else name
            if isinstance(field, SecretStr):
                yield where, value, name, field
            else:
                yield from _walk(field, where)
        # Private links to other settings (a webhook source's `score_source`) are copies
        # after `model_copy(deep=True)`: resolve them too.
        for name, linked in (value.__pydantic_private__ or {}).items():
            if isinstance(linked, BaseModel):
                yield from _walk(linked, f"{path}.{name}" if path else name)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")


def _block_name(secret: SecretStr) -> str | None:
    text = secret.get_secret_value()
    if not text.startswith(SECRET_REFERENCE_PREFIX):
        return None
    return text[len(SECRET_REFERENCE_PREFIX) :].strip()


def secret_references(settings: Settings) -> list[SecretReference]:
    """List the secret settings that name a secret block, as ``(path, block name)``.

    Raises:
        ConfigurationError: a reference names no block (``prefect-secret:`` alone).
    """
    found = []
    for path, _owner, _name, secret in _walk(settings, ""):
        block = _block_name(secret)
        if block is None:
            continue
        if not block:
            raise ConfigurationError(f"{path}: '{SECRET_REFERENCE_PREFIX}' names no secret block")
        found.append((path, block))
    return found


def unresolved_references(settings: Settings) -> list[SecretReference]:
    """The references still in `settings` (none once `resolve_secret_references` ran)."""
    return secret_references(settings)


def require_resolved(settings: Settings, *, only: str | None = None) -> None:
    """Refuse settings that still name secret blocks (outside a flow nothing resolves them).

    Args:
        settings: the settings.
        only: check this one setting path (e.g. ``signing.passphrase``), not all of them.

    Raises:
        ConfigurationError: naming each such setting and how to provide it instead.
    """
    references = [r for r in unresolved_references(settings) if only in (None, r[0])]
    if references:
        listed = ", ".join(f"{path} ({block!r})" for path, block in references)
        raise ConfigurationError(
            f"{listed}: Prefect Secret blocks are read by the flows only; outside a flow run "
            "give the value itself (e.g. through its BADGEFLOW_… environment variable)"
        )


def secrets_fingerprint(settings: Settings) -> str:
    """A SHA-256 over every secret value: tells apart settings that differ only in secrets.

    `Settings.model_dump_json` masks secrets, so two settings differing only there would
    otherwise look equal (the runtime cache keys on it).
    """
    digest = hashlib.sha256()
    for path, _owner, _name, secret in _walk(settings, ""):
        digest.update(f"{path}\0{secret.get_secret_value()}\0".encode())
    return digest.hexdigest()


def resolve_secret_references(settings: Settings, resolve: Callable[[str], str]) -> Settings:
    """Return a copy of `settings` with every ``prefect-secret:`` reference replaced.

    Args:
        settings: the loaded settings (not modified).
        resolve: maps a block name to the secret (e.g. Prefect's ``Secret.load(name).get()``);
            any exception it raises is reported as the setting that could not be resolved.

    Returns:
        The settings with the secrets in place (still `SecretStr`, so never printed).

    Raises:
        ConfigurationError: a block cannot be resolved or resolves to an empty value; the
            message names the setting and the block, never a secret.
    """
    references = secret_references(settings)
    if not references:
        return settings
    resolved = settings.model_copy(deep=True)
    for path, owner, name, secret in _walk(resolved, ""):
        block = _block_name(secret)
        if block is None:
            continue
        try:
            value = resolve(block)
        except Exception as exc:  # noqa: BLE001 - any store failure is a configuration problem
            raise ConfigurationError(
                f"{path}: cannot read secret block {block!r}: {type(exc).__name__}"
            ) from exc
        if not isinstance(value, str) or not value:
            raise ConfigurationError(f"{path}: secret block {block!r} holds no text value")
        # Frozen-free models: replace the attribute in place on the copy.
        object.__setattr__(owner, name, SecretStr(value))
    return resolved


def secret_values(settings: Settings) -> list[str]:
    """Every non-empty secret value in `settings`, longest first (for redacting text).

    Args:
        settings: the settings (resolved or not; a block reference is listed as it stands).

    Returns:
        The secret texts, so a caller can mask them in messages it shows or sends.
    """
    values = {secret.get_secret_value() for _path, _o, _n, secret in _walk(settings, "")}
    return sorted((v for v in values if v), key=len, reverse=True)
