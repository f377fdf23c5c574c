"""Render the learner emails ("you earned a badge", "... was re-issued", "... was revoked").

Rendering is pure, no I/O: the caller passes the images and the catalog's design
(`EmailDesign`); sending is a `Mailer`'s job. Every display value that reaches a header is
put on one line first (`clean_line`), and HTML templates are autoescaped.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from email.message import EmailMessage
from functools import update_wrapper
from typing import Any, ParamSpec

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from badgeflow.models import AchievementInfo, IssuerInfo
from badgeflow.notify.compose import EmailDesign, InlineImage, MessageParts
from badgeflow.notify.context import (
    award_context,
    day,
    message_headers,
    prepare_context,
    share_items,
)
from badgeflow.notify.links import (
    LINKEDIN_ADD_URL,
    AwardLinks,
    award_links,
    linkedin_add_to_profile_url,
)
from badgeflow.site import layout

__all__ = [
    "LINKEDIN_ADD_URL",
    "AwardLinks",
    "EmailDesign",
    "award_email_parts",
    "award_links",
    "linkedin_add_to_profile_url",
    "reissued_email_parts",
    "render_award_email",
    "render_bodies",
    "render_reissued_email",
    "render_revoked_email",
    "revoked_email_parts",
]

_P = ParamSpec("_P")

_env = Environment(
    loader=PackageLoader("badgeflow", "templates"),
    autoescape=select_autoescape(),
    undefined=StrictUndefined,
)


def _message_id(credential_page: str, domain: str, kind: str = "award") -> str:
    # The page URL is a function of the credential id, so this is stable across resends.
    return f"<{kind}.{uuid.uuid5(uuid.NAMESPACE_URL, credential_page)}@{domain}>"


def _compose(
    kind: str,
    subject: str,
    context: dict[str, Any],
    images: list[InlineImage],
    *,
    design: EmailDesign | None,
    from_address: str,
    to_address: str,
    learner_name: str | None,
    message_id: str,
    attachment: tuple[str, bytes] | None,
) -> MessageParts:
    # What every kind shares: render its two templates, then the headers.
    text, html = render_bodies(kind, context, design)
    headers = message_headers(
        subject,
        from_address=from_address,
        design=design,
        to_address=to_address,
        learner_name=learner_name,
        message_id=message_id,
    )
    return MessageParts(headers, text, html, tuple(images), attachment)


def render_bodies(
    kind: str, context: dict[str, Any], design: EmailDesign | None
) -> tuple[str, str]:
    """Render the plain-text and HTML templates of an email kind.

    Args:
        kind: ``award``, ``reissued`` or ``revoked``.
        context: the template variables.
        design: the catalog's design (its templates), or None for the packaged ones.

    Returns:
        (text, HTML).
    """
    env = (design.templates if design else None) or _env
    text = env.get_template(f"email/{kind}.txt").render(context)
    return text, env.get_template(f"email/{kind}.html").render(context)


def _assembled(parts: Callable[_P, MessageParts], name: str) -> Callable[_P, EmailMessage]:
    # render_x_email(...) is x_email_parts(...).message(), with the same parameters.
    def render(*args: _P.args, **kwargs: _P.kwargs) -> EmailMessage:
        return parts(*args, **kwargs).message()

    update_wrapper(render, parts)
    render.__name__ = render.__qualname__ = name
    render.__doc__ = f"`{parts.__name__}`, assembled: the `EmailMessage` (same parameters)."
    return render


def award_email_parts(
    *,
    to_address: str,
    learner_name: str | None,
    achievement: AchievementInfo,
    issuer: IssuerInfo,
    links: AwardLinks,
    from_address: str,
    baked_png: bytes | None,
    message_id_domain: str,
    design: EmailDesign | None = None,
    badge_png: bytes | None = None,
    email_message: str | None = None,
    issued: date | None = None,
    expires: date | None = None,
) -> MessageParts:
    """Render the email telling a learner they earned a badge (`render_award_email`: assembled).

    Plain text and HTML (inline CSS, table layout, no script), the badge and the logo as
    inline ``cid:`` images when given, the baked PNG attached as ``<slug>.png``. Its
    ``Message-ID`` is derived from the credential page URL, so rendering the same award
    twice gives the same id and a resend is recognisable. No ``Date`` header is set here:
    the renderer is pure; `SmtpMailer` stamps it at send time.

    Args:
        to_address: the learner's email address.
        learner_name: display name, or None to greet generically.
        achievement: the awarded achievement.
        issuer: the issuer.
        links: links to the verification page and downloads (see `award_links`).
        from_address: ``mail.from_address``, e.g. ``Academy <badges@example.org>``; the
            branding's sender name replaces its display name.
        baked_png: the baked badge image, or None to attach nothing.
        message_id_domain: right-hand side of the Message-ID (usually the site's host).
        design: the catalog's branding, logo and templates; None for the packaged look.
        badge_png: the achievement's plain PNG, shown inline; None to link the site's image.
        email_message: the achievement's ``email_message`` (markdown-lite), or None.
        issued: the award date shown in the email, or None to leave it out.
        expires: the expiry date shown, or None when the badge does not expire.

    Returns:
        The message's parts; `MessageParts.message` makes it the message for `Mailer.send`.

    Raises:
        jinja2.UndefinedError: a template refers to a variable that is not passed.
    """
    context, images = award_context(
        design,
        learner_name=learner_name,
        achievement=achievement,
        issuer=issuer,
        links=links,
        badge_png=badge_png,
        domain=message_id_domain,
        email_message=email_message,
        issued=day(issued) if issued else None,
        expires=day(expires) if expires else None,
        attached=bool(baked_png),
    )
    attachment_name = context["attachment_name"]
    attachment = (attachment_name, baked_png) if baked_png and attachment_name else None
    return _compose(
        "award",
        f"You earned the {context['achievement'].name} badge",
        context,
        images,
        design=design,
        from_address=from_address,
        to_address=to_address,
        learner_name=learner_name,
        message_id=_message_id(links.credential_page, message_id_domain),
        attachment=attachment,
    )


def reissued_email_parts(
    *,
    to_address: str,
    learner_name: str | None,
    achievement: AchievementInfo,
    issuer: IssuerInfo,
    links: AwardLinks,
    awarded: date,
    from_address: str,
    baked_png: bytes | None,
    message_id_domain: str,
    design: EmailDesign | None = None,
    badge_png: bytes | None = None,
) -> MessageParts:
    """Render the email telling a learner their badge was re-issued as a new credential.

    Args:
        to_address: the learner's email address.
        learner_name: display name, or None to greet generically.
        achievement: the badge's achievement.
        issuer: the issuer.
        links: links of the **new** credential (see `award_links`).
        awarded: the original award date (kept by the new credential).
        from_address: ``mail.from_address``.
        baked_png: the new baked badge image, or None to attach nothing.
        message_id_domain: right-hand side of the Message-ID.
        design: the catalog's branding, logo and templates; None for the packaged look.
        badge_png: the achievement's plain PNG, shown inline.

    Returns:
        The message's parts (plain text and HTML); its Message-ID is stable per new
        credential. `render_reissued_email` gives the message.
    """
    context, images = prepare_context(
        design,
        learner_name=learner_name,
        achievement=achievement,
        issuer=issuer,
        badge_png=badge_png,
        domain=message_id_domain,
    )
    attachment_name = f"{layout.check_slug(achievement.slug)}.png" if baked_png else None
    context |= {
        "links": links,
        "share": share_items(links),
        "awarded": day(awarded),
        "attachment_name": attachment_name,
    }
    attachment = (attachment_name, baked_png) if baked_png and attachment_name else None
    return _compose(
        "reissued",
        f"Your {context['achievement'].name} badge was re-issued",
        context,
        images,
        design=design,
        from_address=from_address,
        to_address=to_address,
        learner_name=learner_name,
        message_id=_message_id(links.credential_page, message_id_domain, "reissue"),
        attachment=attachment,
    )


def revoked_email_parts(
    *,
    to_address: str,
    learner_name: str | None,
    achievement: AchievementInfo,
    issuer: IssuerInfo,
    credential_page: str,
    awarded: date,
    reason: str,
    from_address: str,
    message_id_domain: str,
    design: EmailDesign | None = None,
) -> MessageParts:
    """Render the email telling a learner their badge was revoked, and why.

    It offers no share, download or LinkedIn link: the badge no longer stands.

    Args:
        to_address: the learner's email address.
        learner_name: display name, or None to greet generically.
        achievement: the revoked badge's achievement.
        issuer: the issuer.
        credential_page: the credential's verification page URL.
        awarded: the award date.
        reason: the revocation reason from the audit trail.
        from_address: ``mail.from_address``.
        message_id_domain: right-hand side of the Message-ID.
        design: the catalog's branding, logo and templates; None for the packaged look.

    Returns:
        The message's parts (plain text and HTML); its Message-ID is stable per credential.
        `render_revoked_email` gives the message.
    """
    context, images = prepare_context(
        design,
        learner_name=learner_name,
        achievement=achievement,
        issuer=issuer,
        badge_png=None,
        domain=message_id_domain,
    )
    context |= {"credential_page": credential_page, "awarded": day(awarded), "reason": reason}
    return _compose(
        "revoked",
        f"Your {context['achievement'].name} badge has been revoked",
        context,
        images,
        design=design,
        from_address=from_address,
        to_address=to_address,
        learner_name=learner_name,
        message_id=_message_id(credential_page, message_id_domain, "revoked"),
        attachment=None,
    )


render_award_email = _assembled(award_email_parts, "render_award_email")
render_reissued_email = _assembled(reissued_email_parts, "render_reissued_email")
render_revoked_email = _assembled(revoked_email_parts, "render_revoked_email")
