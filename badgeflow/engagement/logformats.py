"""Access log line formats: nginx/Apache combined and Amazon CloudFront standard logs.

A parser turns one line into a `Record` (client address, raw time, method, request target,
status, user agent) or ``None`` when the line is malformed. Parsing is split-based on the
common shape and falls back to a regular expression only for lines with escaped quotes, so a
million lines take seconds. The raw time is converted by `LogParser.when` (cached per
distinct value), because most lines (assets, other pages) never need it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Final, Protocol
from urllib.parse import unquote

__all__ = ["FORMATS", "CloudFrontParser", "CombinedParser", "LogParser", "Record", "new_parser"]

# (client address, raw time, method, request target, status, user agent)
Record = tuple[str, str, str, str, str, str]

_MONTHS: Final = {
    m: n
    for n, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_CACHE_LIMIT: Final = 100_000

# Apache escapes `"` and `\` inside quoted fields as `\"` and `\\` (nginx writes `\x22`).
_QUOTED: Final = r'"((?:[^"\\]|\\.)*)"'
_COMBINED: Final = re.compile(
    r"^(\S+) \S+ .*?\[([^\]]+)\] " + _QUOTED + r" (\S+) \S+(?: " + _QUOTED + " " + _QUOTED + ")?"
)
# The common shape: no escaped quotes, referer and user agent present.
_FAST: Final = re.compile(
    r'(\S+) \S+ .*?\[([^\]]*)\] "(\S*) ?(\S*)[^"]*" (\S+) \S+ "[^"]*" "([^"]*)"'
)
_ESCAPE: Final = re.compile(r"\\(.)")


class LogParser(Protocol):
    """What every access log format offers."""

    sane: str  # every well-formed line contains it (a quote, a tab)
    times: dict[str, datetime | None]  # `when`'s cache, read directly on the hot path

    def markers(self, paths: tuple[str, ...]) -> tuple[str, ...]:
        """Substrings that only a GET line of one of these paths contains (a prefilter)."""

    def parse(self, line: str) -> Record | None:
        """Split one line (without its newline); ``None`` when it is malformed."""

    def header(self, line: str) -> bool:
        """Take a ``#`` line as a format header; False when it is not one (malformed)."""

    def when(self, raw: str) -> datetime | None:
        """The aware UTC time of a record's raw time; ``None`` when it is not a time."""


class _TimeCache:
    def __init__(self) -> None:
        self.times: dict[str, datetime | None] = {}
        self._days: dict[str, datetime] = {}

    def when(self, raw: str) -> datetime | None:
        try:
            return self.times[raw]
        except KeyError:
            pass
        if len(self.times) >= _CACHE_LIMIT:
            self.times.clear()
        try:
            value: datetime | None = self._convert(raw)
        except (ValueError, KeyError, IndexError):
            value = None
        self.times[raw] = value
        return value

    def _convert(self, raw: str) -> datetime:  # pragma: no cover - overridden
        raise NotImplementedError


class CombinedParser(_TimeCache):
    """nginx's and Apache's ``combined`` format (extra fields after the user agent are ignored).

    ``203.0.113.9 - - [10/Oct/2026:13:55:36 +0200] "GET /p HTTP/1.1" 200 512 "ref" "agent"``
    """

    sane = '"'

    def markers(self, paths: tuple[str, ...]) -> tuple[str, ...]:
        """``"GET <path>``: the request line, never the referer (which often names a page)."""
        return tuple(f'"GET {path}' for path in paths)

    def parse(self, line: str) -> Record | None:
        """Split one combined line; ``None`` when it is malformed."""
        if '\\"' not in line:
            match = _FAST.match(line)
            if match is not None:
                return match.groups()  # type: ignore[return-value]
        return self._parse_escaped(line)

    def _parse_escaped(self, line: str) -> Record | None:
        match = _COMBINED.match(line)
        if match is None:
            return None
        ip, when, request, status, _referer, agent = match.groups()
        parts = _ESCAPE.sub(r"\1", request).split(" ")
        method, target = (parts[0], parts[1]) if len(parts) >= 2 else (parts[0], "")
        return (ip, when, method, target, status, _ESCAPE.sub(r"\1", agent or ""))

    def header(self, line: str) -> bool:
        """Combined logs have no header lines."""
        return False

    def _convert(self, raw: str) -> datetime:
        # 10/Oct/2026:13:55:36 +0200; the day and zone part repeats, the seconds vary.
        if len(raw) != 26 or raw[2] != "/" or raw[6] != "/" or raw[11] != ":" or raw[20] != " ":
            raise ValueError(raw)
        day_key = raw[:11] + raw[20:]
        midnight = self._days.get(day_key)
        if midnight is None:
            sign = -1 if raw[21] == "-" else 1
            offset = timedelta(hours=int(raw[22:24]), minutes=int(raw[24:26])) * sign
            midnight = datetime(
                int(raw[7:11]), _MONTHS[raw[3:6]], int(raw[0:2]), tzinfo=timezone(offset)
            ).astimezone(UTC)
            self._days[day_key] = midnight
        seconds = int(raw[12:14]) * 3600 + int(raw[15:17]) * 60 + int(raw[18:20])
        return midnight + timedelta(seconds=seconds)


