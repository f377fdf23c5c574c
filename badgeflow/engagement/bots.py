"""People or bots: who sent a request, from its user agent and address.

`AgentClassifier` names the bot family of a user agent: first an explicit table of the
link-preview bots that fetch a page the moment it is shared (LinkedInBot, Slackbot, ...),
search engines and uptime checks, then the `crawler-user-agents` list, then the operator's
``engagement.extra_bot_user_agents``. An empty user agent is a bot (``unknown``): browsers
always send one. `Exclusions` recognises the issuer's own checks (``exclude_networks``,
``exclude_user_agents``), which are dropped before anything is hashed or stored.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from functools import lru_cache
from typing import Final

import crawleruseragents  # type: ignore[import-untyped]

__all__ = ["KNOWN_BOTS", "AgentClassifier", "Exclusions"]

# (case-insensitive substring, family); first match wins, so specific names come first.
KNOWN_BOTS: Final = (
    # Link previews: a share on a network fetches the page at once, not a person.
    ("linkedinbot", "LinkedInBot"),
    ("slack-imgproxy", "Slackbot"),
    ("slackbot", "Slackbot"),
    ("telegrambot", "TelegramBot"),  # "TelegramBot (like TwitterBot)"
    ("twitterbot", "Twitterbot"),
    ("facebookexternalhit", "facebookexternalhit"),
    ("facebookcatalog", "facebookexternalhit"),
    ("meta-externalagent", "facebookexternalhit"),
    ("whatsapp", "WhatsApp"),
    ("discordbot", "Discordbot"),
    ("skypeuripreview", "SkypeUriPreview"),
    ("microsoftpreview", "MicrosoftPreview"),
    ("pinterestbot", "Pinterestbot"),
    ("redditbot", "redditbot"),
    ("mastodon", "Mastodon"),
    ("embedly", "Embedly"),
    ("iframely", "Iframely"),
    ("applebot", "Applebot"),
    # Search engines.
    ("googlebot", "Googlebot"),
    ("google-inspectiontool", "Googlebot"),
    ("adsbot-google", "Googlebot"),
    ("bingbot", "bingbot"),
    ("bingpreview", "bingbot"),
    ("yandex", "YandexBot"),
    ("duckduckbot", "DuckDuckBot"),
    ("duckassistbot", "DuckDuckBot"),
    ("baiduspider", "Baiduspider"),
    ("sogou", "Sogou"),
    ("seznambot", "SeznamBot"),
    ("petalbot", "PetalBot"),
    ("qwantify", "Qwant"),
    # Uptime checks and monitors.
    ("uptimerobot", "UptimeRobot"),
    ("pingdom", "Pingdom"),
    ("statuscake", "StatusCake"),
    ("betteruptime", "Better Uptime"),
    ("better uptime", "Better Uptime"),
    ("site24x7", "Site24x7"),
    ("newrelicpinger", "New Relic"),
    ("datadog", "Datadog"),
    ("checkly", "Checkly"),
    ("freshping", "Freshping"),
    ("hetrixtools", "HetrixTools"),
)
_UNKNOWN: Final = "unknown"
_CACHE: Final = 65_536
_V4_MAPPED: Final = b"\0" * 10 + b"\xff\xff"
_REGEX_SYNTAX: Final = re.compile(r"\\.|[\[\](){}^$*+?|]")


def _family(pattern: str, agent: str) -> str:
    """A readable family name: the text the crawler-user-agents pattern matched (AhrefsBot)."""
    match = re.search(pattern, agent)
    name = match.group(0) if match else _REGEX_SYNTAX.sub("", pattern)
    return name.strip(" /.-_;:()+")[:64] or "crawler"


class AgentClassifier:
    """Person or bot for a user agent, cached per distinct user agent.

    Args:
        extra_bots: `EngagementSettings.extra_bot_user_agents` (case-insensitive substrings;
            the family is the substring itself).
    """

    def __init__(self, extra_bots: Iterable[str] = ()) -> None:
        self._extra = tuple((s.lower(), s[:64]) for s in extra_bots if s)
        self.classify = lru_cache(maxsize=_CACHE)(self._classify)

    def _classify(self, agent: str) -> tuple[str, str]:
        """``("person", "")`` or ``("bot", family)`` for one user agent."""
        if not agent or agent == "-" or not agent.strip():
            return "bot", _UNKNOWN
        lowered = agent.lower()
        for needle, family in KNOWN_BOTS:
            if needle in lowered:
                return "bot", family
        matches = crawleruseragents.matching_crawlers(agent)
        if matches:
            pattern = str(crawleruseragents.CRAWLER_USER_AGENTS_DATA[matches[0]]["pattern"])
            return "bot", _family(pattern, agent)
        for needle, family in self._extra:
            if needle in lowered:
                return "bot", family
        return "person", ""


class Exclusions:
    """The issuer's own requests: by client network (CIDR) or user-agent substring.

    Args:
        networks: `EngagementSettings.exclude_networks` (IPv4 and IPv6 CIDR ranges).
        user_agents: `EngagementSettings.exclude_user_agents` (case-insensitive substrings).
    """

    def __init__(self, networks: Iterable[str] = (), user_agents: Iterable[str] = ()) -> None:
        parsed = [ipaddress.ip_network(n, strict=False) for n in networks]
        self._v4 = tuple((int(n.network_address), int(n.netmask)) for n in parsed if n.version == 4)
        self._v6 = tuple((int(n.network_address), int(n.netmask)) for n in parsed if n.version == 6)
        self._networks = bool(parsed)
        self._agents = tuple(a.lower() for a in user_agents if a)
        self.active = bool(parsed or self._agents)  # False: nothing to check at all
        self._addresses: dict[str, bool] = {}
        self.agent_excluded = lru_cache(maxsize=_CACHE)(self._agent_excluded)

    def excluded(self, address: str, agent: str) -> bool:
        """Whether a request from this address with this user agent is the issuer's own."""
        if self._networks:
            hit = self._addresses.get(address)
            if hit is None:
                if len(self._addresses) >= _CACHE:
                    self._addresses.clear()
                hit = self._address_excluded(address)
                self._addresses[address] = hit
            if hit:
                return True
        return bool(self._agents) and self.agent_excluded(agent)

    def _address_excluded(self, address: str) -> bool:
        # inet_pton and integer masks: ten times faster than ipaddress per distinct address.
        text = address.strip("[]").split("%", 1)[0]
        try:
            packed = socket.inet_pton(socket.AF_INET6 if ":" in text else socket.AF_INET, text)
        except OSError:
            return False
        if packed[:12] == _V4_MAPPED:
            packed = packed[12:]
        value = int.from_bytes(packed, "big")
        ranges = self._v4 if len(packed) == 4 else self._v6
        return any(value & mask == network for network, mask in ranges)

    def _agent_excluded(self, agent: str) -> bool:
        lowered = agent.lower()
        return any(needle in lowered for needle in self._agents)
