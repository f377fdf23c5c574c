"""The per-credential part of the site: its page, files, share and accept pages."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from badgeflow.credentials.jws import decode_compact
from badgeflow.errors import CatalogError, CredentialError
from badgeflow.models import JSONDict
from badgeflow.site import _learner_pages, layout
from badgeflow.site._documents import (
    ParsedCredential,
    RecipientHash,
    check_public,
    plainly_public,
    read_credential,
)
from badgeflow.site._learner_pages import PageWriter
from badgeflow.site._stencils import Identity
from badgeflow.site._units import credential_digest, credential_paths
from badgeflow.site._writer import environment, json_text
from badgeflow.site.inputs import SiteAchievement, SiteCredential

__all__ = [
    "CredentialJob",
    "SiteWriter",
    "credential_state",
    "kept_paths",
    "plan_credentials",
    "render_credential",
    "write_extra_files",
]


class SiteWriter(PageWriter, Protocol):
    """The site builder's writer, as the credential pages use it."""

    def bytes(self, relative: str, data: bytes) -> None:
        """Write a binary file."""

    def json(self, relative: str, document: JSONDict) -> None:
        """Write a JSON document."""


@dataclass(frozen=True)
class CredentialJob:
    """One credential to render: the credential, its state and its input digest (or None)."""

    credential: SiteCredential
    state: str
    digest: str | None


def plan_credentials(
    credentials: Iterable[SiteCredential],
    by_slug: dict[str, SiteAchievement],
    generated_at: datetime,
    site: str,
) -> Iterator[CredentialJob]:
    """Check each credential (safe id, listed once, known achievement) and digest its inputs.

    Args:
        credentials: the credentials to publish.
        by_slug: the achievements by slug.
        generated_at: the build clock (for the expired state).
        site: the site digest (`badgeflow.site._units.site_digest`).

    Yields:
        One job per credential, in order.

    Raises:
        CatalogError: a credential for an unknown achievement.
        CredentialError: an unsafe or duplicate id.
    """
    seen: set[str] = set()
    for credential in credentials:
        cid = layout.check_credential_id(credential.credential_id)
        if cid in seen:
            raise CredentialError(f"credential {cid} is listed twice")
        seen.add(cid)
        if credential.achievement_slug not in by_slug:
            raise CatalogError(
                f"credential {cid} is for unknown achievement {credential.achievement_slug!r}"
            )
        if credential.accept_token is not None:
            layout.check_credential_id(credential.accept_token)
        state = credential_state(credential, generated_at)
        yield CredentialJob(credential, state, credential_digest(site, credential, state))


def kept_paths(job: CredentialJob, previous: str | None) -> list[str] | None:
    """The files the previous build published for this job, if its inputs are unchanged."""
    if job.digest is None or previous is None:
        return None
    digest, _, flags = previous.partition(":")
    if digest != job.digest:
        return None
    return credential_paths(job.credential, flags)


def render_credential(
    writer: SiteWriter,
    job: CredentialJob,
    item: SiteAchievement,
    common: dict[str, Any],
) -> str:
    """Write one credential's page, files, share and accept pages.

    Args:
        writer: the site builder's writer.
        job: the credential, its state and digest.
        item: its achievement.
        common: the variables every page gets.

    Returns:
        Which optional files it published (`badgeflow.site._units.credential_paths` flags).

    Raises:
        CredentialError: an unparsable credential, or a VC-JWT header that would publish
            private data.
    """
    credential = job.credential
    cid = credential.credential_id
    parsed = read_credential(credential.document, cid)
    # A plain-email credential gets its page only: its file would publish the address.
    withheld = parsed.plaintext_email
    has_png = credential.baked_png is not None and not withheld
    has_svg = credential.baked_svg is not None and not withheld
    if not withheld:
        writer.text(layout.credential_json(cid), credential.document)
    if has_png and credential.baked_png is not None:
        baked = credential.baked_png
        writer.bytes(
            layout.credential_png(cid), baked.read_bytes() if isinstance(baked, Path) else baked
        )
    if has_svg and credential.baked_svg is not None:
        svg = credential.baked_svg
        writer.text(layout.credential_svg(cid), svg if isinstance(svg, str) else svg())
    if credential.jwt is not None:
        check_public(decode_compact(credential.jwt).header, f"the VC-JWT of {cid}")
        writer.text(layout.credential_jwt(cid), credential.jwt)
    _write_page(
        writer,
        common,
        job,
        item,
        parsed,
        {"png": has_png, "svg": has_svg, "withheld": withheld, "jwt": credential.jwt is not None},
    )
    _learner_pages.write_learner_pages(
        writer,
        common,
        credential,
        item.info,
        {"json": not withheld, "png": has_png, "svg": has_svg},
        job.state,
    )
    flags = {"j": not withheld, "p": has_png, "s": has_svg, "w": credential.jwt is not None}
    return "".join(flag for flag, on in flags.items() if on)