# CloudFront standard log fields (version 1.0) when a file carries no #Fields line.
_CLOUDFRONT_DEFAULT: Final = (
    "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status "
    "cs(Referer) cs(User-Agent) cs-uri-query"
).split()
_CLOUDFRONT_NEEDED: Final = ("date", "time", "c-ip", "cs-method", "cs-uri-stem", "sc-status")


class CloudFrontParser(_TimeCache):
    """Amazon CloudFront standard logs: tab-separated, columns named by a ``#Fields:`` line.

    The user agent is URL-encoded (as CloudFront writes it); times are UTC.
    """

    def __init__(self) -> None:
        super().__init__()
        self._agents: dict[str, str] = {}
        self._columns(_CLOUDFRONT_DEFAULT)

    def _columns(self, names: list[str]) -> bool:
        index = {name: n for n, name in enumerate(names)}
        if any(name not in index for name in _CLOUDFRONT_NEEDED):
            return False
        self._date, self._time = index["date"], index["time"]
        self._ip, self._method = index["c-ip"], index["cs-method"]
        self._stem, self._status = index["cs-uri-stem"], index["sc-status"]
        self._agent = index.get("cs(User-Agent)", -1)
        self._width = max(index[name] for name in _CLOUDFRONT_NEEDED) + 1
        return True

    def header(self, line: str) -> bool:
        """``#Version`` and ``#Fields:`` lines; the latter sets the column order."""
        if line.startswith("#Fields:"):
            return self._columns(line[len("#Fields:") :].split())
        return line.startswith("#Version")

    sane = "\t"

    def markers(self, paths: tuple[str, ...]) -> tuple[str, ...]:
        """``<tab><path>``: the URI stem column (the referer column holds full URLs)."""
        return tuple(f"\t{path}" for path in paths)

    def parse(self, line: str) -> Record | None:
        """Split one CloudFront line; ``None`` when it is malformed."""
        fields = line.split("\t")
        if len(fields) < self._width:
            return None
        raw_agent = fields[self._agent] if 0 <= self._agent < len(fields) else "-"
        agent = self._agents.get(raw_agent)
        if agent is None:
            if len(self._agents) >= _CACHE_LIMIT:
                self._agents.clear()
            # Decoded twice: CloudFront encodes the agent once more on top of the client's.
            agent = unquote(unquote(raw_agent)) if "%" in raw_agent else raw_agent
            self._agents[raw_agent] = agent
        return (
            fields[self._ip],
            f"{fields[self._date]} {fields[self._time]}",
            fields[self._method],
            fields[self._stem],
            fields[self._status],
            agent,
        )

    def _convert(self, raw: str) -> datetime:
        # 2026-10-10 13:55:36 (UTC)
        return datetime.strptime(raw, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


FORMATS: Final[dict[str, Callable[[], LogParser]]] = {
    "combined": CombinedParser,
    "cloudfront": CloudFrontParser,
}


def new_parser(format_name: str) -> LogParser:
    """A fresh parser (its caches and column order are per file).

    Args:
        format_name: ``combined`` or ``cloudfront`` (`AccessLogSettings.format`).

    Returns:
        The parser.
    """
    return FORMATS[format_name]()
