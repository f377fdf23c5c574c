"""Reading the simulator's output back in tests: a strict combined-format parser, a classifier."""

from __future__ import annotations

import gzip
import ipaddress
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import crawleruseragents

COMBINED = re.compile(
    r"^(?P<ip>[0-9a-f:.]+) - - \[(?P<time>\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000)\] "
    r'"(?P<method>GET|HEAD) (?P<path>/[^\s"]*) HTTP/1\.1" (?P<status>[1-5]\d\d) (?P<size>\d+) '
    r'"(?P<referer>-|https?://[^\s"]+)" "(?P<agent>[^"]+)"$'
)
DOCUMENTATION = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
) + (ipaddress.ip_network("2001:db8::/32"),)
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_PAGES = (
    ("accept_confirm", re.compile(r"accept/(?P<token>[0-9a-f]{32})/accepted/$")),
    ("accept_open", re.compile(r"accept/(?P<token>[0-9a-f]{32})/$")),
    ("share_click", re.compile(rf"credentials/(?P<cid>{_UUID})/share/(?P<channel>[a-z-]+)/$")),
    ("share_page", re.compile(rf"credentials/(?P<cid>{_UUID})/share/$")),
    ("credential_view", re.compile(rf"credentials/(?P<cid>{_UUID})/$")),
    ("credential_download", re.compile(rf"credentials/(?P<cid>{_UUID})\.(?P<channel>\w+)$")),
    ("verify_page", re.compile(r"verify/$")),
)


@dataclass(frozen=True)
class Line:
    """One parsed access-log line."""

    ip: str
    at: datetime
    method: str
    path: str
    status: int
    referer: str
    agent: str


def parse(text: str) -> Line:
    """Parse one line; fails the test when it is not strict combined format."""
    match = COMBINED.match(text)
    assert match, f"not combined format: {text!r}"
    at = datetime.strptime(match["time"], "%d/%b/%Y:%H:%M:%S %z").astimezone(UTC)
    return Line(
        match["ip"],
        at,
        match["method"],
        match["path"],
        int(match["status"]),
        match["referer"],
        match["agent"],
    )


def read_logs(folder: Path) -> list[list[str]]:
    """The raw lines of the three log files, oldest file first."""
    texts = [
        gzip.decompress((folder / "access.log.2.gz").read_bytes()).decode("utf-8"),
        (folder / "access.log.1").read_text(encoding="utf-8"),
        (folder / "access.log").read_text(encoding="utf-8"),
    ]
    return [text.splitlines() for text in texts]


def attribute(path: str, prefix: str, tokens: dict[str, str]) -> tuple[str, str, str] | None:
    """What a path-based counter makes of a request path: (kind, credential id, channel)."""
    if not path.startswith(prefix):
        return None
    relative = path[len(prefix) :]
    for kind, pattern in _PAGES:
        match = pattern.match(relative)
        if match:
            found = match.groupdict()
            cid = tokens[found["token"]] if "token" in found else found.get("cid", "")
            return kind, cid, found.get("channel", "")
    return None


@cache
def is_bot(agent: str) -> bool:
    """The crawler list's verdict, cached per user agent (about 240 µs a call)."""
    return bool(crawleruseragents.is_crawler(agent))
