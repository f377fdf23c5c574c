"""The hot path without a database: every line lands in exactly one bucket."""

from __future__ import annotations

from pathlib import Path

from badgeflow.engagement.bots import AgentClassifier, Exclusions
from badgeflow.engagement.counting import CredentialIndex, LineCounter
from badgeflow.engagement.logformats import new_parser
from badgeflow.engagement.sitepaths import PathClassifier
from tests.badgeflow.engagement.conftest import C1, C2, T1, T2

FIXTURES = Path(__file__).parents[2] / "fixtures" / "access_logs"


def _counter(format_name="combined"):
    return LineCounter(
        new_parser(format_name),
        paths=PathClassifier("https://badges.example.org/badges"),
        agents=AgentClassifier(),
        exclusions=Exclusions(["10.0.0.0/8", "2001:db8:ffff::/48"], ["badgeflow-uptime"]),
        credentials=CredentialIndex(ids=frozenset({C1, C2}), tokens={T1: C1, T2: C2}),
        visitor=lambda day, address, agent: f"{day}|{address}|{agent}"[-32:],
    )


def test_the_fixture_lines_each_land_in_one_bucket():
    counter = _counter()
    counter.feed((FIXTURES / "simple.log").read_text().split("\n"))
    counts = counter.counts
    assert (counts.people, counts.bots, counts.excluded) == (7, 3, 3)
    assert (counts.unattributed, counts.ignored, counts.malformed) == (2, 7, 3)
    assert counts.lines == 25  # the trailing empty string is not a line
    assert len(counter.hits) == 9
    hits, taken = counter.take()
    assert taken.lines == 25 and len(hits) == 9
    assert counter.counts.lines == 0 and len(counter.hits) == 0


def test_crlf_lines_read_like_lf_lines():
    lines = (FIXTURES / "simple.log").read_text().split("\n")
    counter = _counter()
    counter.feed([line + "\r" if line else line for line in lines])
    assert (counter.counts.people, counter.counts.bots, counter.counts.malformed) == (7, 3, 3)


def test_an_empty_cloudfront_status_is_ignored_not_a_crash():
    counter = _counter("cloudfront")
    fields = ["2026-10-10", "12:00:00", "LHR62", "512", "203.0.113.5", "GET", "d1.net"]
    counter.feed(["\t".join([*fields, "/badges/verify/", "", "-", "curl/8", "-"])])
    assert (counter.counts.lines, counter.counts.ignored) == (1, 1)
