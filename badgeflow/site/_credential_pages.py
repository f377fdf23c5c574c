"""The per-credential part of the site: its page, files, share and accept pages."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from badgeflow.credentials.jws import decode_compact
from badgeflow.errors import CatalogError, CredentialError
from badgeflow.site import _learner_pages, layout
from badgeflow.site._documents import check_public, read_credential
from badgeflow.site._learner_pages import PageWriter
from badgeflow.site._units import credential_digest, credential_paths
from badgeflow.site.inputs import SiteAchievement, SiteCredential

__all__ = [
    "CredentialJob",
    "SiteWriter",
    "credential_state",
    "kept_paths",
    "plan_credentials",
    "render_credential",
]


class SiteWriter(PageWriter, Protocol):
    """The site builder's writer, as the credential pages use it."""

    def bytes(self, relative: str, data: bytes) -> None:
        """Write a binary file."""


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
    writer.page(
        f"{layout.credential_page(cid)}index.html",
        "site/credential.html",
        common,
        credential=credential,
        achievement=item.info,
        state=job.state,
        recipient=parsed.recipient,
        document_id=parsed.document_id,
        verification_method=parsed.verification_method,
        has_png=has_png,
        has_svg=has_svg,
        withheld=withheld,
        has_jwt=credential.jwt is not None,
        **_learner_pages.credential_context(
            cid,
            learner_name=credential.learner_name,
            achievement=item.info,
            document_evidence=parsed.evidence,
            base_url=common["base_url"],
            index_credentials=common["index_credentials"],
        ),
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


def credential_state(credential: SiteCredential, now: datetime) -> str:
    """Return ``valid``, ``expired``, ``revoked`` or ``suspended`` at ``now``."""
    if credential.status != "active":
        return credential.status
    if credential.valid_until is not None and credential.valid_until <= now:
        return "expired"
    return "valid"
