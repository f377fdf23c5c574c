"""Render a queued email (award, re-issue or revocation) from the outbox and the store.

`badgeflow.pipeline.notify` sends what this renders; `badgeflow preview` writes it to files.
The catalog decides the look (`email_design`: branding, logo, template overrides) and each
achievement its image and ``email_message``.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from threading import Lock
from typing import Final
from urllib.parse import urlsplit

from badgeflow import store
from badgeflow.catalog import Catalog
from badgeflow.models import AchievementInfo
from badgeflow.notify.compose import EmailDesign, MessageParts, clean_line
from badgeflow.notify.context import day, message_headers
from badgeflow.notify.links import AwardLinks
from badgeflow.notify.render import (
    _message_id,
    award_email_parts,
    award_links,
    reissued_email_parts,
    revoked_email_parts,
)
from badgeflow.notify.stencil import AwardStencil, award_stencil
from badgeflow.notify.templates import email_environment
from badgeflow.pipeline.runtime import Runtime
from badgeflow.site import layout
from badgeflow.site._stencils import Identity
from badgeflow.store import OutboxItem
from badgeflow.store.outbox import REVOKED_KIND
from badgeflow.store.reissue import REISSUE_KIND

__all__ = ["email_design", "outbox_email_parts", "outbox_message_id", "render_outbox_email"]


def email_design(catalog: Catalog) -> EmailDesign:
    """The catalog's email design: its branding, logo bytes and template overrides.

    Args:
        catalog: the loaded (checked) catalog.

    Returns:
        The design every email of this catalog is rendered with.
    """
    logo = catalog.logo_path()
    return EmailDesign(
        branding=catalog.branding,
        logo_png=logo.read_bytes() if logo is not None and logo.is_file() else None,
        templates=email_environment(catalog.root),
    )


@dataclass
class _CatalogParts:
    """What every email about the same catalog shares, read and built once per process."""

    catalog: Catalog
    design: EmailDesign
    achievements: dict[tuple[str, str], AchievementInfo] = field(default_factory=dict)
    badges: dict[str, bytes] = field(default_factory=dict)
    stencils: dict[Hashable, AwardStencil | None] = field(default_factory=dict)

    def achievement(self, slug: str, base: str) -> AchievementInfo:
        found = self.achievements.get((slug, base))
        if found is None:
            found = self.catalog.achievement_info(slug, site_base_url=base)
            self.achievements[(slug, base)] = found
        return found

    def badge(self, slug: str) -> bytes:
        found = self.badges.get(slug)
        if found is None:
            found = self.badges[slug] = self.catalog.image_path(slug, ".png").read_bytes()
        return found


_parts: dict[int, _CatalogParts] = {}
_UNMADE: Final = object()
_parts_lock = Lock()


def _catalog_parts(catalog: Catalog) -> _CatalogParts:
    # Keyed by the catalog object (a runtime loads its catalog once): a new catalog, say
    # after an edit, gets fresh parts. Only the last few catalogs are kept.
    with _parts_lock:
        parts = _parts.get(id(catalog))
        if parts is None or parts.catalog is not catalog:
            if len(_parts) >= 8:
                _parts.clear()
            parts = _parts[id(catalog)] = _CatalogParts(catalog, email_design(catalog))
        return parts


def outbox_message_id(runtime: Runtime, item: OutboxItem) -> str:
    """The ``Message-ID`` the email of this outbox row carries, without rendering it.

    Args:
        runtime: resources built from settings (the site base URL).
        item: the queued email.

    Returns:
        The header value `render_outbox_email` gives the message.
    """
    base = runtime.settings.site.base_url
    page = layout.join_url(base, layout.credential_page(item.credential_id))
    kind = {REVOKED_KIND: "revoked", REISSUE_KIND: "reissue"}.get(item.kind, "award")
    return _message_id(page, urlsplit(base).hostname or "localhost", kind)


def render_outbox_email(runtime: Runtime, item: OutboxItem) -> EmailMessage:
    """Render the message of one outbox row, by its kind.

    Args:
        runtime: resources built from settings (catalog, issuer, site base URL, mail settings).
        item: the queued email.

    Returns:
        The message, with its stable ``Message-ID``.
    """
    return outbox_email_parts(runtime, item).message()


def outbox_email_parts(runtime: Runtime, item: OutboxItem) -> MessageParts:
    """Render the parts of one outbox row's message, by its kind (see `render_outbox_email`).

    Args:
        runtime: resources built from settings (catalog, issuer, site base URL, mail settings).
        item: the queued email.

    Returns:
        Its headers, text, HTML, images and attachment (`badgeflow.notify.wire.prepare`
        writes them as bytes, `MessageParts.message` as an `EmailMessage`).
    """
    if item.kind == REVOKED_KIND:
        return _render_revoked(runtime, item)
    return _render_award(runtime, item, reissued=item.kind == REISSUE_KIND)


def _render_award(runtime: Runtime, item: OutboxItem, *, reissued: bool) -> MessageParts:
    base = runtime.settings.site.base_url
    catalog = runtime.catalog
    parts = _catalog_parts(catalog)
    achievement = parts.achievement(item.achievement_id, base)
    issued = item.awarded_at.date()
    expires = item.valid_until.date() if item.valid_until else None
    links = award_links(
        base,
        item.credential_id,
        achievement=achievement,
        issuer=runtime.issuer,
        issued=issued,
        expires=expires,
        accept_token=item.accept_token,
    )
    baked_png = Path(item.baked_path).read_bytes() if item.baked_path else None
    badge_png = parts.badge(item.achievement_id)
    domain = urlsplit(base).hostname or "localhost"
    if not reissued:
        fast = _award_from_stencil(runtime, item, parts, achievement, links, baked_png, domain)
        if fast is not None:
            return fast
    if reissued:
        return reissued_email_parts(
            to_address=item.to_address,
            learner_name=item.learner_name,
            achievement=achievement,
            issuer=runtime.issuer,
            links=links,
            awarded=issued,
            from_address=runtime.settings.mail.from_address,
            baked_png=baked_png,
            message_id_domain=domain,
            design=parts.design,
            badge_png=badge_png,
        )
    return award_email_parts(
        to_address=item.to_address,
        learner_name=item.learner_name,
        achievement=achievement,
        issuer=runtime.issuer,
        links=links,
        from_address=runtime.settings.mail.from_address,
        baked_png=baked_png,
        message_id_domain=domain,
        design=parts.design,
        badge_png=badge_png,
        email_message=catalog.achievement(item.achievement_id).email_message,
        issued=issued,
        expires=expires,
    )


def _award_from_stencil(
    runtime: Runtime,
    item: OutboxItem,
    parts: _CatalogParts,
    achievement: AchievementInfo,
    links: AwardLinks,
    baked_png: bytes | None,
    domain: str,
) -> MessageParts | None:
    # award_email_parts(...) from the achievement's stencil (badgeflow.notify.stencil), or
    # None to render in full.
    name = clean_line(item.learner_name) if item.learner_name else None
    issued = day(item.awarded_at.date())
    expires = day(item.valid_until.date()) if item.valid_until else None
    channels = tuple(channel for channel, _ in links.share_channels)
    key = (
        item.achievement_id,
        Identity(achievement),  # (unhashable: alignments are dicts)
        Identity(runtime.issuer),
        domain,
        bool(name),
        expires is not None,
        bool(baked_png),
    )
    stencils = parts.stencils
    found = stencils.get(key, _UNMADE)
    if found is None or isinstance(found, AwardStencil):
        stencil = found
    else:
        stencil = award_stencil(
            parts.design,
            achievement=achievement,
            issuer=runtime.issuer,
            badge_png=parts.badge(item.achievement_id),
            domain=domain,
            email_message=parts.catalog.achievement(item.achievement_id).email_message,
            named=bool(name),
            issued=True,
            expires=expires is not None,
            attached=bool(baked_png),
            channels=channels,
        )
        if len(stencils) >= 256:  # threads may race here: at worst a stencil is made twice
            stencils.clear()
        stencils[key] = stencil
    if stencil is None:
        return None
    headers = message_headers(
        stencil.subject,
        from_address=runtime.settings.mail.from_address,
        design=parts.design,
        to_address=item.to_address,
        learner_name=item.learner_name,
        message_id=_message_id(links.credential_page, domain),
    )
    return stencil.parts(
        headers=headers,
        learner_name=name or None,
        links=links,
        issued=issued,
        expires=expires,
        baked_png=baked_png,
    )


def _render_revoked(runtime: Runtime, item: OutboxItem) -> MessageParts:
    base = runtime.settings.site.base_url
    with runtime.sessions() as session:
        events = store.status_events(session, item.credential_id)
    reasons = [event.reason for event in events if event.action == "revoke"]
    parts = _catalog_parts(runtime.catalog)
    return revoked_email_parts(
        to_address=item.to_address,
        learner_name=item.learner_name,
        achievement=parts.achievement(item.achievement_id, base),
        issuer=runtime.issuer,
        credential_page=layout.join_url(base, layout.credential_page(item.credential_id)),
        awarded=item.awarded_at.date(),
        reason=reasons[-1] if reasons else "not given",
        from_address=runtime.settings.mail.from_address,
        message_id_domain=urlsplit(base).hostname or "localhost",
        design=parts.design,
    )