def write_extra_files(writer: SiteWriter, files: Sequence[tuple[str, JSONDict | bytes]]) -> None:
    """Write more files (a credential's `SiteCredential.extra_files`): bytes, or JSON.

    Raises:
        CredentialError: a path outside the site, or a JSON document that would publish
            a plaintext email or private key material.
    """
    for relative, content in files:
        path = layout.check_relative_path(relative)
        if isinstance(content, bytes):
            writer.bytes(path, content)
            continue
        text = json_text(content)
        if not plainly_public(text):
            check_public(content, relative)
        writer.text(path, text)


@dataclass(frozen=True)
class _Moment:
    """A date as the credential page prints it (``isoformat()`` and the ``long_date`` filter)."""

    iso: str
    long: str

    def isoformat(self) -> str:
        return self.iso

    def __str__(self) -> str:  # what the long_date filter prints for a non-date
        return self.long


@dataclass(frozen=True)
class _CredentialView:
    """What the credential page reads from its credential, as text (see `_write_page`)."""

    credential_id: str
    awarded_at: _Moment
    valid_until: _Moment | None


def _write_page(
    writer: SiteWriter,
    common: dict[str, Any],
    job: CredentialJob,
    item: SiteAchievement,
    parsed: ParsedCredential,
    shows: dict[str, bool],
) -> None:
    """Write the credential's page, from a stencil unless its document carries evidence."""
    credential = job.credential
    cid = credential.credential_id
    awarded, until = credential.awarded_at, credential.valid_until
    name = _learner_pages.public_name(credential.learner_name)
    recipient = parsed.recipient
    values = {"cid": cid, "awarded": awarded.isoformat(), "awarded_on": _long_date(awarded)}
    for slot, value in (
        ("until", until.isoformat() if until is not None else None),
        ("until_on", _long_date(until) if until is not None else None),
        ("name", name),
        ("document_id", parsed.document_id),
        ("salt", recipient.salt if recipient is not None else None),
        ("hash", recipient.identity_hash if recipient is not None else None),
        ("method", parsed.verification_method),
    ):
        if value or (value is not None and slot == "salt"):  # the template tests the others
            values[slot] = value

    def context(v: Mapping[str, str]) -> dict[str, Any]:
        page_url = layout.join_url(common["base_url"], layout.credential_page(v["cid"]))
        return {
            "credential": _CredentialView(
                v["cid"],
                _Moment(v["awarded"], v["awarded_on"]),
                _Moment(v["until"], v["until_on"]) if "until" in v else None,
            ),
            "achievement": item.info,
            "state": job.state,
            "recipient": RecipientHash(v["hash"], v["salt"]) if "salt" in v else None,
            "document_id": v.get("document_id"),
            "verification_method": v.get("method"),
            "has_png": shows["png"],
            "has_svg": shows["svg"],
            "withheld": shows["withheld"],
            "has_jwt": shows["jwt"],
            "display_name": v.get("name"),
            "evidence": _learner_pages.evidence_views(parsed.evidence, item.info.evidence),
            "page_url": page_url,
            "noindex": not common["index_credentials"],
        }

    relative = f"{layout.credential_page(cid)}index.html"
    evidence = None if parsed.evidence is None else repr(parsed.evidence)
    if evidence is not None and not _seen_before(evidence):
        # The document's own evidence. Usually the catalog's, the same on every credential
        # of the achievement: the page is stencilled (keyed on it) from its second sighting
        # on; evidence seen once (a stencil costs two renders) is rendered in full.
        writer.page(relative, "site/credential.html", common, **context(values))
        return
    key = (Identity(item.info), job.state, *shows.values(), *values, evidence)
    writer.stencil_page(relative, "site/credential.html", common, key, values, context, ("cid",))


_evidence_seen: set[str] = set()


def _seen_before(evidence: str) -> bool:
    """Whether this evidence (its ``repr``) was met before; remember it if not."""
    if evidence in _evidence_seen:
        return True
    if len(_evidence_seen) >= 4_096:
        _evidence_seen.clear()
    _evidence_seen.add(evidence)
    return False


def _long_date(moment: datetime) -> str:
    return str(environment.filters["long_date"](moment))


def credential_state(credential: SiteCredential, now: datetime) -> str:
    """Return ``valid``, ``expired``, ``revoked`` or ``suspended`` at ``now``."""
    if credential.status != "active":
        return credential.status
    if credential.valid_until is not None and credential.valid_until <= now:
        return "expired"
    return "valid"
