"""Where a share link leads: the external URL behind each share channel's redirect page.

Every share link on the site points at the credential's own redirect page
(`layout.share_redirect`), which forwards to the URL built here. The access log then
attributes every click to a credential and a channel, and the networks see only the public
credential page's URL, never the learner's accept link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final
from urllib.parse import quote, urlencode

from badgeflow.errors import CredentialError
from badgeflow.notify.render import linkedin_add_to_profile_url
from badgeflow.site import layout

__all__ = [
    "CHANNEL_LABELS",
    "FACEBOOK_SHARER_URL",
    "LINKEDIN_SHARE_URL",
    "X_INTENT_URL",
    "ShareSubject",
    "email_url",
    "facebook_url",
    "linkedin_post_url",
    "share_target",
    "share_target_dates",
    "x_url",
]

LINKEDIN_SHARE_URL: Final = "https://www.linkedin.com/sharing/share-offsite/"
X_INTENT_URL: Final = "https://x.com/intent/tweet"
FACEBOOK_SHARER_URL: Final = "https://www.facebook.com/sharer/sharer.php"

# What each channel's link says, in the order the share page lists them.
CHANNEL_LABELS: Final = {
    "linkedin-profile": "Add to your LinkedIn profile",
    "linkedin-post": "Post on LinkedIn",
    "x": "Post on X",
    "facebook": "Share on Facebook",
    "email": "Send by email",
}


@dataclass(frozen=True)
class ShareSubject:
    """What is being shared: one credential, as the public sees it.

    Attributes:
        credential_id: the credential's uuid.
        page_url: absolute URL of its public verification page.
        achievement_name: the achievement's name.
        issuer_name: the issuer's name.
        issued: award date.
        expires: expiry date, or None.
    """

    credential_id: str
    page_url: str
    achievement_name: str
    issuer_name: str
    issued: date
    expires: date | None = None

    @property
    def text(self) -> str:
        """The sentence a post or an email starts with."""
        return f"I earned the {self.achievement_name} badge from {self.issuer_name}."


def linkedin_post_url(page_url: str) -> str:
    """LinkedIn's "share offsite" URL: a post linking to the page (its Open Graph preview).

    Args:
        page_url: the absolute URL to share.

    Returns:
        The URL, the page URL percent-encoded.
    """
    return f"{LINKEDIN_SHARE_URL}?{urlencode({'url': page_url})}"


def x_url(page_url: str, text: str) -> str:
    """X's (Twitter's) web intent URL for a post with the text and the link.

    Args:
        page_url: the absolute URL to share.
        text: the post's text.

    Returns:
        The URL, every value percent-encoded.
    """
    return f"{X_INTENT_URL}?{urlencode({'text': text, 'url': page_url})}"


def facebook_url(page_url: str) -> str:
    """Facebook's sharer URL for the page.

    Args:
        page_url: the absolute URL to share.

    Returns:
        The URL, the page URL percent-encoded.
    """
    return f"{FACEBOOK_SHARER_URL}?{urlencode({'u': page_url})}"


def email_url(subject: str, body: str) -> str:
    """A ``mailto:`` URL with no recipient: the sender's mail program asks whom to send it to.

    Spaces are ``%20``, not ``+``: RFC 6068 mailto URLs do not decode ``+`` as a space.

    Args:
        subject: the message subject.
        body: the message body.

    Returns:
        The URL, every value percent-encoded.
    """
    return f"mailto:?subject={quote(subject, safe='')}&body={quote(body, safe='')}"


def share_target(channel: str, subject: ShareSubject) -> str:
    """The external URL a channel's redirect page forwards to.

    Args:
        channel: one of `layout.SHARE_CHANNELS`.
        subject: the credential being shared.

    Returns:
        The absolute URL (``https:`` or ``mailto:``).

    Raises:
        CredentialError: an unknown channel.
    """
    if channel == "linkedin-profile":
        return linkedin_add_to_profile_url(
            name=subject.achievement_name,
            organization_name=subject.issuer_name,
            issued=subject.issued,
            expires=subject.expires,
            cert_url=subject.page_url,
            cert_id=subject.credential_id,
        )
    if channel == "linkedin-post":
        return linkedin_post_url(subject.page_url)
    if channel == "x":
        return x_url(subject.page_url, subject.text)
    if channel == "facebook":
        return facebook_url(subject.page_url)
    if channel == "email":
        return email_url(
            f"My {subject.achievement_name} badge", f"{subject.text}\n\n{subject.page_url}"
        )
    known = ", ".join(layout.SHARE_CHANNELS)
    raise CredentialError(f"unknown share channel {channel!r} (known: {known})")


def share_target_dates(channel: str, issued: date, expires: date | None) -> tuple[int | None, ...]:
    """What of the award and expiry dates `share_target` reads for ``channel``.

    A cache of share targets keys on this instead of the dates themselves: LinkedIn's
    "add to profile" URL carries the year and month only, and no other channel any date.

    Args:
        channel: one of `layout.SHARE_CHANNELS`.
        issued: award date.
        expires: expiry date, or None.

    Returns:
        A tuple equal for two pairs of dates exactly when the channel's URL is the same.
    """
    if channel != "linkedin-profile":
        return ()
    if expires is None:
        return (issued.year, issued.month, None, None)
    return (issued.year, issued.month, expires.year, expires.month)
