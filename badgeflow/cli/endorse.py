"""`badgeflow endorse`: sign an EndorsementCredential about an achievement of the catalog."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from badgeflow.catalog import load_catalog
from badgeflow.cli._common import load_settings
from badgeflow.credentials.endorsement import sign_endorsement
from badgeflow.credentials.keyring import Keyring
from badgeflow.credentials.ob3 import Profile
from badgeflow.errors import BadgeflowError

__all__ = ["endorse"]


def endorse(
    slug: Annotated[str, typer.Argument(help="Slug of the achievement to endorse.")],
    keys_dir: Annotated[
        Path, typer.Option(help="The endorser's keyring (e.g. a partner's keys folder).")
    ],
    name: Annotated[str, typer.Option(help="The endorsing organisation's name.")],
    url: Annotated[str | None, typer.Option(help="The endorser's home page.")] = None,
    did: Annotated[
        str | None,
        typer.Option(help="The endorser's did:web; default: the key's own did:key."),
    ] = None,
    comment: Annotated[str | None, typer.Option(help="endorsementComment (Markdown).")] = None,
    valid_days: Annotated[
        int | None, typer.Option(help="Days the endorsement stays valid; default: no end.")
    ] = None,
    passphrase_env: Annotated[
        str | None, typer.Option(help="Environment variable holding the keyring passphrase.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write; default stdout.")
    ] = None,
) -> None:
    """Sign an EndorsementCredential about an achievement with the endorser's keyring.

    The achievement id is its URL under `site.base_url`. List the written file under the
    achievement's `endorsements:` in the catalog to embed it in every credential.
    """
    settings = load_settings()
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        catalog = load_catalog(settings.catalog_dir)
        info = catalog.achievement_info(slug, site_base_url=settings.site.base_url)
        passphrase = os.environ.get(passphrase_env) if passphrase_env else None
        signer = Keyring.load(keys_dir, passphrase).signer(did)
        endorser = Profile(id=signer.verification_method.partition("#")[0], name=name, url=url)
        signed = sign_endorsement(
            endorsement_id=f"urn:uuid:{uuid.uuid4()}",
            achievement_id=info.id,
            achievement_name=info.name,
            endorser=endorser,
            signer=signer,
            created=now,
            comment=comment,
            valid_until=now + timedelta(days=valid_days) if valid_days else None,
        )
    except BadgeflowError as exc:
        typer.secho(f"cannot endorse: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    text = json.dumps(signed, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"endorsement {signed['id']} of {info.id} by {endorser.id} -> {output}")
