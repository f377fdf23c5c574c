"""`badgeflow verify`: check a credential (JSON or VC-JWT, OB 3.0 or OB 2.0; baked PNG or SVG).

Offline by default; ``--online`` resolves the did:web issuer and fetches status lists.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Final

import typer

from badgeflow.cli import status as status_commands
from badgeflow.cli._common import load_settings
from badgeflow.credentials import unbake_png, unbake_svg, verify_credential
from badgeflow.credentials.did_web import HttpFetcher
from badgeflow.credentials.jws import decode_compact
from badgeflow.credentials.ob2 import is_ob2, site_resolver, verify_ob2
from badgeflow.credentials.online import verify_credential_online
from badgeflow.credentials.vcjwt import credential_of, looks_like_jws
from badgeflow.credentials.verify import VerificationResult
from badgeflow.credentials.verify_jwt import verify_vc_jwt
from badgeflow.errors import CredentialError
from badgeflow.models import JSONDict

__all__ = ["verify"]

PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
_MARKS: Final = {True: "✓", False: "✗", None: "–"}


def _read_payload(path: Path) -> tuple[str, str]:
    """Return ``(kind, text)``: the file's credential text and where it came from."""
    data = path.read_bytes()
    if data.startswith(PNG_MAGIC):
        return "baked PNG", unbake_png(data)
    text = data.decode("utf-8-sig")
    if text.lstrip().startswith("<"):
        return "baked SVG", unbake_svg(text)
    return "JSON", text


def _report(result: VerificationResult, name: str, kind: str, as_json: bool) -> None:
    if as_json:
        report = {
            "verified": result.verified,
            "credential_id": result.credential_id,
            "issuer": result.issuer,
            "checks": [asdict(check) for check in result.checks],
            "errors": result.errors,
            "warnings": result.warnings,
        }
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    label = f"{name} ({result.credential_id})" if result.credential_id else name
    if result.verified:
        typer.secho(f"VERIFIED: {label} issued by {result.issuer}", fg="green")
    else:
        typer.secho(f"NOT VERIFIED: {label}", fg="red")
    typer.echo(f"  source: {kind}")
    width = max((len(check.name) for check in result.checks), default=0)
    for check in result.checks:
        typer.echo(f"  {_MARKS[check.passed]} {check.name:{width}}  {check.detail}")
    for warning in result.warnings:
        typer.echo(f"  warning: {warning}")


def _ob2_assertion(text: str) -> bool:
    """Tell whether ``text`` is an OB 2.0 assertion: its JSON, URL or signed JWS."""
    text = text.strip()
    if text.startswith(("http://", "https://")):
        return True
    try:
        if looks_like_jws(text):
            return is_ob2(decode_compact(text).payload)
        return is_ob2(json.loads(text))
    except (CredentialError, ValueError):
        return False


def _verify_ob2(text: str, documents: list[Path], when: datetime) -> VerificationResult:
    settings = load_settings()
    given: dict[str, JSONDict] = {}
    for document in documents:
        loaded = json.loads(document.read_text(encoding="utf-8"))
        given[str(loaded.get("id"))] = loaded
    resolve = site_resolver(settings.site.output_dir, settings.site.base_url, given)
    return verify_ob2(text, resolve=resolve, now=when)


def verify(
    path: Annotated[
        Path, typer.Argument(help="Credential JSON or VC-JWT (.jwt), baked PNG or baked SVG.")
    ],
    did_document: Annotated[
        list[Path] | None,
        typer.Option(help="DID document(s) to trust; default: the local site's did.json."),
    ] = None,
    at: Annotated[
        datetime | None,
        typer.Option(help="Check validity dates as of this time (ISO 8601) instead of now."),
    ] = None,
    status_list: Annotated[
        list[Path] | None,
        typer.Option(help="Status list credential(s) to check against; default: the local site's."),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print a JSON report {verified, credential_id, issuer, checks, ...}."
        ),
    ] = False,
    document: Annotated[
        list[Path] | None,
        typer.Option(
            help="OB 2.0: a linked document (BadgeClass, Profile, key, revocation list, hosted "
            "assertion) to use for its id; default: the local site's."
        ),
    ] = None,
    online: Annotated[
        bool,
        typer.Option(
            "--online",
            help="Fetch the did:web DID document and the status lists over HTTPS (instead of "
            "the local site's); --did-document / --status-list files are still used first.",
        ),
    ] = False,
) -> None:
    """Verify a credential's signature, issuer key, validity dates and status.

    PATH may also be a VC-JWT (a ``.jwt`` file, or baked into the PNG or SVG). OB 2.0
    assertions (hosted JSON or URL, signed JWS, baked PNG/SVG) are checked against the
    local site folder and any --document.

    Offline by default; --online resolves the issuer over HTTPS (OB 3.0 JSON only).
    Exit status: 0 verified, 1 not verified, 2 unreadable.
    """
    settings = load_settings()
    try:
        kind, text = _read_payload(path)
        when = (at if at.tzinfo else at.replace(tzinfo=UTC)) if at else datetime.now(UTC)
        if _ob2_assertion(text):
            result = _verify_ob2(text, document or [], when)
            if kind == "JSON" and looks_like_jws(text):
                kind = "JWS"
            _report(result, "Open Badges 2.0 assertion", f"{kind}, OB 2.0", as_json)
            raise typer.Exit(0 if result.verified else 1)
        token = text.strip() if looks_like_jws(text) else None
        if token is not None:
            kind = f"{kind}, VC-JWT" if kind != "JSON" else "VC-JWT"
            credential = credential_of(decode_compact(token).payload)[0]
        else:
            credential = json.loads(text)
        if not isinstance(credential, dict):
            raise ValueError("not a JSON object")
    except (OSError, CredentialError, ValueError) as exc:
        typer.secho(f"cannot read {path}: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    documents: dict[str, JSONDict] = {}
    local_did = [] if online else [settings.site.output_dir / ".well-known" / "did.json"]
    for candidate in did_document or local_did:
        if candidate.is_file():
            doc = json.loads(candidate.read_text(encoding="utf-8"))
            documents[str(doc.get("id"))] = doc
    lists = {} if online else status_commands.local_status_lists(credential, settings)
    for listing in status_list or []:
        doc = json.loads(listing.read_text(encoding="utf-8"))
        lists[str(doc.get("id"))] = doc
    if token is not None:
        result = verify_vc_jwt(token, did_documents=documents, now=when, status_lists=lists)
    elif online:
        result = verify_credential_online(
            credential,
            now=when,
            fetcher=HttpFetcher(),
            did_documents=documents,
            status_lists=lists,
        )
    else:
        result = verify_credential(
            credential, did_documents=documents, now=when, status_lists=lists
        )
    _report(result, str(credential.get("name", "credential")), kind, as_json)
    raise typer.Exit(0 if result.verified else 1)
