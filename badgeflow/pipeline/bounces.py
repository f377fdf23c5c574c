"""Read the bounce mailbox and record each report on the outbox row it is about."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from badgeflow import store
from badgeflow.errors import ConfigurationError
from badgeflow.notify.bounces import read_bounces
from badgeflow.pipeline.runtime import Runtime

__all__ = ["BounceReport", "apply_bounces"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BounceReport:
    """What reading the bounce mailbox did."""

    reports: int
    """Bounce reports found in the mailbox (other messages are not counted)."""
    hard: int
    """Rows newly marked ``bounced``."""
    soft: int
    """Soft bounces (delays, 4.x.x) newly noted on rows that stay ``sent``."""
    unmatched: int
    """Reports about no message badgeflow sent (or that do not quote its Message-ID)."""
    unchanged: int
    """Reports already recorded by an earlier read."""


def apply_bounces(runtime: Runtime, *, now: datetime, mailbox: Path | None = None) -> BounceReport:
    """Read every bounce report in the mailbox and mark the outbox rows they are about.

    Matching is by the original ``Message-ID``, which badgeflow derives from the credential
    and kind, so each report finds exactly one row. Safe to run repeatedly.

    Args:
        runtime: resources built from settings.
        now: recorded as the bounce time.
        mailbox: the folder to read; default ``mail.bounce_mailbox``.

    Returns:
        Counts of what was recorded.

    Raises:
        ConfigurationError: no mailbox given or configured, or it is not a folder.
    """
    folder = mailbox or runtime.settings.mail.bounce_mailbox
    if folder is None:
        raise ConfigurationError("no bounce mailbox: set mail.bounce_mailbox or pass one")
    bounces = read_bounces(folder)
    hard = soft = unmatched = unchanged = 0
    with runtime.sessions.begin() as session:
        for bounce in bounces:
            if bounce.message_id is None:
                unmatched += 1
                logger.info("bounce %s quotes no Message-ID; skipped", bounce.source)
                continue
            outcome = store.record_bounce(
                session,
                bounce.message_id,
                status=bounce.status,
                diagnostic=bounce.diagnostic,
                hard=bounce.hard,
                at=now,
            )
            if outcome.outbox_id is None:
                unmatched += 1
                logger.info("bounce %s is about no message we sent; skipped", bounce.source)
            elif not outcome.changed:
                unchanged += 1
            elif outcome.hard:
                hard += 1
                logger.warning(
                    "email %s bounced (%s): %s", outcome.outbox_id, bounce.status, bounce.diagnostic
                )
            else:
                soft += 1
                logger.info("email %s delayed (%s)", outcome.outbox_id, bounce.status)
    return BounceReport(
        reports=len(bounces), hard=hard, soft=soft, unmatched=unmatched, unchanged=unchanged
    )
