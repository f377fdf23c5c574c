"""The hot path of access log reading: lines → counted, deduplicated hits (no I/O).

`LineCounter.feed` takes a block of lines and sorts each into exactly one bucket: a hit by a
person or a bot (aggregated into `Hits`), the issuer's own request (``excluded``), an
attributable page of an unknown credential or token (``unattributed``), a line that is not a
counted request (``ignored``: not an attributable page, not a GET, or a status other than
2xx/304), or a line that cannot be read (``malformed``). HEAD requests are ignored: browsers
never send them to show a page, link checkers and monitors do.

Speed: a line that is not a GET of an attributable page's path (``<base path>/accept/``,
``/credentials/``, ``/verify``) is ignored after three substring tests (`LogParser.markers`),
without parsing; it is ``malformed`` only when it lacks the format's field separator.
Absolute-form request targets (``GET https://host/...``, sent to proxies only) are therefore
not counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from badgeflow.engagement.bots import AgentClassifier, Exclusions
from badgeflow.engagement.hits import Hits
from badgeflow.engagement.logformats import LogParser
from badgeflow.engagement.sitepaths import PathClassifier
from badgeflow.store.schema import Credential

__all__ = ["CredentialIndex", "LineCounter", "LineCounts", "load_credential_index"]

_ACCEPT_KINDS: Final = frozenset({"accept_open", "accept_confirm"})
_VISITOR_CACHE: Final = 200_000
_EXCLUDED: Final = ("", "", "")
_MISSING: Final[Any] = object()

VisitorFn = Callable[[date, str, str], str]


@dataclass(frozen=True)
class CredentialIndex:
    """The credentials hits can belong to: ids, and accept tokens → ids."""

    ids: frozenset[str]
    tokens: dict[str, str]


def load_credential_index(session: Session) -> CredentialIndex:
    """Read every credential id and accept token (one query)."""
    rows = session.execute(select(Credential.id, Credential.accept_token)).all()
    return CredentialIndex(
        ids=frozenset(row.id for row in rows),
        tokens={row.accept_token: row.id for row in rows if row.accept_token},
    )


@dataclass
class LineCounts:
    """How the lines read were sorted (every line lands in exactly one bucket)."""

    lines: int = 0
    people: int = 0
    bots: int = 0
    excluded: int = 0
    unattributed: int = 0
    ignored: int = 0
    malformed: int = 0

    def add(self, other: LineCounts) -> None:
        """Add another block's counts to these (also to a report that extends them)."""
        for field in fields(other):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


class LineCounter:
    """Sort access log lines and aggregate the counted ones by visitor, page and day.

    Args:
        parser: the file's format parser (`logformats.new_parser`); set `parser` per file.
        paths: the site path classifier.
        agents: person/bot classification.
        exclusions: the issuer's own requests.
        credentials: the known credentials.
        visitor: ``(day, address, user agent) -> visitor id`` (`VisitorHasher.visitor`).
    """

    def __init__(
        self,
        parser: LogParser,
        *,
        paths: PathClassifier,
        agents: AgentClassifier,
        exclusions: Exclusions,
        credentials: CredentialIndex,
        visitor: VisitorFn,
    ) -> None:
        self.parser = parser
        self._paths = paths
        self._agents = agents
        self._exclusions = exclusions
        self._credentials = credentials
        self._visitor = visitor
        self.hits = Hits()
        self.counts = LineCounts()
        self._visitors: dict[tuple[date, str, str], tuple[str, str, str]] = {}

    def take(self) -> tuple[Hits, LineCounts]:
        """Hand over what was counted since the last call and start afresh."""
        taken = self.hits, self.counts
        self.hits, self.counts = Hits(), LineCounts()
        self._visitors.clear()  # the addresses they were keyed by go too
        return taken

    def _who(self, day: date, address: str, agent: str) -> tuple[str, str, str]:
        """Excluded, or (visitor id, audience, bot family) of one address and user agent."""
        if self._exclusions.active and self._exclusions.excluded(address, agent):
            return _EXCLUDED
        audience, family = self._agents.classify(agent)
        return self._visitor(day, address, agent), audience, family

    def feed(self, lines: list[str]) -> None:
        """Sort and count a block of lines (without newlines; empty lines are skipped)."""
        # The hot path: everything it calls is bound to a local, caches are read inline.
        parser = self.parser
        parse, header, when_of, times = parser.parse, parser.header, parser.when, parser.times
        marker_a, marker_b, marker_c = parser.markers(self._paths.markers)
        sane = parser.sane
        classify, pages = self._paths.classify, self._paths.cache
        visitors = self._visitors
        rows = self.hits.rows
        ids, tokens = self._credentials.ids, self._credentials.tokens
        n = people = bots = excluded = unattributed = ignored = malformed = 0
        for line in lines:
            if not line or (line[0] == "#" and header(line)):
                continue
            n += 1
            # Most lines are assets and other pages: skip them before any parsing.
            if marker_a not in line and marker_b not in line and marker_c not in line:
                if sane in line:
                    ignored += 1
                else:
                    malformed += 1
                continue
            record = parse(line.rstrip("\r") if line[-1] == "\r" else line)
            if record is None:
                malformed += 1
                continue
            target = record[3]
            page = pages.get(target, _MISSING)
            if page is _MISSING:
                page = classify(target)
            status = record[4]
            if page is None or record[2] != "GET" or not (status[:1] == "2" or status == "304"):
                ignored += 1
                continue
            raw_time = record[1]
            when = times.get(raw_time, _MISSING)
            if when is _MISSING:
                when = when_of(raw_time)
            if when is None:
                malformed += 1
                continue
            day = when.date()
            # One cache for all that depends on who asks: excluded, person or bot, visitor id.
            who_key = (day, record[0], record[5])
            who = visitors.get(who_key)
            if who is None:
                if len(visitors) >= _VISITOR_CACHE:
                    visitors.clear()
                who = visitors[who_key] = self._who(day, record[0], record[5])
            if who is _EXCLUDED:
                excluded += 1
                continue
            kind, ref, channel = page
            if kind in _ACCEPT_KINDS:
                credential_id = tokens.get(ref)
            elif ref:
                credential_id = ref if ref in ids else None
            else:
                credential_id = ""
            if credential_id is None:
                unattributed += 1
                continue
            visitor, audience, family = who
            key = (kind, credential_id, channel, day, visitor)
            row = rows.get(key)
            if row is None:
                rows[key] = [when, when, 1, audience, family]
            else:
                if when < row[0]:
                    row[0] = when
                elif when > row[1]:
                    row[1] = when
                row[2] += 1
            if audience == "person":
                people += 1
            else:
                bots += 1
        counts = self.counts
        counts.lines += n
        counts.people += people
        counts.bots += bots
        counts.excluded += excluded
        counts.unattributed += unattributed
        counts.ignored += ignored
        counts.malformed += malformed
