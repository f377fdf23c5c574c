"""Demo-only traffic simulator: believable access logs and mail events for the demo's badges.

This module is NOT part of the pipeline and nothing in the pipeline imports it. It exists so
the demo's engagement metrics and dashboard have something real to read: it invents what
would have happened on the verification site and at the mail provider in the 28 days after
each credential was issued. Since the demo issues its credentials "now", the generated traffic
lies in those simulated weeks (in the future of the demo run).

It writes, under ``out_dir``:

- ``access.log``, ``access.log.1``, ``access.log.2.gz``: the site's nginx ``combined`` log,
  chronological, split as a weekly logrotate with ``delaycompress`` leaves it (the last week in
  ``access.log``, the week before in ``.1``, everything older in ``.2.gz``);
- ``mail-events/sendgrid-events.json``: a SendGrid Event Webhook export of the award emails.

The behaviour model (seeded, so a seed always gives byte-identical files): most emails are
delivered and a few bounce; about 75% of learners open the accept link after a log-normal
delay (median about 3 hours, a tail of days) and most accept minutes later; about 35% of those
share on LinkedIn, some on X, Facebook or by email; each share brings preview bots and then
recruiters' verification views and JSON downloads over the following days. Crawlers, an
uptime monitor, scanners' 404s, Slack previews, repeat visits and the issuer's own checks from
``office_network`` complete the picture. Addresses are documentation ranges only.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from badgeflow.demo._traffic_agents import Request, check_office_network, log_line
from badgeflow.demo._traffic_background import crawlers_and_strangers, office_checks, uptime_checks
from badgeflow.demo._traffic_learners import learner_story
from badgeflow.demo._traffic_mail import dumps_events, sendgrid_events
from badgeflow.demo._traffic_site import SimCredential, SimEmail, Site
from badgeflow.demo._traffic_store import read_credentials

__all__ = [
    "WINDOW",
    "SimCredential",
    "SimEmail",
    "TrafficReport",
    "demo_engagement_toml",
    "simulate_credentials",
    "simulate_traffic",
]

WINDOW = timedelta(days=28)
"""How long after its issue each credential's traffic is simulated."""
LOG_FILES = ("access.log.2.gz", "access.log.1", "access.log")
MAIL_FILE = "mail-events/sendgrid-events.json"
OUTCOMES = ("emails", "delivered", "bounced", "opened", "accepted", "shared", "shared_linkedin")


@dataclass(frozen=True)
class TrafficReport:
    """What the simulator wrote, and what an honest counter should find in it.

    ``outcomes`` counts credentials (``emails`` award emails simulated, ``delivered``,
    ``bounced``, ``opened`` the accept link, ``accepted``, ``shared`` on any channel,
    ``shared_linkedin``). ``person_hits`` and ``bot_hits`` count, per hit kind
    (`badgeflow.engagement.HIT_KINDS`), the distinct (kind, credential, channel, UTC day,
    address and user agent) of successful (2xx/3xx) requests, the issuer's office excluded:
    the deduplicated hits a correct reader stores. ``bot_lines_by_family`` counts log lines
    per bot family.
    """

    files: tuple[Path, ...]
    start: datetime
    end: datetime
    credentials: int
    lines: int
    person_lines: int
    bot_lines: int
    office_lines: int
    mail_events: int
    outcomes: Mapping[str, int]
    person_hits: Mapping[str, int]
    bot_hits: Mapping[str, int]
    bot_lines_by_family: Mapping[str, int]

    def summary(self) -> list[str]:
        """Lines to print after a demo run."""
        outcomes = ", ".join(f"{k} {self.outcomes[k]}" for k in OUTCOMES)
        return [
            f"simulated traffic {self.start:%Y-%m-%d} .. {self.end:%Y-%m-%d} for "
            f"{self.credentials} credentials: {self.lines} log lines (people "
            f"{self.person_lines}, bots {self.bot_lines}, office {self.office_lines}), "
            f"{self.mail_events} mail events",
            f"  credentials: {outcomes}",
            f"  files: {', '.join(str(f) for f in self.files)}",
        ]


def simulate_traffic(
    sessions: sessionmaker[Session],
    *,
    base_url: str,
    out_dir: Path,
    now: datetime,
    seed: int = 2026,
    office_network: str = "192.0.2.0/24",
) -> TrafficReport:
    """Write simulated access logs and mail events for the credentials in the database.

    Args:
        sessions: the store's session factory (only read).
        base_url: the verification site's public base URL (its path prefix is kept).
        out_dir: folder to write into (created; the files are replaced).
        now: the demo's clock: site-wide traffic starts at the earlier of it and the first
            issue time; the window ends 28 days after the later of it and the last issue.
        seed: the seed of every random choice.
        office_network: the issuer's own network (CIDR), whose checks the config excludes.

    Returns:
        The report of what was written.

    Raises:
        ConfigurationError: ``office_network`` is not a CIDR range apart from the simulator's.
    """
    check_office_network(office_network)
    credentials = read_credentials(sessions, Site(base_url))
    return simulate_credentials(
        credentials,
        base_url=base_url,
        out_dir=out_dir,
        now=now,
        seed=seed,
        office_network=office_network,
    )


