"""Render the learner emails ("you earned a badge", "... was re-issued", "... was revoked").

Rendering is pure, no I/O: sending is a `Mailer`'s job.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from email.headerregistry import Address
from email.message import EmailMessage
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from badgeflow.models import AchievementInfo, IssuerInfo
from badgeflow.site import layout

__all__ = [
    "LINKEDIN_ADD_URL",
    "AwardLinks",
    "award_links",
    "linkedin_add_to_profile_url",
    "render_award_email",
    "render_reissued_email",
    "render_revoked_email",
]

LINKEDIN_ADD_URL = "https://www.linkedin.com/profile/add"

_env = Environment(
    loader=PackageLoader("badgeflow", "templates"),
    autoescape=select_autoescape(),
    undefined=StrictUndefined,
)


@dataclass(frozen=True)
class AwardLinks:
    """Every link an award email offers.

    Attributes:
        credential_page: the credential's verification page.
        accept: the learner's own accept page (`layout.accept_page`) when the credential has
            an accept token, else the credential page's accept section.
        share: the credential's share page.
        download_json: the signed credential JSON.
        download_png: the baked badge image.
        linkedin: LinkedIn's "add certification to profile" URL.
    """

    credential_page: str
    accept: str
    share: str
    download_json: str
    download_png: str
    linkedin: str


def linkedin_add_to_profile_url(
    *,
    name: str,
    organization_name: str,
    issued: date,
    expires: date | None,
    cert_url: str,
    cert_id: str,
) -> str:
    """Build LinkedIn's "Add to profile" URL for a certification.

    LinkedIn publishes no documentation for these parameters; this follows the pattern
    used by public implementations, with months 1-12 (several implementations wrongly pass a
    0-based JavaScript month).

    Args:
        name: certification (achievement) name.
        organization_name: issuing organisation as shown on the profile.
        issued: award date.
        expires: expiry date, or None when the badge does not expire.
        cert_url: the credential's verification page.
        cert_id: the credential id.

    Returns:
        The URL, every value percent-encoded.
    """
    params: list[tuple[str, str]] = [
        ("startTask", "CERTIFICATION_NAME"),
        ("name", name),
        ("organizationName", organization_name),
        ("issueYear", str(issued.year)),
        ("issueMonth", str(issued.month)),
    ]
    if expires is not None:
        params += [("expirationYear", str(expires.year)), ("expirationMonth", str(expires.month))]
    params += [("certUrl", cert_url), ("certId", cert_id)]
    return f"{LINKEDIN_ADD_URL}?{urlencode(params)}"


def award_links(
    base_url: str,
    credential_id: str,
    *,
    achievement: AchievementInfo,
    issuer: IssuerInfo,
    issued: date,
    expires: date | None,
    accept_token: str | None = None,
) -> AwardLinks:
    """Build the links of an award email from the verification site's layout.

    Args:
        base_url: public base URL of the verification site.
        credential_id: the credential's uuid (without ``urn:uuid:``).
        achievement: the awarded achievement.
        issuer: the issuer.
        issued: award date.
        expires: expiry date, or None.
        accept_token: the credential's accept-link secret, or None for the page's section.

    Returns:
        Links to the pages and files `badgeflow.site.build.build_site` publishes.
    """
    page = layout.join_url(base_url, layout.credential_page(credential_id))
    return AwardLinks(
        credential_page=page,
        accept=(
            layout.join_url(base_url, layout.accept_page(accept_token))
            if accept_token
            else f"{page}#accept"
        ),
        share=layout.join_url(base_url, layout.share_page(credential_id)),
        download_json=layout.join_url(base_url, layout.credential_json(credential_id)),
        download_png=layout.join_url(base_url, layout.credential_png(credential_id)),
        linkedin=linkedin_add_to_profile_url(
            name=achievement.name,
            organization_name=issuer.name,
            issued=issued,
            expires=expires,
            cert_url=page,
            cert_id=credential_id,
        ),
    )


def render_award_email(
    *,
    to_address: str,
    learner_name: str | None,
    achievement: AchievementInfo,
    issuer: IssuerInfo,
    links: AwardLinks,
    from_address: str,
    baked_png: bytes | None,
    message_id_domain: str,
) -> EmailMessage:
    """Render the email telling a learner they earned a badge.

    The message is multipart/alternative (plain text and HTML), with the baked PNG attached
    as ``<slug>.png`` when given. Its ``Message-ID`` is derived from the credential page URL,
    so rendering the same award twice gives the same id and a resend is recognisable (and
    overwrites rather than duplicates in `FileMailer`). No ``Date`` header is set here: the
    renderer is pure; `SmtpMailer` stamps it at send time.

    Args:
        to_address: the learner's email address.
        learner_name: display name, or None to greet generically.
        achievement: the awarded achievement.
        issuer: the issuer.
        links: links to the verification page and downloads (see `award_links`).
        from_address: the ``From:`` header, e.g. ``Academy <badges@example.org>``.
        baked_png: the baked badge image, or None to attach nothing.
        message_id_domain: right-hand side of the Message-ID (usually the site's host).

    Returns:
        The message, ready for `Mailer.send`.

    Raises:
        jinja2.UndefinedError: a template refers to a variable that is not passed.
    """
    attachment_name = (
        f"{layout.check_slug(achievement.slug)}.png" if baked_png is not None else None
    )
    context = {
        "learner_name": learner_name,
        "achievement": achievement,
        "issuer": issuer,
        "links": links,
        "attachment_name": attachment_name,
    }
    message = EmailMessage()
    message["Subject"] = f"You earned the {achievement.name} badge"
    message["From"] = from_address
    message["To"] = Address(display_name=learner_name or "", addr_spec=to_address)
    message["Message-ID"] = _message_id(links.credential_page, message_id_domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_env.get_template("email/award.txt").render(context))
    message.add_alternative(_env.get_template("email/award.html").render(context), subtype="html")
    if baked_png is not None and attachment_name is not None:
        message.add_attachment(baked_png, maintype="image", subtype="png", filename=attachment_name)
    return message


def _message_id(credential_page: str, domain: str, kind: str = "award") -> str:
    # The page URL is a function of the credential id, so this is stable across resends.
    return f"<{kind}.{uuid.uuid5(uuid.NAMESPACE_URL, credential_page)}@{domain}>"


def render_reissued_email(
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
) -> EmailMessage:
    """Render the email telling a learner their badge was re-issued as a new credential.

    Args:
        to_address: the learner's email address.
        learner_name: display name, or None to greet generically.
        achievement: the badge's achievement.
        issuer: the issuer.
        links: links of the **new** credential (see `award_links`).
        awarded: the original award date (kept by the new credential).
        from_address: the ``From:`` header.
        baked_png: the new baked badge image, or None to attach nothing.
        message_id_domain: right-hand side of the Message-ID.

    Returns:
        The message (plain text and HTML); its Message-ID is stable per new credential.
    """
    attachment_name = (
        f"{layout.check_slug(achievement.slug)}.png" if baked_png is not None else None
    )
    context = {
        "learner_name": learner_name,
        "achievement": achievement,
        "issuer": issuer,
        "links": links,
        "awarded": f"{awarded.day} {awarded:%B %Y}",
        "attachment_name": attachment_name,
    }
    message = EmailMessage()
    message["Subject"] = f"Your {achievement.name} badge was re-issued"
    message["From"] = from_address
    message["To"] = Address(display_name=learner_name or "", addr_spec=to_address)
    message["Message-ID"] = _message_id(links.credential_page, message_id_domain, "reissue")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_env.get_template("email/reissued.txt").render(context))
    message.add_alternative(
        _env.get_template("email/reissued.html").render(context), subtype="html"
    )
    if baked_png is not None and attachment_name is not None:
        message.add_attachment(baked_png, maintype="image", subtype="png", filename=attachment_name)
    return message


def render_revoked_email(
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
) -> EmailMessage:
    """Render the email telling a learner their badge was revoked, and why.

    Args:
        to_address: the learner's email address.
        learner_name: display name, or None to greet generically.
        achievement: the revoked badge's achievement.
        issuer: the issuer.
        credential_page: the credential's verification page URL.
        awarded: the award date.
        reason: the revocation reason from the audit trail.
        from_address: the ``From:`` header.
        message_id_domain: right-hand side of the Message-ID.

    Returns:
        The message (plain text and HTML); its Message-ID is stable per credential.
    """
    context = {
        "learner_name": learner_name,
        "achievement": achievement,
        "issuer": issuer,
        "credential_page": credential_page,
        "awarded": f"{awarded.day} {awarded:%B %Y}",
        "reason": reason,
    }
    message = EmailMessage()
    message["Subject"] = f"Your {achievement.name} badge has been revoked"
    message["From"] = from_address
    message["To"] = Address(display_name=learner_name or "", addr_spec=to_address)
    stable = uuid.uuid5(uuid.NAMESPACE_URL, credential_page)
    message["Message-ID"] = f"<revoked.{stable}@{message_id_domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_env.get_template("email/revoked.txt").render(context))
    message.add_alternative(_env.get_template("email/revoked.html").render(context), subtype="html")
    return message
