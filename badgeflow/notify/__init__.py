"""Learner notifications: render award, re-issue and revocation emails (`render`), send them.

`compose` assembles the MIME message, `templates` holds the catalog's template overrides and
their check, `links` every link an email offers; a `Mailer` sends.
"""

from __future__ import annotations

from badgeflow.notify.compose import EmailDesign
from badgeflow.notify.mailer import FileMailer, Mailer, SmtpMailer
from badgeflow.notify.render import (
    AwardLinks,
    award_links,
    linkedin_add_to_profile_url,
    render_award_email,
    render_reissued_email,
    render_revoked_email,
)

__all__ = [
    "AwardLinks",
    "EmailDesign",
    "FileMailer",
    "Mailer",
    "SmtpMailer",
    "award_links",
    "linkedin_add_to_profile_url",
    "render_award_email",
    "render_reissued_email",
    "render_revoked_email",
]
