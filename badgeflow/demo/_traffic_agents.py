"""Who visits the demo's verification site: user agents, documentation-range addresses, log lines.

Part of the demo traffic simulator (`badgeflow.demo.traffic`), not of the pipeline. Every
address comes from the documentation ranges of RFC 5737 and RFC 3849, so nothing in the
generated logs points at a real machine.
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from badgeflow.errors import ConfigurationError

Audience = Literal["person", "bot", "office"]

# Learners, recruiters and colleagues: one address each from these.
PEOPLE_V4: Final = ipaddress.ip_network("203.0.113.0/24")
PEOPLE_V6: Final = ipaddress.ip_network("2001:db8:4000::/36")
# Crawlers, preview fetchers, the uptime monitor and scanners.
BOTS_V4: Final = ipaddress.ip_network("198.51.100.0/24")
BOTS_V6: Final = ipaddress.ip_network("2001:db8:b000::/36")
_POOLS: Final = (PEOPLE_V4, PEOPLE_V6, BOTS_V4, BOTS_V6)

BROWSERS: Final = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.81 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
)
# How often each browser above is picked (desktop Chrome first, as in most B2B audiences).
BROWSER_WEIGHTS: Final = (30, 12, 10, 8, 18, 12, 4, 6)

# Bot families (the name a counter reports) -> (user agent, last octets of its IPv4 addresses).
BOTS: Final[dict[str, tuple[str, tuple[int, ...]]]] = {
    "LinkedInBot": (
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        (21, 22, 23, 24),
    ),
    "Twitterbot": ("Twitterbot/1.0", (31, 32)),
    "facebookexternalhit": (
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        (41, 42, 43),
    ),
    "Slackbot": ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", (51, 52)),
    "Googlebot": (
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        (61, 62, 63, 64),
    ),
    "bingbot": (
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        (71, 72, 73),
    ),
    "UptimeRobot": (
        "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
        (81, 82),
    ),
    "scanner": ("Mozilla/5.0 zgrab/0.x", (201, 202, 203)),
}
OFFICE_BROWSER: Final = BROWSERS[1]
OFFICE_CHECKER: Final = "curl/8.5.0"

_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


@dataclass(frozen=True)
class Visitor:
    """One client: an address and a user agent (what a log line knows of a visitor)."""

    ip: str
    agent: str
    audience: Audience
    family: str = ""


@dataclass(frozen=True)
class Request:
    """One simulated request; ``hit`` is the attributable page it is, if any.

    ``hit`` is ``(kind, credential_id, channel)`` with ``kind`` one of
    `badgeflow.engagement.HIT_KINDS`, the meaning a counter should give the request.
    """

    at: datetime
    visitor: Visitor
    path: str
    status: int = 200
    size: int = 0
    referer: str = "-"
    method: str = "GET"
    hit: tuple[str, str, str] | None = None


def check_office_network(office_network: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """Parse the issuer's office network, which must not overlap the simulator's own ranges.

    Raises:
        ConfigurationError: not a CIDR range, or overlapping the people's or bots' ranges.
    """
    try:
        network = ipaddress.ip_network(office_network, strict=False)
    except ValueError as exc:
        raise ConfigurationError(f"office network {office_network!r} is not a CIDR range") from exc
    for pool in _POOLS:
        if network.version == pool.version and network.overlaps(pool):
            raise ConfigurationError(
                f"office network {office_network} overlaps {pool}, which the simulator uses "
                "for visitors; choose another (192.0.2.0/24 is the default)"
            )
    return network


def person(rng: random.Random) -> Visitor:
    """A new person with their own browser and address (a third on IPv6)."""
    agent = rng.choices(BROWSERS, weights=BROWSER_WEIGHTS)[0]
    if rng.random() < 0.33:
        offset = rng.getrandbits(PEOPLE_V6.max_prefixlen - PEOPLE_V6.prefixlen)
        ip = str(PEOPLE_V6.network_address + offset)
    else:
        ip = str(PEOPLE_V4.network_address + rng.randint(1, 254))
    return Visitor(ip, agent, "person")


def bot(rng: random.Random, family: str) -> Visitor:
    """A request source of one bot family (one of its few addresses)."""
    agent, octets = BOTS[family]
    return Visitor(str(BOTS_V4.network_address + rng.choice(octets)), agent, "bot", family)


def office(
    rng: random.Random, network: ipaddress.IPv4Network | ipaddress.IPv6Network, *, checker: bool
) -> Visitor:
    """A machine in the issuer's office: a staff browser or the scripted checker."""
    hosts = min(network.num_addresses - 2, 200)
    address = network.network_address + (1 + rng.randrange(max(hosts, 1)))
    agent = OFFICE_CHECKER if checker else OFFICE_BROWSER
    return Visitor(str(address), agent, "office", "checker" if checker else "")


def log_line(request: Request) -> str:
    """Format a request as nginx's ``combined`` log format (UTC, ``+0000``)."""
    at = request.at
    stamp = f"{at.day:02d}/{_MONTHS[at.month - 1]}/{at.year}:{at:%H:%M:%S} +0000"
    return (
        f'{request.visitor.ip} - - [{stamp}] "{request.method} {request.path} HTTP/1.1" '
        f'{request.status} {request.size} "{request.referer}" "{request.visitor.agent}"'
    )