def simulate_credentials(
    credentials: Sequence[SimCredential],
    *,
    base_url: str,
    out_dir: Path,
    now: datetime,
    seed: int = 2026,
    office_network: str = "192.0.2.0/24",
) -> TrafficReport:
    """`simulate_traffic` on credentials given directly rather than read from a database.

    Args:
        credentials: the credentials, oldest first, with their award emails.
        base_url: the verification site's public base URL (its path prefix is kept).
        out_dir: folder to write into (created; the files are replaced).
        now: the demo's clock (see `simulate_traffic`).
        seed: the seed of every random choice.
        office_network: the issuer's own network (CIDR).

    Returns:
        The report of what was written.

    Raises:
        ConfigurationError: ``office_network`` is not a CIDR range apart from the simulator's.
    """
    network = check_office_network(office_network)
    site = Site(base_url)
    issued = [c.issued_at for c in credentials]
    start = min([now, *issued])
    end = max([now, *issued]) + WINDOW
    requests = uptime_checks(site, start, end, seed=seed)
    requests += crawlers_and_strangers(site, credentials, start, end, seed=seed)
    requests += office_checks(site, credentials, network, end, seed=seed)
    outcomes: Counter[str] = Counter()
    emails = []
    for credential in credentials:
        story = learner_story(credential, site, seed=seed)
        requests += story.requests
        outcomes.update(story.outcomes)
        if credential.email is not None and story.mail:
            outcomes["emails"] += 1
            emails.append((credential.email, story.mail))
    events = sendgrid_events(emails, seed=seed)
    ordered = sorted(enumerate(requests), key=lambda item: (item[1].at, item[0]))
    chronological = [request for _, request in ordered]
    files = _write_logs(out_dir, chronological, end)
    mail_path = out_dir / MAIL_FILE
    mail_path.parent.mkdir(parents=True, exist_ok=True)
    mail_path.write_text(dumps_events(events), encoding="utf-8")
    audiences = Counter(r.visitor.audience for r in chronological)
    return TrafficReport(
        files=(*files, mail_path),
        start=start,
        end=end,
        credentials=len(credentials),
        lines=len(chronological),
        person_lines=audiences["person"],
        bot_lines=audiences["bot"],
        office_lines=audiences["office"],
        mail_events=len(events),
        outcomes={k: outcomes[k] for k in OUTCOMES},
        person_hits=_distinct_hits(chronological, "person"),
        bot_hits=_distinct_hits(chronological, "bot"),
        bot_lines_by_family=dict(
            sorted(
                Counter(
                    r.visitor.family for r in chronological if r.visitor.audience == "bot"
                ).items()
            )
        ),
    )


def demo_engagement_toml(out_dir: Path, *, office_network: str = "192.0.2.0/24") -> str:
    """The settings the demo's config needs to read what `simulate_traffic` wrote.

    Args:
        out_dir: the folder given to `simulate_traffic`.
        office_network: the office network given to it, excluded from counting.

    Returns:
        A TOML snippet (``[engagement]`` with one access log and one mail event source).
    """
    logs = json.dumps(str(out_dir / "access.log*"))
    mail = json.dumps(str(out_dir / "mail-events" / "*.json"))
    return (
        "[engagement]\n"
        f"exclude_networks = [{json.dumps(office_network)}]\n\n"
        "[[engagement.access_logs]]\n"
        f'name = "demo-site"\npath = {logs}\nformat = "combined"\n\n'
        "[[engagement.mail_events]]\n"
        f'name = "demo-sendgrid"\npath = {mail}\nformat = "sendgrid"\n'
    )


def _write_logs(out_dir: Path, requests: list[Request], end: datetime) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    last_day = end.replace(hour=0, minute=0, second=0, microsecond=0)
    rotations = (last_day - timedelta(days=13), last_day - timedelta(days=6))
    parts: list[list[str]] = [[], [], []]
    for request in requests:
        index = sum(request.at >= rotation for rotation in rotations)
        parts[index].append(log_line(request))
    paths = []
    for name, lines in zip(LOG_FILES, parts, strict=True):
        data = "".join(f"{line}\n" for line in lines).encode("utf-8")
        path = out_dir / name
        path.write_bytes(gzip.compress(data, mtime=0) if name.endswith(".gz") else data)
        paths.append(path)
    return paths


def _distinct_hits(requests: list[Request], audience: str) -> dict[str, int]:
    seen = {
        (*r.hit, r.at.date(), r.visitor.ip, r.visitor.agent)
        for r in requests
        if r.hit is not None and r.visitor.audience == audience and r.status < 400
    }
    return dict(sorted(Counter(key[0] for key in seen).items()))
