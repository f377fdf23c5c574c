"""The SQL views analysts and BI tools read: their names and every column, documented.

The views are created by migration ``0010`` (frozen SQL there); this module is the one
description of them that the README, the reporting API, the exports and the dashboard use.
Column names are a public interface: renaming one is a breaking change for every report
built on it, so add columns, never rename them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "CREDENTIAL_COLUMNS",
    "DIMENSIONS",
    "FUNNEL_COLUMNS",
    "METRIC_COLUMNS",
    "VIEWS",
    "View",
    "view",
]

# (dimension in metric_rollups, its column name in the views)
DIMENSIONS: Final = (
    ("achievement", "achievement_id"),
    ("course", "course_id"),
    ("pathway", "pathway"),
    ("source", "source"),
    ("cohort", "cohort"),
)

METRIC_COLUMNS: Final[dict[str, str]] = {
    "issued": "Credentials issued (in the week, for weekly views: weeks are issue weeks).",
    "accepted": "Of those, how many the learner accepted (a person followed the accept page's "
    "Accept badge link).",
    "acceptance_rate": "accepted / issued, 0 to 1; NULL when nothing was issued.",
    "median_hours_to_accept": "Median hours from issue to acceptance, of the accepted ones.",
    "p90_hours_to_accept": "90th percentile of the same (nearest rank); NULL when none accepted.",
    "opened": "Credentials whose accept link (from the award email) a person opened.",
    "linkedin_shared": "Credentials shared to LinkedIn (profile or post) at least once.",
    "linkedin_share_rate": "linkedin_shared / issued, 0 to 1; NULL when nothing was issued.",
    "shares": "Share clicks on every channel (one per visitor, credential, channel and day).",
    "verification_views": "Views of credential pages by people (one per visitor, credential "
    "and day), the issuer's own checks excluded.",
    "downloads": "Downloads of the credential JSON, PNG, SVG or JWT by people (one per "
    "visitor, credential, format and day).",
    "bounced": "Credentials whose award email bounced (bounce report or provider event).",
    "bounce_rate": "bounced / issued, 0 to 1; NULL when nothing was issued.",
    "revoked": "Credentials now revoked.",
    "bot_hits": "Requests by crawlers and link-preview bots on these credentials' pages "
    "(one per bot, page and day), counted apart from people.",
    "computed_at": "When these figures were computed (UTC).",
}

CREDENTIAL_COLUMNS: Final[dict[str, str]] = {
    "credential_id": "The credential's uuid (its page is credentials/<id>/ on the site).",
    "learner_id": "badgeflow's internal learner number (no email or name).",
    "achievement_id": "The achievement (badge catalog slug).",
    "course_id": "The catalog course the achievement is for; empty when none.",
    "pathway": "The pathway the achievement is a tier of; empty when none.",
    "source": "The completion source that brought the learner's completion; empty if unknown.",
    "cohort": "The learner's cohort from the cohorts file; empty when none.",
    "issued_at": "When the credential was issued (UTC).",
    "issued_week": "Monday of the issue week (UTC).",
    "status": "active, revoked or suspended.",
    "email_status": "State of the award email: pending, held, sending, sent, failed, bounced; "
    "empty when none was queued.",
    "bounced": "The award email bounced (true/false).",
    "opened_at": "First time a person opened the accept link (UTC); NULL if never.",
    "accepted_at": "First time a person accepted the badge (UTC); NULL if never.",
    "hours_to_accept": "Hours from issued_at to accepted_at; NULL if not accepted.",
    "linkedin_shares": "Share clicks to LinkedIn (profile or post), per visitor and day.",
    "shares": "Share clicks on every channel, per visitor and day.",
    "first_shared_at": "First share click (UTC); NULL if never shared.",
    "verification_views": "Credential page views by people, per visitor and day.",
    "downloads": "JSON/PNG/SVG/JWT downloads by people, per visitor, format and day.",
    "bot_hits": "Bot requests on the credential's pages, per bot, page and day.",
    "updated_at": "When this row was last recomputed (UTC).",
}

FUNNEL_COLUMNS: Final[dict[str, str]] = {
    "pathway": "The pathway (catalog slug).",
    "pathway_name": "The pathway's name.",
    "tier": "Tier number, 1 for the first.",
    "tier_name": "The tier's achievement name(s), joined with ' + '.",
    "learners": "Learners holding every achievement of this tier (active awards).",
    "share_of_first_tier": "learners / learners of tier 1, 0 to 1; NULL when tier 1 has none.",
    "computed_at": "When these figures were computed (UTC).",
}


@dataclass(frozen=True)
class View:
    """One SQL view: its name, what one row is, and its columns with their meaning."""

    name: str
    grain: str
    columns: dict[str, str]


def _metric_views() -> list[View]:
    week = {"week_start": "Monday of the issue week (UTC)."}
    views = [
        View("metrics_overall", "one row: every credential", dict(METRIC_COLUMNS)),
        View(
            "metrics_overall_weekly",
            "one row per issue week",
            {**week, **METRIC_COLUMNS},
        ),
    ]
    for dimension, column in DIMENSIONS:
        key = {column: f"The {dimension} ({CREDENTIAL_COLUMNS[column].lower()})"}
        views.append(
            View(f"metrics_by_{dimension}", f"one row per {dimension}", {**key, **METRIC_COLUMNS})
        )
        views.append(
            View(
                f"metrics_by_{dimension}_weekly",
                f"one row per {dimension} and issue week",
                {**key, **week, **METRIC_COLUMNS},
            )
        )
    return views


VIEWS: Final[tuple[View, ...]] = (
    View("metrics_credentials", "one row per credential", dict(CREDENTIAL_COLUMNS)),
    *_metric_views(),
    View("metrics_pathway_funnel", "one row per pathway tier", dict(FUNNEL_COLUMNS)),
)


def view(name: str) -> View:
    """Look a view up by name.

    Raises:
        KeyError: no such view (the message lists the known ones).
    """
    for candidate in VIEWS:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no metrics view {name!r}; known: {', '.join(v.name for v in VIEWS)}")
