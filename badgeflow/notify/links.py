"""Every link a learner email offers, built from the verification site's layout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Final
from urllib.parse import quote_plus, urlencode

from badgeflow.models import AchievementInfo, IssuerInfo
from badgeflow.site import layout

__all__ = [
    "LINKEDIN_ADD_URL",
    "SHARE_LABELS",
    "AwardLinks",
    "award_links",
    "linkedin_add_to_profile_url",
]

LINKEDIN_ADD_URL = "https://www.linkedin.com/profile/add"
SHARE_LABELS: Final = {
    "linkedin-profile": "LinkedIn profile",
    "linkedin-post": "LinkedIn post",
    "x": "X",
    "facebook": "Facebook",
    "email": "Email",
}


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
        share_channels: (channel, redirect page URL) for each of `layout.SHARE_CHANNELS`:
            each share goes through its own page so the site's access log attributes it.
    """

    credential_page: str
    accept: str
    share: str
    download_json: str
    download_png: str
    linkedin: str
    share_channels: tuple[tuple[str, str], ...] = ()


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
    # urlencode(pairs) is "&".join(quote_plus(key) + "=" + quote_plus(value)): the pairs
    # every award of a badge shares are encoded once, and keys and numbers encode to
    # themselves.
    expiry = (
        f"&expirationYear={expires.year}&expirationMonth={expires.month}"
        if expires is not None
        else ""
    )
    return (
        f"{_linkedin_head(name, organization_name)}&issueYear={issued.year}"
        f"&issueMonth={issued.month}{expiry}"
        f"&certUrl={quote_plus(cert_url)}&certId={quote_plus(cert_id)}"
    )


@lru_cache(maxsize=256)
def _linkedin_head(name: str, organization_name: str) -> str:
    params = [
        ("startTask", "CERTIFICATION_NAME"),
        ("name", name),
        ("organizationName", organization_name),
    ]
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
        share_channels=tuple(
            (channel, layout.join_url(base_url, layout.share_redirect(credential_id, channel)))
            for channel in layout.SHARE_CHANNELS
        ),
    )
