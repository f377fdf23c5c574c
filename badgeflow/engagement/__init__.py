"""Engagement: what learners and visitors did with their credentials, read from outside.

Sources are polled incrementally from saved positions (`badgeflow.store.schema.EngagementCursor`):
the verification site's access logs (nginx/Apache combined, CloudFront) become deduplicated
`EngagementHit` rows (people and bots apart, the issuer's own checks dropped, no IP stored),
and mail provider event exports become `MailEvent` rows. `badgeflow.metrics` turns both into
the tables analysts read.
"""

from __future__ import annotations

from typing import Final

__all__ = ["HIT_KINDS", "LINKEDIN_CHANNELS"]

# What a request for an attributable site page means (README "The learner's pages"):
#   accept_open         accept/<token>/             the learner opened the email's accept link
#   accept_confirm      accept/<token>/accepted/    ... and accepted the badge
#   credential_view     credentials/<id>/           a verification view of the credential page
#   credential_download credentials/<id>.<ext>      channel = json, png, svg or jwt
#   share_page          credentials/<id>/share/     the share page
#   share_click         credentials/<id>/share/<c>/ channel = the share channel
#   verify_page         verify/                     the verify page (no credential)
HIT_KINDS: Final = (
    "accept_open",
    "accept_confirm",
    "credential_view",
    "credential_download",
    "share_page",
    "share_click",
    "verify_page",
)

# Share channels that count as a LinkedIn share (`badgeflow.site.layout.SHARE_CHANNELS`).
LINKEDIN_CHANNELS: Final = ("linkedin-profile", "linkedin-post")
