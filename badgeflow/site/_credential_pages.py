"""The per-credential part of the site: its page, files, share and accept pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from badgeflow.credentials.jws import decode_compact
from badgeflow.errors import CatalogError, CredentialError
from badgeflow.site import _learner_pages, layout
from badgeflow.site._documents import check_public, read_credential
from badgeflow.site._learner_pages import PageWriter
from badgeflow.site.inputs import SiteAchievement, SiteCredential

__all__ = ["SiteWriter", "credential_state", "write_credentials"]


class SiteWriter(PageWriter, Protocol):
    """The site builder's writer, as the credential pages use it."""

    def bytes(self, relative: str, data: bytes) -> None:
        """Write a binary file."""


def write_credentials(
    writer: SiteWriter,
    credentials: Sequence[SiteCredential],
    by_slug: dict[str, SiteAchievement],
    common: dict[str, Any],
    generated_at: datetime,
    on_progress: Callable[[int, int], None] | None,
    progress_every: int,
) -> int:
    """Write each credential's page, files, share and accept pages; return how many.

    Args:
        writer: the site builder's writer.
        credentials: the credentials to publish.
        by_slug: the achievements by slug.
        common: the variables every page gets.
        generated_at: the build clock (for the expired state).
        on_progress: called with ``(done, total)`` every ``progress_every`` credentials and
            once at the end.
        progress_every: how often ``on_progress`` is called.

    Raises:
        CatalogError: a credential for an unknown achievement.
        CredentialError: an unparsable credential, a duplicate id, or a VC-JWT header that
            would publish private data.
    """
    total = len(credentials)
    seen: set[str] = set()
    for done, credential in enumerate(credentials, start=1):
        cid = layout.check_credential_id(credential.credential_id)
        if cid in seen:
            raise CredentialError(f"credential {cid} is listed twice")
        seen.add(cid)
        item = by_slug.get(credential.achievement_slug)
        if item is None:
            raise CatalogError(
                f"credential {cid} is for unknown achievement {credential.achievement_slug!r}"
            )
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
        state = credential_state(credential, generated_at)
        writer.page(
            f"{layout.credential_page(cid)}index.html",
            "site/credential.html",
            common,
            credential=credential,
            achievement=item.info,
            state=state,
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
            state,
        )
        if on_progress is not None and (done % progress_every == 0 or done == total):
            on_progress(done, total)
    if on_progress is not None and total == 0:
        on_progress(0, 0)
    return total


def credential_state(credential: SiteCredential, now: datetime) -> str:
    """Return ``valid``, ``expired``, ``revoked`` or ``suspended`` at ``now``."""
    if credential.status != "active":
        return credential.status
    if credential.valid_until is not None and credential.valid_until <= now:
        return "expired"
    return "valid"
