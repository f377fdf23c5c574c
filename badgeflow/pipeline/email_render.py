"""Render a queued email (award, re-issue or revocation) from the outbox and the store.

`badgeflow.pipeline.notify` sends what this renders; `badgeflow preview` writes it to files.
The catalog decides the look (`email_design`: branding, logo, template overrides) and each
achievement its image and ``email_message``.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

from badgeflow import store
from badgeflow.catalog import Catalog
from badgeflow.notify.compose import EmailDesign
from badgeflow.notify.render import (
    award_links,
    render_award_email,
    render_reissued_email,
    render_revoked_email,
)
from badgeflow.notify.templates import email_environment
from badgeflow.pipeline.runtime import Runtime
from badgeflow.site import layout
from badgeflow.store import OutboxItem
from badgeflow.store.outbox import REVOKED_KIND
from badgeflow.store.reissue import REISSUE_KIND

__all__ = ["email_design", "render_outbox_email"]


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


def render_outbox_email(runtime: Runtime, item: OutboxItem) -> EmailMessage:
    """Render the message of one outbox row, by its kind.

    Args:
        runtime: resources built from settings (catalog, issuer, site base URL, mail settings).
        item: the queued email.

    Returns:
        The message, with its stable ``Message-ID``.
    """
    if item.kind == REVOKED_KIND:
        return _render_revoked(runtime, item)
    return _render_award(runtime, item, reissued=item.kind == REISSUE_KIND)


def _render_award(runtime: Runtime, item: OutboxItem, *, reissued: bool) -> EmailMessage:
    base = runtime.settings.site.base_url
    catalog = runtime.catalog
    achievement = catalog.achievement_info(item.achievement_id, site_base_url=base)
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
    badge_png = catalog.image_path(item.achievement_id, ".png").read_bytes()
    domain = urlsplit(base).hostname or "localhost"
    if reissued:
        return render_reissued_email(
            to_address=item.to_address,
            learner_name=item.learner_name,
            achievement=achievement,
            issuer=runtime.issuer,
            links=links,
            awarded=issued,
            from_address=runtime.settings.mail.from_address,
            baked_png=baked_png,
            message_id_domain=domain,
            design=email_design(catalog),
            badge_png=badge_png,
        )
    return render_award_email(
        to_address=item.to_address,
        learner_name=item.learner_name,
        achievement=achievement,
        issuer=runtime.issuer,
        links=links,
        from_address=runtime.settings.mail.from_address,
        baked_png=baked_png,
        message_id_domain=domain,
        design=email_design(catalog),
        badge_png=badge_png,
        email_message=catalog.achievement(item.achievement_id).email_message,
        issued=issued,
        expires=expires,
    )


def _render_revoked(runtime: Runtime, item: OutboxItem) -> EmailMessage:
    base = runtime.settings.site.base_url
    with runtime.sessions() as session:
        events = store.status_events(session, item.credential_id)
    reasons = [event.reason for event in events if event.action == "revoke"]
    return render_revoked_email(
        to_address=item.to_address,
        learner_name=item.learner_name,
        achievement=runtime.catalog.achievement_info(item.achievement_id, site_base_url=base),
        issuer=runtime.issuer,
        credential_page=layout.join_url(base, layout.credential_page(item.credential_id)),
        awarded=item.awarded_at.date(),
        reason=reasons[-1] if reasons else "not given",
        from_address=runtime.settings.mail.from_address,
        message_id_domain=urlsplit(base).hostname or "localhost",
        design=email_design(runtime.catalog),
    )
