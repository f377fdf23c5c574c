"""Poll the verification site's access logs into deduplicated ``engagement_hits``.

Each configured log (`EngagementSettings.access_logs`) is read from its saved position
(`logfiles`), its lines sorted and aggregated (`counting`), and the hits stored together with
the new position in ONE transaction, the position saved by compare-and-set on the cursor's
``version``: a crash stores neither, and of two overlapping polls of one log only the first
commits; the other rolls back and reports ``conflict``. Huge files are committed in chunks
(``chunk_lines``), so memory stays bounded and a crash loses at most one chunk of work.

Example:
    >>> reports = poll_access_logs(settings, sessions, clock=lambda: datetime.now(UTC))
    >>> reports[0].as_dict()["people"]
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.orm import Session, sessionmaker

from badgeflow.engagement.bots import AgentClassifier, Exclusions
from badgeflow.engagement.counting import (
    CredentialIndex,
    LineCounter,
    LineCounts,
    load_credential_index,
)
from badgeflow.engagement.hits import upsert_hits
from badgeflow.engagement.logfiles import find_log_files, read_lines
from badgeflow.engagement.logformats import new_parser
from badgeflow.engagement.sitepaths import PathClassifier
from badgeflow.engagement.visitors import VisitorHasher, prune_salts
from badgeflow.metrics.cursor import ConcurrentRun, load_position, save_position
from badgeflow.models import JSONDict
from badgeflow.settings import AccessLogSettings, Settings

__all__ = ["CURSOR_KIND", "AccessLogReport", "poll_access_logs"]

logger = logging.getLogger(__name__)

CURSOR_KIND: Final = "access_log"
CHUNK_LINES: Final = 200_000


@dataclass(kw_only=True)
class AccessLogReport(LineCounts):
    """What one poll of one access log did.

    ``lines`` = ``people + bots + excluded + unattributed + ignored + malformed``: requests
    counted for people and for bots, the issuer's own, attributable pages of unknown
    credentials, lines that are not counted requests, unreadable lines. ``hits_new`` is the
    number of new (visitor, page, day) rows. With ``conflict`` another poll of the same log
    committed first: this one's last chunk was rolled back and is not in the figures.
    """

    source: str
    files: int = 0
    hits_new: int = 0
    commits: int = 0
    conflict: bool = False

    def as_dict(self) -> dict[str, str | int | bool]:
        """The report as plain JSON-ready values."""
        return asdict(self)


class _LogPoll:
    def __init__(
        self,
        log: AccessLogSettings,
        sessions: sessionmaker[Session],
        counter: LineCounter,
        now: datetime,
    ) -> None:
        self.log, self.sessions, self.counter, self.now = log, sessions, counter, now
        self.report = AccessLogReport(source=log.name)
        with sessions() as session:
            self.position = load_position(session, log.name, CURSOR_KIND)
        self.state: JSONDict = dict(self.position.state)

    def commit(self) -> bool:
        hits, counts = self.counter.take()
        try:
            with self.sessions.begin() as session:
                new = upsert_hits(session, hits, source=self.log.name)
                self.position = save_position(session, self.position, self.state, at=self.now)
        except ConcurrentRun:
            logger.warning("access log %s: another poll saved it first; rolled back", self.log.name)
            self.report.conflict = True
            return False
        self.report.add(counts)
        self.report.hits_new += new
        self.report.commits += 1
        return True

    def run(self, progress: Callable[[str], None] | None, chunk_lines: int) -> AccessLogReport:
        files = find_log_files(self.log.path, self.state)
        self.report.files = len(files)
        pending = 0
        for log_file in files:
            if progress:
                progress(f"{self.log.name}: reading {log_file.path.name} from {log_file.start}")
            self.counter.parser = new_parser(self.log.format)
            for lines in read_lines(log_file, self.state):
                self.counter.feed(lines)
                pending += len(lines)
                if pending >= chunk_lines:
                    pending = 0
                    if not self.commit():
                        return self.report
                    if progress:
                        progress(f"{self.log.name}: {self.report.lines} lines committed")
        self.commit()
        return self.report


def poll_access_logs(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    clock: Callable[[], datetime],
    progress: Callable[[str], None] | None = None,
    chunk_lines: int = CHUNK_LINES,
) -> list[AccessLogReport]:
    """Read every configured access log on from its saved position and store its hits.

    Args:
        settings: ``engagement`` (logs, exclusions, bots, salt days) and ``site.base_url``.
        sessions: the session factory of a migrated database.
        clock: the current time: which daily salts are kept and stamps the cursors.
        progress: called with a line of text per file and per committed chunk (no addresses).
        chunk_lines: lines per transaction on big files.

    Returns:
        One report per configured log, in the settings' order.
    """
    now = clock()
    engagement = settings.engagement
    with sessions.begin() as session:
        prune_salts(session, today=now.date(), salt_days=engagement.salt_days)
        credentials: CredentialIndex = load_credential_index(session)
    hasher = VisitorHasher(sessions, now=now, salt_days=engagement.salt_days)
    paths = PathClassifier(settings.site.base_url)
    agents = AgentClassifier(engagement.extra_bot_user_agents)
    exclusions = Exclusions(engagement.exclude_networks, engagement.exclude_user_agents)
    reports = []
    for log in engagement.access_logs:
        counter = LineCounter(
            new_parser(log.format),
            paths=paths,
            agents=agents,
            exclusions=exclusions,
            credentials=credentials,
            visitor=hasher.visitor,
        )
        report = _LogPoll(log, sessions, counter, now).run(progress, chunk_lines)
        logger.info("access log %s: %s", log.name, report.as_dict())
        reports.append(report)
    return reports
