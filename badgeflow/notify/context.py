"""The template context and headers every learner email shares (see `render`)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from badgeflow.models import AchievementInfo, IssuerInfo
from badgeflow.notify import _markdown
from badgeflow.notify.compose import (
    BADGE_SIZE,
    LOGO_HEIGHT,
    EmailDesign,
    InlineImage,
    clean_line,
    inline_image,
    mailbox,
    safe_parties,
    sender_address,
)
from badgeflow.notify.links import SHARE_LABELS, AwardLinks
from badgeflow.site import layout

__all__ = ["award_context", "day", "message_headers", "prepare_context", "share_items"]


# The achievement's texts are the same in every email about it: convert them once.
_md_html = lru_cache(maxsize=256)(_markdown.to_html)
_md_text = lru_cache(maxsize=256)(_markdown.to_text)


@lru_cache(maxsize=4096)
def day(value: date) -> str:
    """A date as emails show it: ``3 December 2025``."""
    return f"{value.day} {value:%B %Y}"


def prepare_context(
    design: EmailDesign | None,
    *,
    learner_name: str | None,
    achievement: AchievementInfo,
    issuer: IssuerInfo,
    badge_png: bytes | None,
    domain: str,
) -> tuple[dict[str, Any], list[InlineImage]]:
    """The context every email template gets, and the inline images it refers to.

    Args:
        design: the catalog's branding, logo and templates; None for the packaged look.
        learner_name: display name, or None.
        achievement: the achievement (its name is put on one line).
        issuer: the issuer (its name is put on one line).
        badge_png: the achievement's plain PNG to embed, or None to link the site's image.
        domain: right-hand side of the images' Content-IDs.

    Returns:
        ``learner_name``, ``achievement``, ``issuer``, ``brand``, ``colours``, ``logo``
        (an `InlineImage` or None) and ``badge`` (``src``, ``width``, ``height``, ``alt``);
        and the images to attach as ``multipart/related`` parts.
    """
    design = design or EmailDesign()
    achievement, issuer = safe_parties(achievement, issuer)
    images: list[InlineImage] = []
    logo = None
    if design.logo_png is not None:
        logo = inline_image(
            "logo",
            design.logo_png,
            domain=domain,
            alt=issuer.name,
            height=LOGO_HEIGHT,
            filename="logo.png",
        )
        images.append(logo)
    badge: InlineImage | dict[str, Any]
    if badge_png is not None:
        badge = inline_image(
            "badge",
            badge_png,
            domain=domain,
            alt=f"{achievement.name} badge",
            height=BADGE_SIZE,
            filename=f"{layout.check_slug(achievement.slug)}-badge.png",
        )
        images.append(badge)
    else:
        badge = {
            "src": achievement.image_url,
            "width": BADGE_SIZE,
            "height": BADGE_SIZE,
            "alt": f"{achievement.name} badge",
        }
    name = clean_line(learner_name) if learner_name else None
    context = {
        "learner_name": name or None,
        "achievement": achievement,
        "issuer": issuer,
        "brand": design.branding,
        "colours": design.branding.colours,
        "logo": logo,
        "badge": badge,
    }
    return context, images


def message_headers(
    subject: str,
    *,
    from_address: str,
    design: EmailDesign | None,
    to_address: str,
    learner_name: str | None,
    message_id: str,
) -> dict[str, Any]:
    """The headers of a learner email, in order (a None value is left out).

    Args:
        subject: the subject, its variable parts already on one line.
        from_address: ``mail.from_address``.
        design: the catalog's design (sender name, Reply-To).
        to_address: the learner's address.
        learner_name: display name for ``To:``, or None.
        message_id: the stable ``Message-ID``.

    Returns:
        Header name to value.
    """
    branding = (design or EmailDesign()).branding
    return {
        "Subject": subject,
        "From": sender_address(from_address, branding),
        "To": mailbox(clean_line(learner_name or ""), to_address),
        "Reply-To": branding.reply_to,
        "Message-ID": message_id,
        # RFC 3834: machines should not answer it; Exchange: no out-of-office replies (but
        # delivery reports still come back, which bounce handling reads).
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "OOF, AutoReply",
    }


def share_items(links: AwardLinks) -> list[dict[str, str]]:
    """The share links (``channel``, ``label``, ``url``), one per redirect page."""
    return [
        {"channel": channel, "label": SHARE_LABELS.get(channel, channel.title()), "url": url}
        for channel, url in links.share_channels
    ]


def award_context(
    design: EmailDesign | None,
    *,
    learner_name: str | None,
    achievement: AchievementInfo,
    issuer: IssuerInfo,
    links: AwardLinks,
    badge_png: bytes | None,
    domain: str,
    email_message: str | None,
    issued: str | None,
    expires: str | None,
    attached: bool,
) -> tuple[dict[str, Any], list[InlineImage]]:
    """The award email's template context, its dates already shown (`day`).

    `badgeflow.notify.render.award_email_parts` renders with it, and
    `badgeflow.notify.stencil` with markers in place of the per-learner values.

    Args:
        design: the catalog's branding, logo and templates; None for the packaged look.
        learner_name: display name, or None.
        achievement: the awarded achievement.
        issuer: the issuer.
        links: the email's links (see `award_links`).
        badge_png: the achievement's plain PNG to embed, or None.
        domain: right-hand side of the images' Content-IDs.
        email_message: the achievement's ``email_message`` (markdown-lite), or None.
        issued: the award date as shown, or None.
        expires: the expiry date as shown, or None.
        attached: whether the baked PNG is attached.

    Returns:
        The context and the inline images it refers to.
    """
    context, images = prepare_context(
        design,
        learner_name=learner_name,
        achievement=achievement,
        issuer=issuer,
        badge_png=badge_png,
        domain=domain,
    )
    colour = context["colours"].accent
    attachment_name = f"{layout.check_slug(achievement.slug)}.png" if attached else None
    context |= {
        "links": links,
        "share": share_items(links),
        "attachment_name": attachment_name,
        "issued": issued,
        "expires": expires,
        "message_html": _md_html(email_message, link_colour=colour) if email_message else None,
        "message_text": _md_text(email_message) if email_message else None,
        "criteria_html": _md_html(
            achievement.criteria_narrative, link_colour=colour, font="15px/22px"
        ),
        "criteria_text": _md_text(achievement.criteria_narrative),
    }
    return context, images
