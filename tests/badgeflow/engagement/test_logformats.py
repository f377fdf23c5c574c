"""Access log formats: combined (nginx, Apache) and CloudFront, nasty lines included."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from badgeflow.engagement.logformats import CloudFrontParser, CombinedParser, new_parser

FF = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            '203.0.113.5 - - [10/Oct/2026:13:55:36 +0200] "GET /a/?x=1 HTTP/1.1" 200 512 "-" '
            f'"{FF}"',
            ("203.0.113.5", "10/Oct/2026:13:55:36 +0200", "GET", "/a/?x=1", "200", FF),
        ),
        (
            '2001:db8::5 - alice [10/Oct/2026:12:00:00 +0000] "HEAD / HTTP/2.0" 304 - "r" "ua" "x"',
            ("2001:db8::5", "10/Oct/2026:12:00:00 +0000", "HEAD", "/", "304", "ua"),
        ),
        (  # Apache escapes quotes in the user agent (and in the request line)
            '198.51.100.9 - - [10/Oct/2026:12:03:00 +0000] "GET /v\\"x HTTP/1.1" 200 5 "-" '
            '"Mozilla/5.0 (\\"Quoted\\" Browser)"',
            (
                "198.51.100.9",
                "10/Oct/2026:12:03:00 +0000",
                "GET",
                '/v"x',
                "200",
                'Mozilla/5.0 ("Quoted" Browser)',
            ),
        ),
        (  # nginx's "-" request line of a connection closed early
            '198.51.100.13 - - [10/Oct/2026:12:07:00 +0000] "-" 400 0 "-" "-"',
            ("198.51.100.13", "10/Oct/2026:12:07:00 +0000", "-", "", "400", "-"),
        ),
        (  # the common format: no referer or user agent
            '198.51.100.1 - - [10/Oct/2026:12:07:00 +0000] "GET /x HTTP/1.0" 200 12',
            ("198.51.100.1", "10/Oct/2026:12:07:00 +0000", "GET", "/x", "200", ""),
        ),
    ],
)
def test_combined_lines(line, expected):
    assert CombinedParser().parse(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "this is not a log line",
        '198.51.100.15 - - [10/Oct/2026:12:08:00 +0000] "GET /x HTTP/1.1"',
        "198.51.100.15 - - 10/Oct/2026 GET /x 200",
        "",
    ],
)
def test_malformed_combined_lines_are_none(line):
    assert CombinedParser().parse(line) is None


def test_combined_times_are_aware_utc_and_bad_ones_none():
    parser = CombinedParser()
    assert parser.when("10/Oct/2026:13:55:36 +0200") == datetime(
        2026, 10, 10, 11, 55, 36, tzinfo=UTC
    )
    assert parser.when("10/Oct/2026:23:59:59 -0130") == datetime(
        2026, 10, 11, 1, 29, 59, tzinfo=UTC
    )
    assert parser.when("10/Oct/2026:23:59:59 -0130").tzinfo is UTC
    for bad in ("99/Foo/2026:25:00:00 +0000", "10/Oct/2026:13:55:36", "31/Feb/2026:00:00:00 +0000"):
        assert parser.when(bad) is None
    assert not parser.header("#Fields: date")


def test_cloudfront_follows_its_fields_header_and_decodes_the_agent():
    parser = new_parser("cloudfront")
    assert parser.header("#Version: 1.0")
    assert parser.header("#Fields: cs-uri-stem sc-status c-ip cs-method time date cs(User-Agent)")
    record = parser.parse(
        "/badges/verify/\t200\t2001:db8::7\tGET\t12:01:00\t2026-10-10\tA%2520b%20c"
    )
    assert record == (
        "2001:db8::7",
        "2026-10-10 12:01:00",
        "GET",
        "/badges/verify/",
        "200",
        "A b c",
    )
    assert parser.when(record[1]) == datetime(2026, 10, 10, 12, 1, tzinfo=UTC)
    assert parser.parse("too\tfew") is None
    assert parser.when("2026-13-01 00:00:00") is None
    assert not parser.header("#Fields: date time")  # lacks needed columns: not taken
    assert not parser.header("# a comment")


def test_cloudfront_without_header_uses_the_standard_order():
    parser = CloudFrontParser()
    fields = [
        "2026-10-10",
        "12:00:00",
        "LHR62-C2",
        "512",
        "203.0.113.5",
        "GET",
        "d1.cloudfront.net",
    ]
    fields += ["/x", "200", "-", "curl/8.5.0", "-"]
    assert parser.parse("\t".join(fields)) == (
        "203.0.113.5",
        "2026-10-10 12:00:00",
        "GET",
        "/x",
        "200",
        "curl/8.5.0",
    )
