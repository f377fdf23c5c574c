"""Learner notifications: render award and revocation emails (`render`), send via a `Mailer`."""

from __future__ import annotations

from badgeflow.notify.mailer import FileMailer, Mailer, SmtpMailer
from badgeflow.notify.render import (
    AwardLinks,
    award_links,
    linkedin_add_to_profile_url,
    render_award_email,
    render_revoked_email,
)

__all__ = [
    "AwardLinks",
    "FileMailer",
    "Mailer",
    "SmtpMailer",
    "award_links",
    "linkedin_add_to_profile_url",
    "render_award_email",
    "render_revoked_email",
]
