"""Where things live on the verification site: the one place its URL layout is spelled out.

Both the site builder and the award emails use these helpers, so the links in an email always
point at files the site actually publishes.
"""

from __future__ import annotations

import re
from typing import Final

from badgeflow.errors import CatalogError, CredentialError

__all__ = [
    "SHARE_CHANNELS",
    "accept_page",
    "accepted_page",
    "achievement_image",
    "achievement_json",
    "achievement_page",
    "check_credential_id",
    "check_relative_path",
    "check_slug",
    "credential_json",
    "credential_jwt",
    "credential_page",
    "credential_png",
    "credential_svg",
    "join_url",
    "share_page",
    "share_redirect",
]

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

# The networks a credential can be shared on, each through its own redirect page
# (`share_redirect`): adding LinkedIn's certification, a LinkedIn post, X, Facebook, email.
SHARE_CHANNELS: Final = ("linkedin-profile", "linkedin-post", "x", "facebook", "email")


def check_slug(slug: str) -> str:
    """Make sure an achievement slug is safe to use as a file and URL segment.

    Args:
        slug: the catalog slug.

    Returns:
        The slug, unchanged.

    Raises:
        CatalogError: when it could escape its folder or needs URL-encoding.
    """
    if not _SAFE_NAME.match(slug):
        raise CatalogError(f"achievement slug {slug!r} is not a safe file name")
    return slug


def check_credential_id(credential_id: str) -> str:
    """Make sure a credential id (the uuid part) is safe as a file and URL segment.

    Args:
        credential_id: the id, without ``urn:uuid:``.

    Returns:
        The id, unchanged.

    Raises:
        CredentialError: when it could escape its folder or needs URL-encoding.
    """
    if not _SAFE_NAME.match(credential_id):
        raise CredentialError(f"credential id {credential_id!r} is not a safe file name")
    return credential_id


def check_relative_path(path: str) -> str:
    """Make sure a site-relative path stays inside the site (safe segments, no ``..``).

    Raises:
        CredentialError: an empty, absolute or escaping path, or an unsafe segment.
    """
    parts = path.split("/")
    if not path or any(not _SAFE_NAME.match(part) for part in parts):
        raise CredentialError(f"site path {path!r} is not a safe relative path")
    return path


def credential_page(credential_id: str) -> str:
    """Site-relative path of a credential's verification page (a folder URL)."""
    return f"credentials/{check_credential_id(credential_id)}/"


def credential_json(credential_id: str) -> str:
    """Site-relative path of the signed credential JSON."""
    return f"credentials/{check_credential_id(credential_id)}.json"


def credential_png(credential_id: str) -> str:
    """Site-relative path of the baked badge PNG."""
    return f"credentials/{check_credential_id(credential_id)}.png"


def credential_svg(credential_id: str) -> str:
    """Site-relative path of the baked badge SVG."""
    return f"credentials/{check_credential_id(credential_id)}.svg"


def credential_jwt(credential_id: str) -> str:
    """Site-relative path of the credential's VC-JWT (compact JWS, served as text/plain)."""
    return f"credentials/{check_credential_id(credential_id)}.jwt"


def accept_page(accept_token: str) -> str:
    """Site-relative path of a learner's accept page (a folder URL).

    The token is the credential's ``accept_token``: a secret only the award email carries, so
    a request for this page (in the web server's access log) means the learner opened it.
    The page is never linked from anywhere else on the site and is not indexed.
    """
    return f"accept/{check_credential_id(accept_token)}/"


def accepted_page(accept_token: str) -> str:
    """Site-relative path of the page confirming the learner accepted the badge (a folder URL).

    The accept page's "Accept badge" action is a plain link here, so a request for it in the
    access log records the learner's explicit acceptance, as the accept page records the open.
    """
    return f"{accept_page(accept_token)}accepted/"


def share_page(credential_id: str) -> str:
    """Site-relative path of a credential's share page (a folder URL)."""
    return f"credentials/{check_credential_id(credential_id)}/share/"


def share_redirect(credential_id: str, channel: str) -> str:
    """Site-relative path of the redirect page for sharing a credential on one channel.

    Each share link goes through its own static page, which forwards to the network, so the
    access log attributes every share click to a credential and a channel (issue 7's metrics
    read ``credentials/<id>/share/<channel>/``).

    Args:
        credential_id: the credential's uuid.
        channel: a safe slug naming the network, e.g. ``linkedin``.
    """
    if not _SAFE_NAME.match(channel):
        raise CredentialError(f"share channel {channel!r} is not a safe file name")
    return f"{share_page(credential_id)}{channel}/"


def achievement_page(slug: str) -> str:
    """Site-relative path of an achievement's page (a folder URL)."""
    return f"achievements/{check_slug(slug)}/"


def achievement_json(slug: str) -> str:
    """Site-relative path of an achievement's OB 3.0 ``Achievement`` JSON."""
    return f"achievements/{check_slug(slug)}.json"


def achievement_image(slug: str, extension: str = "png") -> str:
    """Site-relative path of an achievement's image (``png`` or ``svg``)."""
    return f"achievements/{check_slug(slug)}.{extension}"


def join_url(base_url: str, path: str) -> str:
    """Join the site's base URL and a site-relative path.

    Args:
        base_url: absolute base URL, with or without a trailing slash.
        path: a path returned by one of the helpers above.

    Returns:
        The absolute URL.
    """
    return f"{base_url.rstrip('/')}/{path}"
