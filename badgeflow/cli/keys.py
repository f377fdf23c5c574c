"""``badgeflow keys``: list the issuer's keys and rotate them. Never prints private material."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from badgeflow.cli._common import load_settings
from badgeflow.credentials import did_key_from_public_key
from badgeflow.credentials.jose_keys import JOSE_DIR, JoseKeyring, read_jose_manifest
from badgeflow.credentials.jws import ALGORITHMS, Algorithm, jwk_thumbprint
from badgeflow.credentials.keyring import (
    KeyRecord,
    Keyring,
    LegacyKey,
    ensure_keyring,
    read_manifest,
)
from badgeflow.errors import BadgeflowError
from badgeflow.ops.admin import rotate_signing_key
from badgeflow.secrets import require_resolved
from badgeflow.settings import Settings

__all__ = ["init_keys", "keys_app"]

keys_app = typer.Typer(
    help="The issuer's signing keys: list, rotate, publish the DID document.", no_args_is_help=True
)


def _passphrase(settings: Settings) -> str | None:
    # A Prefect Secret block reference is read by the flows only; never use it as the text.
    require_resolved(settings, only="signing.passphrase")
    secret = settings.signing.passphrase
    return secret.get_secret_value() if secret else None


def _legacy(settings: Settings) -> LegacyKey:
    return LegacyKey(settings.signing.key_path, settings.signing.key_id)


def _method_id(settings: Settings, record: KeyRecord) -> str:
    did_web = None if settings.signing.method == "did:key" else settings.site.issuer_did
    return record.verification_method(did_web)


def issuer_did(settings: Settings, keyring: Keyring) -> str:
    """Return the issuer DID the settings and the keyring give (did:web, or the did:key)."""
    if settings.signing.method == "did:key":
        return did_key_from_public_key(keyring.current.public_key)
    return settings.site.issuer_did


def init_keys(settings: Settings, *, now: datetime) -> str:
    """Create the keyring (or adopt the legacy key file) unless it exists; print what happened.

    Args:
        settings: the settings.
        now: creation time of a new key.

    Returns:
        The issuer DID.
    """
    passphrase = _passphrase(settings)
    keys_dir = settings.signing.keys_dir
    keyring, outcome = ensure_keyring(keys_dir, passphrase, legacy=_legacy(settings), now=now)
    current = keyring.current.key_id
    if outcome == "new":
        note = "encrypted" if passphrase else "NOT encrypted: set BADGEFLOW_SIGNING__PASSPHRASE"
        typer.echo(f"issuer key      {current} in {keys_dir} (new, {note})")
    elif outcome == "adopted":
        typer.echo(
            f"issuer key      {current} in {keys_dir} (adopted {settings.signing.key_path}, "
            "left in place)"
        )
    else:
        typer.echo(f"issuer key      {current} in {keys_dir} (kept)")
    if "vc-jwt" in settings.issuance.formats:
        alg = settings.issuance.jwt_alg
        jose = JoseKeyring.ensure(keys_dir, passphrase, now=now, algs=(alg,))
        typer.echo(f"VC-JWT key      {jose.current(alg).key_id} ({alg}) in {keys_dir / JOSE_DIR}")
    return issuer_did(settings, keyring)


@keys_app.command("list")
def list_keys() -> None:
    """List every key: id, status, created, verification method and public key."""
    settings = load_settings()
    try:
        records = read_manifest(settings.signing.keys_dir)
        if records is None:
            keyring = Keyring.load(
                settings.signing.keys_dir, _passphrase(settings), legacy=_legacy(settings)
            )
            records = keyring.records
            typer.echo(f"(legacy key file {settings.signing.key_path}, no keyring manifest yet)")
    except BadgeflowError as exc:
        typer.secho(f"configuration error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    for record in records:
        status = (
            "current" if record.retired_at is None else f"retired {record.retired_at.isoformat()}"
        )
        typer.echo(f"{record.key_id}  {status}  created {record.created.isoformat()}")
        typer.echo(f"    method      {_method_id(settings, record)}")
        typer.echo(f"    public key  {record.public_key_multibase}")
    try:
        jose = read_jose_manifest(settings.signing.keys_dir) or ()
    except BadgeflowError as exc:
        typer.secho(f"configuration error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    for jose_record in jose:
        retired = jose_record.retired_at
        status = "current" if retired is None else f"retired {retired.isoformat()}"
        typer.echo(
            f"{jose_record.key_id}  {jose_record.alg} {status}  "
            f"created {jose_record.created.isoformat()}"
        )
        typer.echo(f"    method      {settings.site.issuer_did}#{jose_record.key_id}")
        typer.echo(f"    thumbprint  {jwk_thumbprint(jose_record.public_jwk)}")


@keys_app.command()
def rotate(
    publish: Annotated[
        bool,
        typer.Option(help="Re-publish the site right away, so did.json lists the new key."),
    ] = True,
    new_issuer: Annotated[
        bool,
        typer.Option(
            "--new-issuer",
            help="did:key only: rotate even though revocation status lists are in use.",
        ),
    ] = False,
    alg: Annotated[
        str,
        typer.Option(
            help="Which key: Ed25519 (embedded proofs), RS256 or ES256 (VC-JWT; the first "
            "rotation creates the key)."
        ),
    ] = "Ed25519",
) -> None:
    """Make a new current key; the previous one is retired but stays in did.json."""
    settings = load_settings()
    if alg != "Ed25519":
        _rotate_jose(settings, alg, publish)
        return
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        rotation = rotate_signing_key(settings, now=now, new_issuer=new_issuer)
    except BadgeflowError as exc:
        typer.secho(f"configuration error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    previous, new = rotation.previous, rotation.new
    typer.echo(f"rotated         {previous} (retired) -> {new} (current)")
    typer.echo(f"new method      {rotation.verification_method}")
    did_key = rotation.did_key
    if did_key:
        typer.echo(
            f"issuer          {rotation.issuer_did} (did:key: the issuer id changes "
            "with the key; earlier credentials keep theirs and still verify)"
        )
    published = publish and _publish(settings, now)
    if published:
        typer.echo(
            f"site            {settings.site.output_dir} re-published: did.json lists {new} "
            "and every earlier key"
        )
    if did_key:
        return  # did:key resolves itself: no credential waits for did.json
    if published:
        typer.echo(
            f"NEXT: if your web server does not serve {settings.site.output_dir} itself, deploy "
            f"it before the next batch signs with {new}."
        )
    else:
        typer.secho(
            f"NEXT: run `badgeflow keys publish` (and deploy the site) before the next batch "
            f"signs with {new}: a nightly run publishes did.json only at its end, after its "
            "award emails have gone out.",
            fg="yellow",
        )
    if publish and not published:
        raise typer.Exit(1)


def _rotate_jose(settings: Settings, alg: str, publish: bool) -> None:
    if alg not in ALGORITHMS:
        typer.secho(f"--alg must be Ed25519, RS256 or ES256, not {alg!r}", fg="red", err=True)
        raise typer.Exit(2)
    algorithm: Algorithm = "RS256" if alg == "RS256" else "ES256"
    now = datetime.now(UTC).replace(microsecond=0)
    keys_dir, passphrase = settings.signing.keys_dir, _passphrase(settings)
    try:
        if read_jose_manifest(keys_dir) is None:
            jose = JoseKeyring.ensure(keys_dir, passphrase, now=now, algs=(algorithm,))
            new = jose.current(algorithm).key_id
        else:
            jose = JoseKeyring.load(keys_dir, passphrase)
            new = jose.rotate(algorithm, now)
    except BadgeflowError as exc:
        typer.secho(f"configuration error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"rotated         {alg}: {new} (current)")
    typer.echo(f"new method      {settings.site.issuer_did}#{new}")
    if publish and not _publish(settings, now):
        raise typer.Exit(1)
    if not publish:
        typer.secho("NEXT: run `badgeflow keys publish` before the next batch", fg="yellow")


@keys_app.command("publish")
def publish_keys() -> None:
    """Re-publish the site, so its did.json lists every key (current and retired)."""
    settings = load_settings()
    now = datetime.now(UTC).replace(microsecond=0)
    if not _publish(settings, now):
        raise typer.Exit(1)
    typer.echo(f"site            {settings.site.output_dir} re-published")


def _publish(settings: Settings, now: datetime) -> bool:
    from badgeflow.pipeline.publish import publish_site
    from badgeflow.pipeline.runtime import Runtime

    runtime = Runtime(settings)
    try:
        publish_site(runtime, generated_at=now)
    except BadgeflowError as exc:
        typer.secho(f"site not published: {exc}", fg="red", err=True)
        return False
    finally:
        if "engine" in runtime.__dict__:
            runtime.engine.dispose()
    return True
